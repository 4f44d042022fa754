"""Inventory parity with ansible-core 2.19, case by case (tests/inventory_parity/cases/).

Each case is an inventory as users bring them. The reference runs once for all cases
(oracle.py: ansible-core's InventoryManager, VariableManager and Templar, which
`ansible-inventory` and `ansible --list-hosts` use); `test_real_command_lines` checks that
the real commands print the same on a few cases. Compared: host order, the group graph
(`ansible-inventory --graph`), group members, every templated variable with its type,
host patterns and `--limit` with Ansible's warnings, `-e` options as typed (`extra_args`), and
errors. Vault cases are made by the
real `ansible-vault` at test time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from checker.errors import CheckerError, InputError
from checker.inventory import LoadOptions, load_inventory
from checker.inventory.data import Where
from checker.inventory.extravars import parse_extra_vars
from checker.inventory.patterns import Matcher, split_pattern
from checker.inventory.vault import load_secrets
from tests.inventory_parity.typed import typed

HERE = Path(__file__).parent
CASES = sorted(p.name for p in (HERE / "cases").iterdir() if (p / "case.yml").exists())
VAULT_CASES = ["vault_values", "vault_file"]
VAULT_SECRET = "S3cret-from-the-vault"
OURS_ONLY = {"inventory_file", "inventory_dir"}  # internal in ansible-inventory's output


def ansible_bin(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is missing: pip install '.[dev]' (ansible-core)"
    return found


def _vault(*args: str, cwd: Path) -> str:
    proc = subprocess.run([ansible_bin("ansible-vault"), *args], cwd=cwd, capture_output=True,
                          text=True, check=True, timeout=120)
    return proc.stdout


def make_vault_cases(root: Path) -> None:
    """Two cases encrypted by the real ansible-vault: `!vault` values with a labelled
    vault id, and a vault-encrypted group_vars file."""
    case = root / "vault_values"
    (case / "group_vars").mkdir(parents=True)
    (case / "prod.pw").write_text("prod-password\n")
    (case / "other.pw").write_text("other-password\n")
    values = _vault("encrypt_string", "--vault-id", "prod@prod.pw", VAULT_SECRET,
                    "--name", "vault_ad_password", cwd=case)
    values += _vault("encrypt_string", "--vault-id", "other@other.pw", "{{ not_templated }}",
                     "--name", "vault_literal", cwd=case)
    (case / "group_vars" / "all.yml").write_text(values)
    (case / "inventory.yml").write_text(
        "all:\n  vars:\n    ansible_password: \"{{ vault_ad_password }}\"\n"
        "    joined: \"pw={{ vault_ad_password }}\"\n  hosts:\n    dc01:\n")
    (case / "case.yml").write_text(yaml.safe_dump(
        {"sources": ["inventory.yml"], "vault_ids": ["other@other.pw", "prod@prod.pw"]}))
    case = root / "vault_file"
    (case / "group_vars" / "dcs").mkdir(parents=True)
    (case / "vault.pw").write_text("file-password\n")
    secret = case / "group_vars" / "dcs" / "vault.yml"
    secret.write_text(f"vault_bind_password: {VAULT_SECRET}\nvault_port: 6360\n")
    _vault("encrypt", "--vault-password-file", "vault.pw", str(secret), cwd=case)
    (case / "group_vars" / "dcs" / "main.yml").write_text(
        "ansible_password: \"{{ vault_bind_password }}\"\nansible_port: \"{{ vault_port }}\"\n")
    (case / "inventory.ini").write_text("[dcs]\ndc01\ndc02\n")
    (case / "case.yml").write_text(yaml.safe_dump(
        {"sources": ["inventory.ini"], "vault_password_file": "vault.pw"}))


@pytest.fixture(scope="session")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    root = tmp_path_factory.mktemp("parity")
    shutil.copytree(HERE / "cases", root, dirs_exist_ok=True)
    make_vault_cases(root)
    (root / "ansible.cfg").write_text("[defaults]\n")  # no user or system config
    os.environ["ANSIBLE_CONFIG"] = str(root / "ansible.cfg")
    out = {}
    for name in [*CASES, *VAULT_CASES]:
        spec = yaml.safe_load((root / name / "case.yml").read_text())
        out[name] = {**spec, "dir": str(root / name)}
    return out


@pytest.fixture(scope="session")
def oracle(cases: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1"}
    proc = subprocess.run([sys.executable, str(HERE / "oracle.py")],
                          input=json.dumps(list(cases.values())), capture_output=True,
                          text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(zip(cases, json.loads(proc.stdout), strict=True))


@pytest.fixture
def in_case(cases: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def enter(name: str) -> dict[str, Any]:
        monkeypatch.chdir(cases[name]["dir"])
        return cases[name]
    yield enter


def load(case: dict[str, Any]) -> Any:
    ids = list(case.get("vault_ids", []))
    files = [case["vault_password_file"]] if case.get("vault_password_file") else []
    secrets = load_secrets(ids, files, False)
    extra = parse_extra_vars(case.get("extra_args", []), secrets)  # -e, as typed
    for k, v in (case.get("extra_vars") or {}).items():
        extra.set(k, v, Where("--extra-vars"))
    return load_inventory(case["sources"], LoadOptions(secrets, extra))


@pytest.mark.parametrize("name", [*CASES, *VAULT_CASES])
def test_parity(name: str, oracle: dict[str, Any], in_case: Any) -> None:
    case, want = in_case(name), oracle[name]
    if "error" in want:
        with pytest.raises(CheckerError) as e:
            load(case)
        assert case.get("error", "") in str(e.value), (str(e.value), want["error"])
        return
    assert "error" not in case, f"ansible-core accepts this inventory: {want}"
    inv = load(case)
    assert list(inv.hosts) == want["hosts"]
    assert inv.graph() == want["graph"]
    assert len(inv.warnings) == len(want["warnings"]), (inv.warnings, want["warnings"])
    for group, got in want["groups"].items():
        ours = list(inv.groups[group])
        assert (ours if got["ordered"] else sorted(ours)) == \
            (got["hosts"] if got["ordered"] else sorted(got["hosts"])), group
    for host, expected in want["vars"].items():
        compare_vars(inv.hosts[host].vars, expected, host)
    for pattern, got in want["patterns"].items():
        compare_listing(inv, pattern, None, got)
    for limit, got in want["limits"].items():
        compare_listing(inv, "all", limit, got)


def compare_vars(ours: Any, expected: dict[str, Any], host: str) -> None:
    names = set(ours) - OURS_ONLY - {"inventory_hostname", "inventory_hostname_short",
                                     "group_names"}
    assert names == set(expected) - {"inventory_hostname"}, host
    for var, value in expected.items():
        try:
            got = typed(ours[var])
        except CheckerError as e:
            assert "error" in value, f"{host} {var}: we fail ({e}), ansible-core gives {value}"
            continue
        assert got == value, f"{host} {var}"


def compare_listing(inv: Any, pattern: str, limit: str | None, want: dict[str, Any]) -> None:
    warnings: list[str] = []
    try:
        if limit is None:
            hosts = Matcher(list(inv.hosts), inv.groups, warnings.append).evaluate(
                split_pattern(pattern))
        else:
            hosts = inv.limit(limit, warnings.append)
    except InputError as e:
        assert "error" in want or want["hosts"] == [], (pattern, limit, str(e))
        assert warnings == want["warnings"]
        return
    assert "error" not in want, (pattern, limit, want)
    assert hosts == want["hosts"], (pattern, limit)
    assert warnings == want["warnings"], (pattern, limit)


def test_decrypted_values_are_secrets(in_case: Any) -> None:
    inv = load(in_case("vault_values"))
    assert VAULT_SECRET in inv.secret_values()
    assert inv.hosts["dc01"].vars["joined"] == f"pw={VAULT_SECRET}"
    assert VAULT_SECRET not in repr(inv.hosts["dc01"])
    inv = load(in_case("vault_file"))
    assert VAULT_SECRET in inv.secret_values()
    assert "6360" in inv.secret_values()  # every value of an encrypted file


def test_real_command_lines(cases: dict[str, dict[str, Any]], oracle: dict[str, Any]) -> None:
    """The oracle prints what the real ansible-inventory and ansible print."""
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1"}
    for name, pattern in (("ad_estate_yaml", "domain_controllers[1:]"),
                          ("windows_ini", "windows:!exchange")):
        case = cases[name]
        run = {"cwd": case["dir"], "env": env, "capture_output": True, "text": True,
               "timeout": 120, "check": True}
        sources = [a for s in case["sources"] for a in ("-i", s)]
        graph = subprocess.run([ansible_bin("ansible-inventory"), *sources, "--graph"], **run)
        assert graph.stdout.splitlines() == oracle[name]["graph"]
        listed = subprocess.run([ansible_bin("ansible"), *sources, pattern, "--list-hosts"],
                                **run)
        hosts = [line.strip() for line in listed.stdout.splitlines()[1:]]
        assert hosts == oracle[name]["patterns"][pattern]["hosts"]
