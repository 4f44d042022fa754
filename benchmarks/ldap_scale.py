"""LDAP scale benchmark: the `ad.recipients` collector against `ldapsearch` on one Samba DC.

    python benchmarks/ldap_scale.py --users 100000

Builds (once, cached as a tarball under /var/tmp/checker-bench keyed by N) a lab DC with the
Exchange schema and N mail users loaded offline (`ldbadd -o batch_mode:1`, files of 10k, 100
OUs), starts a copy on loopback (hardened: simple binds only inside TLS), then times in the
same run:
- `ldapsearch -x -ZZ -E pr=1000/noprompt` (StartTLS, one stream) with the collector's filter
  and attributes;
- the checker: the real LDAP transport + `ad.recipients` process() + the per-object checks,
  with the product's defaults (StartTLS, and `checker_ldap_parallel` unset unless --parallel).
It prints entries/s for both, the ratio (checker/ldapsearch) and the checker's peak RSS.
`--dcs 2` puts a second DC (its own dsServiceName, a write the first has not seen) behind one
round-robin name and checks that the checker still reads exactly ldapsearch's entries.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.lab import samba
from tests.lab.net import lab_ip

CACHE = Path(os.environ.get("CHECKER_BENCH_CACHE", "/var/tmp/checker-bench"))
BATCH = 10_000
DATA_VERSION = 2  # bump when user_ldif changes: the cache key
OUS = 100


def user_ldif(start: int, count: int) -> Iterator[str]:
    """Mail users; every 10th is a remote mailbox; 1 in 50 Mail Users lacks mailNickname."""
    for i in range(start, start + count):
        u = f"u{i:06d}"
        ou = f"OU=B{(i // 1000) % OUS:03d},OU=Bulk,{samba.DOMAIN_DN}"
        rtd = "2147483648" if i % 10 == 0 else "128"
        nick = "" if i % 50 == 7 else f"mailNickname: {u}\n"
        yield (f"dn: CN={u},{ou}\nobjectClass: user\nsAMAccountName: {u}\n"
               f"userPrincipalName: {u}@lab.example.com\nmail: {u}@contoso.com\n{nick}"
               f"targetAddress: SMTP:{u}@contoso.mail.onmicrosoft.com\n"
               f"proxyAddresses: SMTP:{u}@contoso.com\nproxyAddresses: smtp:{u}@alt.contoso.com\n"
               f"msExchRecipientTypeDetails: {rtd}\n\n")


def ou_ldif() -> str:
    base = f"OU=Bulk,{samba.DOMAIN_DN}"
    out = [f"dn: {base}\nobjectClass: organizationalUnit\n"]
    out += [f"dn: OU=B{k:03d},{base}\nobjectClass: organizationalUnit\n" for k in range(OUS)]
    return "\n".join(out)


def ldbadd(dc: samba.SambaDC, path: Path) -> None:
    conf = str(dc.dc / "etc" / "smb.conf")
    sam = str(dc.dc / "private" / "sam.ldb")
    subprocess.run(["ldbadd", "--configfile", conf, "-o", "batch_mode:1", "-H", sam, str(path)],
                   check=True, capture_output=True)


def build(n: int) -> Path:
    """The cached tarball of a stopped DC holding N users (built when missing)."""
    tarball = CACHE / f"dc-{n}-v{DATA_VERSION}.tar"
    if tarball.exists():
        return tarball
    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"build-{n}-", dir=CACHE))
    t0 = time.monotonic()
    templates = samba.build_templates(work / "t", ip=lab_ip(9))
    dc = templates.exchange
    (work / "ous.ldif").write_text(ou_ldif())
    ldbadd(dc, work / "ous.ldif")
    for b, start in enumerate(range(0, n, BATCH)):
        path = work / f"u{b}.ldif"
        path.write_text("".join(user_ldif(start, min(BATCH, n - start))))
        ldbadd(dc, path)
        path.unlink()
        print(f"  loaded {min(start + BATCH, n)} users, {time.monotonic() - t0:.0f} s", flush=True)
    tmp = tarball.with_suffix(".part")
    subprocess.run(["tar", "-C", str(work / "t" / "exchange"), "-cf", str(tmp), "dc", "lab-ca"],
                   check=True)
    tmp.rename(tarball)
    subprocess.run(["rm", "-rf", str(work)], check=True)
    print(f"built {tarball} in {time.monotonic() - t0:.0f} s", flush=True)
    return tarball


RULES = ["AD-EXCHANGE-SCHEMA-PRESENT", "EXCH-MAILUSER-NICKNAME", "EXCH-MAILUSER-TARGETADDRESS",
         "HYG-UPN-FORMAT", "HYG-MAIL-FORMAT", "HYG-MAILNICKNAME-FORMAT", "HYG-PROXYADDRESS-FORMAT"]


def start_copy(tarball: Path, ip: str) -> samba.SambaDC:
    root = Path(tempfile.mkdtemp(prefix="run-", dir=CACHE))
    subprocess.run(["tar", "-C", str(root), "-xf", str(tarball)], check=True)
    dc = samba.SambaDC(root, ip)
    dc.configure()
    dc.start(timeout=120)
    return dc


def time_ldapsearch(dc: samba.SambaDC, out: Path) -> tuple[float, int]:
    from checker.collectors.ad_recipients import RECIPIENT_ATTRS, RECIPIENT_FILTER

    pw = dc.root / "pw"
    pw.write_text(samba.PASSWORD)
    pw.chmod(0o600)
    cmd = ["ldapsearch", "-x", "-ZZ", "-H", dc.url, "-D", samba.ADMIN, "-y", str(pw), "-b",
           samba.DOMAIN_DN, "-E", "pr=1000/noprompt", RECIPIENT_FILTER, *RECIPIENT_ATTRS]
    env = {**os.environ, "LDAPTLS_CACERT": str(dc.ca_file), "LDAPTLS_REQCERT": "demand"}
    t0 = time.monotonic()
    with out.open("wb") as f:
        subprocess.run(cmd, stdout=f, check=True, env=env)
    elapsed = time.monotonic() - t0
    count = sum(1 for line in out.open("rb") if line.startswith(b"dn: "))
    out.unlink()
    return elapsed, count


def time_checker(dc: samba.SambaDC, parallel: int | None,
                 host: str | None = None) -> tuple[float, int, dict[str, str]]:
    """The real pipeline: plan, LDAP transport + ad.recipients, pure evaluation."""
    from checker.runner import Options, prepare, run

    inv = dc.root / "inventory.yml"
    inv.write_text(
        "all:\n  children:\n    domain_controllers:\n      hosts:\n        bench:\n"
        f"          ansible_connection: ldap\n          ansible_host: {host or dc.ip}\n"
        f"          ansible_user: {samba.ADMIN}\n"
        "          ansible_password: \"{{ lookup('env', 'BENCH_PW') }}\"\n"
        f"          checker_ldap_ca_file: {dc.ca_file}\n"
        f"          checker_ldap_server_name: {samba.DNS_NAME}\n"
        + (f"          checker_ldap_parallel: {parallel}\n" if parallel else ""))
    os.environ["BENCH_PW"] = samba.PASSWORD
    repo = Path(__file__).resolve().parents[1]
    t0 = time.monotonic()
    report, facts = run(prepare(Options(str(inv), rules=[str(repo / "rules")], rule_ids=RULES,
                                        timeout=900)))
    elapsed = time.monotonic() - t0
    count = 0
    for fact in facts.get("bench", {}).values():
        if fact.key.collector == "ad.recipients" and fact.ok:
            count = len(fact.value)
    statuses = {r.rule_id: f"{r.status.value} {r.message[:60]}" for r in report.results}
    return elapsed, count, statuses


def start_second(tarball: Path, ip: str) -> samba.SambaDC:
    """Another DC of the same directory: own dsServiceName, and one write the first lacks."""
    root = Path(tempfile.mkdtemp(prefix="run-", dir=CACHE))
    subprocess.run(["tar", "-C", str(root), "-xf", str(tarball)], check=True)
    dc = samba.SambaDC(root, ip)
    dc.configure()
    samba.become_second_dc(dc)
    dc.start(timeout=120)
    conn = dc.admin_connection()
    conn.modify(f"CN=u000007,OU=B000,OU=Bulk,{samba.DOMAIN_DN}",
                {"description": [("MODIFY_REPLACE", ["written on the second DC"])]})
    conn.unbind()
    return dc


def round_robin(name: str, ips: list[str]) -> None:
    """Resolve `name` to every DC, the order turning on each lookup (round-robin DNS)."""
    import itertools
    import socket

    real, turn = socket.getaddrinfo, itertools.count()

    def lookup(host: object, *args: object, **kw: object) -> object:
        if host != name:
            return real(host, *args, **kw)  # type: ignore[arg-type]
        order = ips if next(turn) % 2 == 0 else ips[::-1]
        return [info for ip in order for info in real(ip, *args, **kw)]  # type: ignore[arg-type]

    socket.getaddrinfo = lookup  # type: ignore[assignment]


def run(tarball: Path, n: int, parallel: int | None, rounds: int, dcs: int = 1) -> int:
    dc = start_copy(tarball, lab_ip(9))
    extra = [start_second(tarball, lab_ip(8))] if dcs > 1 else []
    host = None
    if extra:
        host = "dcs.bench.lab.example.com"
        round_robin(host, [dc.ip, extra[0].ip])
    try:
        time_ldapsearch(dc, dc.root / "warm.ldif")  # warm the DC's caches for both clients
        best_l, best_c = 1e9, 1e9
        for r in range(rounds):
            tl, nl = time_ldapsearch(dc, dc.root / "out.ldif")
            tc, nc, statuses = time_checker(dc, parallel, host)
            if nc != nl:
                print(f"MISMATCH: checker read {nc} entries, ldapsearch {nl}", flush=True)
                return 1
            print(f"round {r + 1}: ldapsearch {nl} entries in {tl:.2f} s ({nl / tl:,.0f}/s); "
                  f"checker {nc} entries in {tc:.2f} s ({nc / tc:,.0f}/s)", flush=True)
            best_l, best_c = min(best_l, tl), min(best_c, tc)
        for rule, status in statuses.items():
            print(f"  {rule}: {status}")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"N={n} parallel={parallel or 'default'} dcs={dcs}: "
              f"ldapsearch {nl / best_l:,.0f} entries/s, "
              f"checker {nc / best_c:,.0f} entries/s, ratio {best_l / best_c:.2f}, "
              f"checker peak RSS {rss:.0f} MB")
    finally:
        for d in (dc, *extra):
            d.stop()
            shutil.rmtree(d.root, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--users", type=int, default=10_000)
    p.add_argument("--parallel", type=int, default=None,
                   help="checker_ldap_parallel (default: unset, the product's default)")
    p.add_argument("--dcs", type=int, choices=(1, 2), default=1,
                   help="2: two DCs behind one round-robin name")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--build-only", action="store_true")
    args = p.parse_args(argv)
    tarball = build(args.users)
    if args.build_only:
        return 0
    return run(tarball, args.users, args.parallel, args.rounds, args.dcs)


if __name__ == "__main__":
    sys.exit(main())
