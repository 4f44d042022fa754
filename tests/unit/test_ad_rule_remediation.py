"""The shipped AD rules' remediation, from recorded facts: a step that changes the directory
must name the forest or domain it changes (a management host's own forest or domain is not
necessarily the one the DC under test serves), and a value only the admin can choose (the
verified domain, the external address) makes the step manual, never a script that would run
with a placeholder in it (--remediate, the .ps1, the playbook)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import tree_sitter
import tree_sitter_powershell
import yaml

from checker.results import RenderedTask
from checker.runner import Options, prepare, run
from checker.wire.ps_quote import literal
from tests.estate import fact_row, write_estate

ROOT = Path(__file__).resolve().parents[2]
HOST = "dc01.emea.fabrikam.example"
RUNNABLE = ("powershell", "cmdlet")
PS = tree_sitter.Language(tree_sitter_powershell.language())
PLACEHOLDER = re.compile(r"<[A-Za-z][\w .-]*>")


def _remediation(tmp_path: Path, facts: dict[str, Any], rule: str) -> list[RenderedTask]:
    rows = [fact_row(name, value) for name, value in facts.items()]
    inventory = write_estate(tmp_path, {HOST: {"group": "domain_controllers", "facts": rows}})
    report, _ = run(prepare(Options(inventory=str(inventory), rules=[str(ROOT / "rules")],
                                    rule_ids=[rule])))
    (row,) = [r for r in report.results if r.rule_id == rule]
    assert row.status.value == "fail", row.message
    return list(row.remediation)


def _shipped_steps() -> list[tuple[str, dict[str, Any]]]:
    return [(rule["id"], step)
            for path in sorted((ROOT / "rules").rglob("*.yml")) if path.name != "profiles.yml"
            for rule in yaml.safe_load(path.read_text(encoding="utf-8")) or []
            for step in rule.get("remediation") or []]


@pytest.mark.parametrize(("rule", "step"), _shipped_steps(),
                         ids=[f"{r}:{s['name']}" for r, s in _shipped_steps()])
def test_no_step_that_runs_holds_a_placeholder(rule: str, step: dict[str, Any]) -> None:
    if step["kind"] in RUNNABLE:
        text = f"{step.get('script', '')} {step.get('parameters', '')}"
        assert not PLACEHOLDER.search(text), f"{rule}: {step['name']} would run {text!r}"


def test_a_non_routable_suffix_is_added_by_hand_to_the_forest_of_the_dc(tmp_path: Path) -> None:
    upn = {"forest_dns_name": "fabrikam.example", "suffixes": ["fabrikam.example", "corp.local"],
           "alternative": ["corp.local"], "domains": ["fabrikam.example"], "ou_suffixes": []}
    tasks = _remediation(tmp_path, {"ad.upn_suffixes": upn}, "AD-UPN-SUFFIX-ROUTABLE")
    assert [t.kind for t in tasks] == ["manual", "manual"]
    assert ("Set-ADForest -Identity 'fabrikam.example' -Server 'fabrikam.example'"
            in tasks[0].steps)


def _mail_user(**fields: Any) -> dict[str, Any]:
    return {"dn": "CN=Nick,OU=Mail,DC=emea,DC=fabrikam,DC=example", "object_class": "user",
            "object_guid": "4e7c23ed-c5f0-4ba0-883d-78eec8091d0c", "sam_account_name": "nick",
            "mail": "nick@fabrikam.example", "mail_nickname": "nick",
            "target_address": "SMTP:nick@fabrikam.mail.onmicrosoft.com",
            "recipient_type_details": 128, "recipient_type": "MailUser", **fields}


def test_a_mail_user_without_target_address_is_fixed_by_hand(tmp_path: Path) -> None:
    facts = {"ad.recipients": [_mail_user(target_address=None)]}
    tasks = _remediation(tmp_path, facts, "EXCH-MAILUSER-TARGETADDRESS")
    assert [t.kind for t in tasks] == ["manual"]
    assert "Set-MailUser -Identity '4e7c23ed-c5f0-4ba0-883d-78eec8091d0c'" in tasks[0].steps
    assert "Exchange Management Shell" in tasks[0].steps


def test_a_missing_mail_nickname_is_set_in_the_domain_of_the_user(tmp_path: Path) -> None:
    facts = {"ad.recipients": [_mail_user(mail_nickname=None)]}
    (task,) = _remediation(tmp_path, facts, "EXCH-MAILUSER-NICKNAME")
    assert task.script is not None
    assert ("Set-ADUser -Identity '4e7c23ed-c5f0-4ba0-883d-78eec8091d0c' "
            "-Server 'emea.fabrikam.example' -Replace @{mailNickname = 'nick'}") in task.script


# A directory value with a statement behind every kind of separator PowerShell honours.
EVIL = "x'y\"`z$(Stop-Computer)\r\nRemove-Item C:\\ #>\r; Restart-Computer {{ lookup('pipe','id') }}"


def _pasted_command(steps: str, cmdlet: str) -> tuple[bytes, tree_sitter.Tree]:
    """The command a manual step tells the admin to paste, as PowerShell parses it."""
    source = steps[steps.index(cmdlet):].strip().rstrip(".").encode()
    return source, tree_sitter.Parser(PS).parse(source)


def _commands(source: bytes, tree: tree_sitter.Tree) -> list[bytes]:
    found, todo = [], [tree.root_node]
    while todo:
        node = todo.pop()
        todo += node.children
        if node.type == "command_name":
            found.append(source[node.start_byte:node.end_byte])
    return found


@pytest.mark.parametrize(("rule", "cmdlet"), [("AD-UPN-SUFFIX-ROUTABLE", "Set-ADForest"),
                                              ("EXCH-MAILUSER-TARGETADDRESS", "Set-MailUser")])
def test_a_command_shown_in_a_manual_step_keeps_directory_values_as_arguments(
        tmp_path: Path, rule: str, cmdlet: str) -> None:
    """A forest name or GUID pasted as text after -Identity would run its $(...) or the
    statement after its line break in the admin's shell: each is one quoted literal."""
    upn = {"forest_dns_name": EVIL, "suffixes": ["corp.local"], "alternative": ["corp.local"],
           "domains": [EVIL], "ou_suffixes": []}
    facts = {"ad.upn_suffixes": upn, "ad.recipients": [_mail_user(target_address=None,
                                                                  object_guid=EVIL)]}
    steps = _remediation(tmp_path, facts, rule)[0].steps or ""
    source, tree = _pasted_command(steps, cmdlet)
    assert not tree.root_node.has_error, source
    assert _commands(source, tree) == [cmdlet.encode()], source
    assert f"-Identity {literal(EVIL)}" in steps
