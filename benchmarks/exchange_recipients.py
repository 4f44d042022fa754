"""Remote mailboxes from Exchange's endpoint: checker's streamed gather against a raw pypsrp loop.

    python benchmarks/exchange_recipients.py --mailboxes 50000

One lab Exchange endpoint (Microsoft.Exchange, NoLanguage, NTLM with message encryption) serves
N remote mailboxes, built once before serving. Two sides read them all, each in a process of
its own so that its peak RSS is its own:

- raw: pypsrp's `Get-RemoteMailbox -ResultSize Unlimited` with `invoke()`, every object held
  (with the transport's typed-collection deserializer fix, without which pypsrp 0.9 cannot
  read an Exchange recipient at all);
- checker: the gather stage's `exchange.remote_mailboxes` fact: the PSRP transport streams the
  objects as WSMan receives bring them and the collector keeps one small record each.

It prints objects/s and peak RSS of both and the ratio checker/raw. Targets: >= 0.9x the raw
loop's objects/s, peak RSS <= 250 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
USER, PASSWORD = "LAB\\bench", "Bench-Pa55!"
TARGET_RATIO, TARGET_RSS_MB = 0.9, 250.0


def hostvars(port: int) -> dict[str, Any]:
    return {"ansible_connection": "psrp", "ansible_host": "127.0.0.1", "ansible_port": port,
            "ansible_user": USER, "ansible_password": PASSWORD, "ansible_psrp_auth": "ntlm",
            "ansible_psrp_protocol": "http", "ansible_psrp_path": "PowerShell",
            "ansible_psrp_configuration_name": "Microsoft.Exchange"}


def raw_side(port: int) -> int:
    from pypsrp.powershell import PowerShell, RunspacePool
    from pypsrp.wsman import WSMan

    from checker.transports.psrp_errors import deserialize_typed_collections

    wsman = WSMan("127.0.0.1", port=port, path="PowerShell", ssl=False, auth="ntlm",
                  username=USER, password=PASSWORD, operation_timeout=20, read_timeout=30)
    pool = RunspacePool(wsman, configuration_name="Microsoft.Exchange")
    deserialize_typed_collections(pool)
    with pool:
        ps = PowerShell(pool).add_cmdlet("Get-RemoteMailbox")
        ps.add_parameter("ResultSize", "Unlimited")
        output = ps.invoke()
        if ps.had_errors:
            raise SystemExit(f"raw loop failed: {ps.streams.error}")
        return len(output)


def checker_side(port: int) -> int:
    from checker.facts.model import FactKey
    from checker.gather import gather_host
    from checker.inventory.model import Host
    from checker.plan import HostPlan
    from checker.redact import Redactor

    key = FactKey.of("exchange.remote_mailboxes")
    hp = HostPlan(Host("ex01", hostvars(port), ("all", "exchange_servers")), "psrp", (key,), ())
    fact = gather_host(hp, 3600.0, Redactor())[key]
    if not fact.ok:
        raise SystemExit(f"checker gather failed: {fact.provenance}")
    return len(fact.value)


def child(side: str, port: int) -> None:
    t0 = time.perf_counter()
    count = (raw_side if side == "raw" else checker_side)(port)
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"count": count, "seconds": seconds, "rss_mb": rss}))


def measure(side: str, port: int) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--side", side, "--port", str(port)],
                          capture_output=True, text=True, cwd=ROOT, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mailboxes", type=int, default=50_000)
    ap.add_argument("--side", choices=["raw", "checker"], help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:
        child(args.side, args.port)
        return 0
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.lab.psrp.exchange", "serve", "--scenario", "healthy",
         "--auth", "negotiate", "--user", USER, "--password", PASSWORD, "--remote-mailboxes",
         str(args.mailboxes)], stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        results = {side: measure(side, port) for side in ("raw", "checker")}
    finally:
        server.terminate()
        server.wait(30)
    for side, r in results.items():
        assert r["count"] == args.mailboxes, (side, r)
        print(f"{side:8} {r['count']:>7} objects in {r['seconds']:7.1f} s = "
              f"{r['count'] / r['seconds']:7.0f} objects/s, peak RSS {r['rss_mb']:6.0f} MB")
    ratio = results["raw"]["seconds"] / results["checker"]["seconds"]
    rss = results["checker"]["rss_mb"]
    print(f"checker/raw objects/s: {ratio:.2f}x (target >= {TARGET_RATIO}x); checker peak RSS "
          f"{rss:.0f} MB (target <= {TARGET_RSS_MB:.0f} MB)")
    return 0 if ratio >= TARGET_RATIO and rss <= TARGET_RSS_MB else 1


if __name__ == "__main__":
    sys.exit(main())
