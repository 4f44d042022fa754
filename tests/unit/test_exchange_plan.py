"""Before any connection: a NoLanguage endpoint (Microsoft.Exchange, or a JEA endpoint said to
be one) is never planned a script collector, and its variables are checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from checker.requests import PsCmdlet, PsSnippet
from checker.transports.psrp import PsrpTransport
from checker.transports.psrp_vars import check_psrp_vars, configuration_name, wsman_kwargs

ROOT = Path(__file__).parent.parent.parent
EXCHANGE = {"ansible_connection": "psrp", "ansible_psrp_configuration_name": "Microsoft.Exchange",
            "ansible_psrp_path": "PowerShell/", "ansible_port": 80,
            "ansible_psrp_protocol": "http", "ansible_psrp_auth": "kerberos"}


def _plan(tmp_path: Path, rule_facts: dict[str, str], hostvars: dict[str, object]) -> Any:
    rules = [{"id": "T-1", "title": "t", "severity": "high", "hosts": "exchange_servers",
              "facts": rule_facts, "expect": [{"that": "true"}]}]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    inv = {"all": {"children": {"exchange_servers": {"hosts": {"ex01.contoso.com": hostvars}}}}}
    (tmp_path / "inv.yml").write_text(yaml.safe_dump(inv))
    return subprocess.run([sys.executable, "-m", "checker", "plan", str(tmp_path / "inv.yml"),
                           "-r", str(tmp_path / "rules.yml")], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)


def test_plan_refuses_a_script_collector_on_the_exchange_endpoint(tmp_path: Path) -> None:
    proc = _plan(tmp_path, {"s": "adsync.scheduler"}, EXCHANGE)
    assert proc.returncode == 3
    assert "inv.yml" in proc.stderr and "adsync.scheduler" in proc.stderr
    assert "NoLanguage" in proc.stderr and "Traceback" not in proc.stderr


def test_plan_accepts_cmdlet_collectors_on_it(tmp_path: Path) -> None:
    proc = _plan(tmp_path, {"h": "exchange.hybrid_configuration"}, EXCHANGE)
    assert proc.returncode == 0, proc.stderr
    assert "exchange.hybrid_configuration" in proc.stdout


def test_jea_endpoint_declared_no_language(tmp_path: Path) -> None:
    jea = {**EXCHANGE, "ansible_psrp_configuration_name": "JEA.Audit",
           "checker_psrp_language_mode": "NoLanguage"}
    assert _plan(tmp_path, {"s": "adsync.scheduler"}, jea).returncode == 3
    assert PsrpTransport.check_vars({**jea, "checker_psrp_language_mode": "Sideways"})
    assert PsrpTransport.check_vars(jea) == check_psrp_vars(jea) == []


def test_refusal_and_settings() -> None:
    assert PsrpTransport.refuses(EXCHANGE, PsSnippet)
    assert PsrpTransport.refuses(EXCHANGE, PsCmdlet) is None
    assert PsrpTransport.refuses({}, PsSnippet) is None
    assert configuration_name({}) == "Microsoft.PowerShell"
    kw = wsman_kwargs("ex01", EXCHANGE, 30)
    assert (kw["path"], kw["port"], kw["ssl"]) == ("PowerShell", 80, False)


def test_cmdlet_request_describes_itself() -> None:
    call = PsCmdlet("Get-RemoteMailbox", "T", ("Alias",), (("Filter", "x"),), "Unlimited")
    assert call.arguments() == {"Filter": "x", "ResultSize": "Unlimited"}
    assert call.describe() == "Get-RemoteMailbox -Filter 'x' -ResultSize 'Unlimited' [Alias]"


def test_organization_facts_are_read_once_certificates_on_every_server(tmp_path: Path) -> None:
    hosts = {f"ex0{i}.contoso.com": dict(EXCHANGE) for i in (1, 2)}
    inv = {"all": {"children": {"exchange_servers": {
        "hosts": hosts, "vars": {"checker_exchange_routing_domain": "contoso.mail.onmicrosoft.com"}}}}}
    (tmp_path / "inv.yml").write_text(yaml.safe_dump(inv))
    proc = subprocess.run([sys.executable, "-m", "checker", "plan", str(tmp_path / "inv.yml"),
                           "-r", str(ROOT / "rules" / "exchange_server")],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.split("ex02.contoso.com")
    assert "exchange.remote_mailboxes" in first and "exchange.remote_mailboxes" not in second
    assert "exchange.certificates" in first and "exchange.certificates" in second
