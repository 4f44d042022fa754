"""Fleet benchmark: N hosts gathered over PSRP with F forks through the core gather stage.

    python benchmarks/psrp_fleet.py --hosts 200 --latency-ms 50 --forks 10

The hosts are spread over --endpoints lab endpoints (subprocesses, basic auth; like a
fleet, each server does its own work) that add L ms to every WSMan request, like a WAN
round trip. It prints the fleet's wall time against
ceil(hosts / forks) x one host's time measured in the same run; the target is <= 1.3x.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checker.collectors.base import load_all  # noqa: E402
from checker.facts.model import FactKey  # noqa: E402
from checker.gather import gather  # noqa: E402
from checker.inventory.model import Host  # noqa: E402
from checker.plan import HostPlan, Plan  # noqa: E402

FACTS = tuple(FactKey.of(n) for n in ("adsync.connectors", "adsync.global_settings",
                                       "adsync.run_history", "adsync.scheduler",
                                       "adsync.sync_rules"))


def start_endpoint(latency_ms: float) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.lab.psrp", "serve", "--scenario", "healthy", "--auth",
         "basic", "--user", "bench", "--password", "bench", "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline().split()[1])


def plan(hosts: int, ports: list[int]) -> Plan:
    def hostvars(port: int) -> dict[str, object]:
        return {"ansible_connection": "psrp", "ansible_host": "127.0.0.1", "ansible_port": port,
                "ansible_user": "bench", "ansible_password": "bench",
                "ansible_psrp_auth": "basic", "ansible_psrp_protocol": "http",
                "ansible_psrp_message_encryption": "never"}

    return Plan(tuple(HostPlan(Host(f"aadc{i:03}", hostvars(ports[i % len(ports)]),
                                    ("all", "aadconnect")), "psrp", FACTS, ())
                      for i in range(hosts)))


def timed(p: Plan, forks: int) -> tuple[float, int]:
    t0 = time.perf_counter()
    store = gather(p, forks=forks, timeout=120)
    errors = sum(1 for facts in store.values() for f in facts.values() if not f.ok)
    return time.perf_counter() - t0, errors


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--forks", type=int, default=10)
    ap.add_argument("--single-runs", type=int, default=5)
    ap.add_argument("--endpoints", type=int, default=4,
                    help="lab endpoint processes the hosts are spread over")
    args = ap.parse_args()
    load_all()
    started = [start_endpoint(args.latency_ms) for _ in range(args.endpoints)]
    ports = [port for _, port in started]
    try:
        for port in ports:
            timed(plan(1, [port]), 1)  # warm up imports and every endpoint
        one = statistics.median(timed(plan(1, ports), 1)[0] for _ in range(args.single_runs))
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        wall, errors = timed(plan(args.hosts, ports), args.forks)
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        for proc, _ in started:
            proc.terminate()
            proc.wait(10)
    server = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    ideal = math.ceil(args.hosts / args.forks) * one
    print(f"hosts={args.hosts} forks={args.forks} latency={args.latency_ms:g}ms "
          f"facts/host={len(FACTS)} endpoints={args.endpoints}")
    print(f"one host: {one * 1000:.0f} ms (median of {args.single_runs})")
    print(f"fleet wall: {wall:.2f} s; ideal ceil(hosts/forks) x one host: {ideal:.2f} s; "
          f"ratio {wall / ideal:.2f} (target <= 1.3); fact errors: {errors}")
    print(f"cpu: client {client_cpu:.2f} s ({client_cpu / args.hosts * 1000:.0f} ms/host), "
          f"lab endpoints {server.ru_utime + server.ru_stime:.2f} s, cores {os.cpu_count()}")


if __name__ == "__main__":
    main()
