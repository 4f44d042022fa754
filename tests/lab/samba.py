"""Real Samba AD DCs on loopback, for the LDAP lab tests, the estate lab and the benchmark.

It installs nothing: `samba`, `samba-tool`, `ldbmodify` and `ldapmodify` must be on PATH
(Debian: samba samba-ad-dc samba-ad-provision winbind ldb-tools ldap-utils).

    python -m tests.lab.samba up healthy --dir /tmp/lab --ip 127.0.0.2   # default lab_ip(2)
    python -m tests.lab.samba up fabrikam --dir /tmp/fab --ip 127.0.0.3  # the second forest
    python -m tests.lab.samba down --dir /tmp/lab

A DC belongs to a forest (tests/lab/forests.py): `LAB` (lab.example.com, the default) or
`FABRIKAM` (fabrikam.example.com), each with its own realm, domain DN, NetBIOS name, KDC, lab
CA and Exchange organization. One DC per forest is provisioned per session, only when a test
needs that forest, and copied (`cp -a`, stopped) per scenario. LDAP ports are fixed
(389/636/3268/3269, and 88 for the KDC), so concurrent DCs listen on different loopback
addresses (`interfaces = 127.0.0.N/8`). Each forest's lab CA signs a server certificate
whose SAN holds the IP and the DC's DNS name, so TLS verification can be tested for real.

Every DC is hardened as a Windows DC is: `ldap server require strong auth = yes` refuses a
simple bind without TLS (strongerAuthRequired), as "LDAP server signing requirements =
Require signing" does. Its own KDC runs (`server services = ldap, kdc`), and `krb5_conf`
writes a krb5.conf that points the realm at it, for Kerberos (SASL GSSAPI) binds.

This module is the lab's API: the DC (samba_dc), the forests (forests) and the directory
scenarios (samba_seed). The names below are the lab forest's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.lab.forests import FABRIKAM, FORESTS, LAB, PASSWORD, Forest, forest_named
from tests.lab.labtls import write_server_files
from tests.lab.net import lab_ip
from tests.lab.samba_dc import (
    LabError,
    SambaDC,
    Templates,
    become_second_dc,
    build_templates,
    provision,
    require_tools,
)
from tests.lab.samba_seed import (
    backdate,
    load_scenario,
    scenario_forest,
    scenario_ldif,
    scenario_names,
    start_scenario,
)

__all__ = ["ADMIN", "CONFIG_NC", "DNS_DOMAIN", "DNS_NAME", "DOMAIN_DN", "FABRIKAM", "FORESTS",
           "HOSTNAME", "LAB", "PASSWORD", "REALM", "SCHEMA_NC", "Forest", "LabError", "SambaDC",
           "Templates", "backdate", "become_second_dc", "build_templates", "forest_named",
           "load_scenario", "provision", "require_tools", "scenario_forest", "scenario_ldif",
           "scenario_names", "start_scenario", "write_server_files"]

REALM = LAB.realm
DNS_DOMAIN = LAB.dns_domain
DOMAIN_DN = LAB.domain_dn
CONFIG_NC = LAB.config_nc
SCHEMA_NC = LAB.schema_nc
HOSTNAME = LAB.hostname
DNS_NAME = LAB.dns_name
ADMIN = LAB.admin


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.lab.samba")
    p.add_argument("action", choices=["up", "down"])
    p.add_argument("scenario", nargs="?", default="healthy")
    p.add_argument("--dir", type=Path, required=True)
    p.add_argument("--ip", default=None, help="default: lab_ip(2), 127.<CHECKER_LAB_NET>.0.2")
    args = p.parse_args(argv)
    if args.action == "down":
        SambaDC(args.dir / "run").stop()
        return 0
    ip = args.ip or lab_ip(2)
    forest = scenario_forest(load_scenario(args.scenario))
    templates = build_templates(args.dir / "templates", ip, forest)
    dc = start_scenario(templates, args.scenario, args.dir / "run", ip)
    print(f"url={dc.url} ldaps=ldaps://{dc.ip} ca_file={dc.ca_file} user={forest.admin}")
    print(f"password: LAB_AD_PASSWORD={PASSWORD}  (lab only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
