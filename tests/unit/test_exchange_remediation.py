"""The `cmdlet` remediation kind: parameters become PowerShell literals (never spliced), the
command line reads the same in plan.md, the .ps1 and the playbook, and --remediate gets the
name and the parameters to send as a command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker.errors import CollectError
from checker.redact import Redactor
from checker.remediation.execute import describe_tasks
from checker.remediation.kinds import kind_of
from checker.reporters.json_report import task_json
from checker.results import RenderedTask
from checker.runner import Options, prepare, run
from checker.transports.base import get_transport
from checker.wire.ps_quote import command_line
from tests.estate import MRS_PROXY_RULE, ews_vdir_row, write_estate, write_rules

HOSTILE = "EX01\\EWS'; Remove-Item C:\\ -Recurse; '$(whoami)"


def test_command_line_quotes_every_value() -> None:
    line = command_line("Set-WebServicesVirtualDirectory",
                        {"Identity": HOSTILE, "MRSProxyEnabled": True, "Port": 443})
    assert line == ("Set-WebServicesVirtualDirectory -Identity "
                    "'EX01\\EWS''; Remove-Item C:\\ -Recurse; ''$(whoami)' "
                    "-MRSProxyEnabled:$true -Port 443")
    for name, params in (("Set-X; Remove-Item", {}), ("Set-X", {"A; B": 1})):
        with pytest.raises(ValueError):
            command_line(name, params)


def _task(script: str = "Set-X -Identity 'a'") -> RenderedTask:
    return RenderedTask("Enable", "cmdlet", "R", "ex01", script=script, cmdlet="Set-X",
                        parameters=(("Identity", "a"),))


def test_kind_renders_for_the_shell_and_runs_as_a_command() -> None:
    kind = kind_of(_task())
    script = kind.script(_task()) or ""
    assert "\n    Set-X -Identity 'a'\n" in script
    assert "Import-PSSession $exchange -CommandName 'Set-X'" in script  # outside the EMS
    assert script.endswith("if ($exchange) { Remove-PSSession $exchange }\n}")  # cleaned up
    sent: list[Any] = []

    class Endpoint:
        def run_command(self, name: str, parameters: dict[str, Any]) -> str:
            sent.append((name, parameters))
            return ""

        def run_script(self, script: str) -> str:
            raise AssertionError("a cmdlet task is never sent as a script")

    kind.run(Endpoint(), _task())
    assert sent == [("Set-X", {"Identity": "a"})]
    assert task_json(_task()) == {"name": "Enable", "kind": "cmdlet", "script": _task().script,
                                  "cmdlet": "Set-X", "parameters": {"Identity": "a"}}


def test_transports_that_cannot_run_cmdlets_say_so() -> None:
    ldap = get_transport("ldap")("dc1", {"ansible_host": "127.0.0.1"}, 5)
    with pytest.raises(CollectError, match="cannot run cmdlets"):
        ldap.run_command("Set-X", {})


def test_rule_renders_hostile_directory_data_as_literals(tmp_path: Path) -> None:
    inventory = write_estate(tmp_path, {"ex01": {"group": "exchange_servers",
                                                 "facts": [ews_vdir_row(HOSTILE)]}})
    rules = write_rules(tmp_path, [MRS_PROXY_RULE])
    report, _ = run(prepare(Options(inventory=str(inventory), rules=[str(rules)])))
    (row,) = [r for r in report.results if r.rule_id == "T-MRS"]
    (task,) = row.remediation
    assert task.parameters == (("Identity", HOSTILE), ("MRSProxyEnabled", True))
    assert task.script == command_line("Set-WebServicesVirtualDirectory",
                                       {"Identity": HOSTILE, "MRSProxyEnabled": True})
    json.dumps(task_json(task))  # plain JSON


def test_schema_requires_the_cmdlet(tmp_path: Path) -> None:
    from checker.errors import CheckerError
    from checker.ruleset.loader import load_rules

    rules = write_rules(tmp_path, [{
        "id": "T-X", "title": "t", "severity": "high", "hosts": "all",
        "expect": [{"that": "true"}], "remediation": [{"name": "x", "kind": "cmdlet"}]}])
    with pytest.raises(CheckerError, match="cmdlet"):
        load_rules([str(rules)])


def test_playbook_reaches_an_exchange_host_through_winrm(tmp_path: Path) -> None:
    """`--remediation-out` names the hosts whose inventory endpoint runs no script, so their
    play connects to the server's own WinRM endpoint (the inventory keeps Exchange's)."""
    from checker.delivery import write_plan
    from tests.ansible_yaml import load_playbook

    rows = [ews_vdir_row("EX01\\EWS (Default Web Site)")]
    exchange = {"ansible_connection": "psrp", "ansible_port": 80, "ansible_psrp_protocol": "http",
                "ansible_psrp_configuration_name": "Microsoft.Exchange",
                "ansible_psrp_path": "PowerShell"}
    inventory = write_estate(tmp_path, {
        "ex01": {"group": "exchange_servers", "vars": exchange, "facts": rows},
        "ex02": {"group": "exchange_servers", "facts": rows,
                 "vars": {"ansible_connection": "psrp", "ansible_psrp_protocol": "http"}}})
    rules = write_rules(tmp_path, [MRS_PROXY_RULE])
    prepared = prepare(Options(inventory=str(inventory), rules=[str(rules)],
                               from_facts=str(tmp_path / "facts.json")))
    report, _ = run(prepared)
    assert write_plan(prepared, report, str(tmp_path / "out"), print) == 1
    plays = {p["vars"]["checker_target"]: p["vars"] for p in load_playbook(
        (tmp_path / "out" / "playbook.yml").read_text(encoding="utf-8"))}
    assert plays["ex01"]["ansible_psrp_configuration_name"] == "Microsoft.PowerShell"
    assert plays["ex01"]["ansible_psrp_path"] == "wsman"
    assert "checker_winrm_port" in plays["ex01"]["ansible_psrp_port"]
    assert set(plays["ex02"]) == {"checker_target"}  # a full-language endpoint keeps its own


def test_the_remediate_listing_shows_the_command_that_is_sent() -> None:
    """--remediate asks the admin to confirm what it will run: for a cmdlet task that is the
    command sent through the host's endpoint, not the .ps1's New-PSSession wrapper (which the
    listing showed, and which --remediate never runs)."""
    listing = describe_tasks({"ex01": [_task()]}, Redactor())
    assert listing.splitlines()[1:] == ["  1. [will run] Enable", "       Set-X -Identity 'a'"]
