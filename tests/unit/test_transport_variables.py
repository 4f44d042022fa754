"""Transport variables are declared once (checker/transports/variables.py tables); checks,
`checker schema inventory` and docs/transport-variables.md come from the tables, and the
tables follow ansible-core's own psrp and winrm connection plugins."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from checker.transports.base import canonical_connection, connection_names, get_transport
from checker.transports.psrp_vars import (
    PSRP_VARS,
    WINRM_VARS,
    check_psrp_vars,
    configuration_name,
    wsman_kwargs,
)
from checker.transports.variables import Var, VarTable, convert, docs_markdown

ROOT = Path(__file__).resolve().parents[2]


def ansible_options(plugin: str) -> dict[str, Any]:
    """The options of ansible-core's connection plugin, from its DOCUMENTATION."""
    spec = importlib.util.find_spec("ansible")
    assert spec and spec.origin, "ansible-core is a dev dependency"
    src = (Path(spec.origin).parent / "plugins" / "connection" / f"{plugin}.py").read_text()
    doc = re.search(r'DOCUMENTATION = r?"""(.*?)"""', src, re.S)
    assert doc
    return dict(yaml.safe_load(doc.group(1))["options"])


# Defaults computed from other settings rather than fixed: the host name; at most the
# per-host budget (Ansible: 30); operation timeout + 10 (Ansible: 30 = 20 + 10).
DERIVED_DEFAULTS = ("remote_addr", "connection_timeout", "read_timeout")


def test_psrp_table_follows_ansible_core() -> None:
    options = ansible_options("psrp")
    for var in PSRP_VARS.variables:
        assert var.option in options, var.option
        theirs = options[var.option]
        names = [v["name"] for v in theirs.get("vars", []) if v["name"] != "inventory_hostname"]
        assert list(var.names) == names, var.option  # same names, same precedence order
        if theirs.get("choices"):
            assert set(var.choices) == set(theirs["choices"]), var.option
        if theirs.get("default") is not None and var.option not in DERIVED_DEFAULTS:
            assert var.default == theirs["default"], var.option
    assert set(options) - {v.option for v in PSRP_VARS.variables} == set()


def test_winrm_table_names_are_ansible_core_names() -> None:
    options = ansible_options("winrm")
    declared = {n for o in options.values() for n in (v["name"] for v in o.get("vars", []))}
    # the rest are pywinrm's ansible_winrm_<argument> extras, passed through by the plugin
    extras = {n for n in WINRM_VARS.names() if n not in declared}
    assert all(n.startswith("ansible_winrm_") for n in extras)
    assert {"ansible_winrm_transport", "ansible_winrm_scheme", "ansible_winrm_path",
            "ansible_winrm_port"} <= set(WINRM_VARS.names())


def test_last_name_wins_as_in_ansible() -> None:
    s, problems = PSRP_VARS.read({"ansible_host": "a", "ansible_psrp_host": "b",
                                  "ansible_password": "x", "ansible_winrm_password": "y"})
    assert problems == [] and s["remote_addr"] == "b" and s["remote_password"] == "y"
    assert s.origin["remote_addr"] == "ansible_psrp_host"


@pytest.mark.parametrize(("var", "raw", "value", "problem"), [
    (Var("p", ("x",), "int", minimum=1, maximum=65535), "5986", 5986, None),
    (Var("p", ("x",), "int", minimum=1, maximum=65535), 0, None, "must be a number 1-65535"),
    (Var("p", ("x",), "int"), True, None, "must be an integer"),
    (Var("p", ("x",), "int"), "1.5", None, "must be an integer"),
    (Var("b", ("x",), "bool"), "yes", True, None),
    (Var("b", ("x",), "bool"), "maybe", None, "must be a boolean (true/false, yes/no)"),
    (Var("c", ("x",), choices=("http", "https")), "HTTPS", "https", None),
    (Var("c", ("x",), choices=("http", "https")), "ftp", None, "must be one of http, https"),
    (Var("l", ("x",), "list"), "ntlm, kerberos", ["ntlm", "kerberos"], None),
    (Var("f", ("x",), "float"), "nan", None, "must be a finite number"),
])
def test_conversions(var: Var, raw: Any, value: Any, problem: str | None) -> None:
    assert convert(var, raw) == (value, problem)


def test_a_secret_is_never_shown_in_a_problem() -> None:
    table = VarTable("t", [Var("pw", ("pw",), "int", secret=True)])
    assert table.read({"pw": "hunter2-secret"})[1] == ["pw must be an integer (got a secret)"]


def test_winrm_variables_reach_pypsrp() -> None:
    hv = {"ansible_user": "CONTOSO\\svc", "ansible_password": "pw",
          "ansible_winrm_transport": ["ntlm", "kerberos"], "ansible_winrm_scheme": "http",
          "ansible_port": 5985, "ansible_winrm_server_cert_validation": "ignore",
          "ansible_winrm_operation_timeout_sec": 5, "ansible_winrm_read_timeout_sec": 9}
    assert check_psrp_vars(hv, WINRM_VARS) == []
    kw = wsman_kwargs("aadc01", hv, 60, WINRM_VARS)
    assert (kw["auth"], kw["ssl"], kw["port"], kw["path"]) == ("ntlm", False, 5985, "wsman")
    assert (kw["operation_timeout"], kw["read_timeout"], kw["cert_validation"]) == (5, 9, False)
    assert kw["negotiate_service"] == "HTTP"  # pywinrm's default SPN service


def test_winrm_default_transport_is_the_plugins_default() -> None:
    # the winrm plugin: kerberos for user@REALM, else basic (plaintext over http, ssl over https)
    kerberos = {"ansible_user": "svc@CONTOSO.COM", "ansible_password": "pw"}
    assert wsman_kwargs("h", kerberos, 60, WINRM_VARS)["auth"] == "kerberos"
    basic = {"ansible_user": "CONTOSO\\svc", "ansible_password": "pw"}
    kw = wsman_kwargs("h", basic, 60, WINRM_VARS)
    assert (kw["auth"], kw["ssl"], kw["port"]) == ("basic", True, 5986)
    problems = check_psrp_vars({**basic, "ansible_winrm_scheme": "http"}, WINRM_VARS)
    assert problems and "cannot encrypt" in problems[0] and "never" not in problems[0]
    assert check_psrp_vars({"ansible_winrm_transport": "digest"}, WINRM_VARS)


def test_psrp_defaults_follow_the_plugin() -> None:
    kw = wsman_kwargs("h", {"ansible_psrp_auth": "kerberos"}, 60)
    assert (kw["ssl"], kw["port"], kw["path"], kw["negotiate_service"]) == \
        (True, 5986, "wsman", "WSMAN")
    assert wsman_kwargs("h", {"ansible_port": 5985}, 60)["ssl"] is False
    assert configuration_name({}) == "Microsoft.PowerShell"
    exchange = {"ansible_psrp_configuration_name": "Microsoft.Exchange",
                "ansible_psrp_path": "/PowerShell/"}
    assert configuration_name(exchange) == "Microsoft.Exchange"
    assert wsman_kwargs("h", exchange, 60)["path"] == "PowerShell"


def test_connection_names() -> None:
    for name in ("psrp", "ansible.builtin.psrp", "ansible.legacy.psrp"):
        assert get_transport(name).registry_name == "psrp"
    for name in ("winrm", "ansible.builtin.winrm"):
        cls = get_transport(name)
        assert cls.registry_name == "winrm" and cls.protocol() == "psrp"
        assert cls.variables is WINRM_VARS
    assert canonical_connection("ansible.builtin.winrm") == "winrm"
    assert {"winrm", "ansible.builtin.psrp"} <= set(connection_names())


def test_schema_and_docs_come_from_the_tables(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from checker.cli import main

    assert main(["schema", "inventory"]) == 0
    schema = json.loads(capsys.readouterr().out)
    props = schema["$defs"]["vars"]["properties"]
    assert set(PSRP_VARS.names()) | set(WINRM_VARS.names()) <= set(props)
    assert props["ansible_psrp_auth"]["anyOf"][0]["enum"] == list(PSRP_VARS.by_option["auth"]
                                                                  .choices)
    assert "ansible.builtin.psrp" in props["ansible_connection"]["enum"]
    assert props["checker_ldap_auth"]["anyOf"][0]["enum"] == ["simple", "ntlm", "kerberos"]
    docs = (ROOT / "docs" / "transport-variables.md").read_text()
    assert docs == docs_markdown(), \
        "run: python -m checker.transports.variables > docs/transport-variables.md"
