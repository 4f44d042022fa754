"""`ansible_connection: winrm` (with ansible_winrm_* variables) and the fully qualified
`ansible.builtin.psrp` reach the real WSMan/PSRP endpoint through the same client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import PASSWORD, USER, apply, write_inventory

pytestmark = pytest.mark.lab


def test_winrm_and_fqcn_connections(endpoint: Any, tmp_path: Path) -> None:
    port = endpoint("healthy").port
    winrm = {"ansible_connection": "winrm", "ansible_host": "127.0.0.1", "ansible_port": port,
             "ansible_winrm_scheme": "http", "ansible_winrm_transport": "ntlm",
             "ansible_winrm_user": USER, "ansible_winrm_password": PASSWORD,
             "ansible_winrm_operation_timeout_sec": 2}
    fqcn = {"ansible_connection": "ansible.builtin.psrp", "ansible_host": "127.0.0.1",
            "ansible_port": port}
    inv = write_inventory(tmp_path / "inventory.yml", {"aadc01": winrm, "aadc02": fqcn})
    code, report, output = apply(inv, tmp_path, "--tags", "aadconnect")
    rows = report["results"]
    assert {r["host"] for r in rows} == {"aadc01", "aadc02"}, output
    assert not [r for r in rows if r["status"] == "error"], output
    assert code == 0, output
