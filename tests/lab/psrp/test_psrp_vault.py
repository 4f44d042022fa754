"""Ansible Vault end to end: the lab password, encrypted by the real ansible-vault, opens the
real PSRP endpoint with --vault-password-file, ANSIBLE_VAULT_PASSWORD_FILE or
--ask-vault-pass, and the decrypted password is nowhere: not in stdout/stderr at -vvv, not in
the report, the facts snapshot or the history."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import PASSWORD, ROOT, USER

pytestmark = pytest.mark.lab
VAULT_PASSWORD = "vault-Pa55-for-the-lab"


def ansible_vault() -> str:
    found = shutil.which("ansible-vault", path=str(Path(sys.executable).parent))
    assert found, "ansible-vault is missing: pip install '.[dev]'"
    return found


@pytest.fixture(scope="module")
def vaulted(endpoint: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("vault")
    (work / "vault.pw").write_text(VAULT_PASSWORD + "\n")
    secret = subprocess.run([ansible_vault(), "encrypt_string", "--vault-password-file",
                             "vault.pw", PASSWORD, "--name", "ansible_password"], cwd=work,
                            capture_output=True, text=True, check=True, timeout=120).stdout
    port = endpoint("healthy").port
    lines = ["all:", "  children:", "    aadconnect:", "      hosts:", "        aadc01:",
             "          ansible_host: 127.0.0.1", f"          ansible_port: {port}",
             "          ansible_connection: psrp", "          ansible_psrp_protocol: http",
             "          ansible_psrp_auth: ntlm", f"          ansible_user: '{USER}'",
             *("          " + line for line in secret.splitlines())]
    (work / "inventory.yml").write_text("\n".join(lines) + "\n")
    return work


def apply(work: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "checker", "apply", "inventory.yml", "-r", str(ROOT / "rules"),
         "-t", "aadconnect", *args], cwd=work, capture_output=True, text=True, timeout=180,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def no_leak(work: Path, *texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text
    for path in work.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_vault_password_file_and_environment(vaulted: Path) -> None:
    out = vaulted / "out"
    out.mkdir()
    proc = apply(vaulted, "--vault-password-file", "vault.pw", "-vvv",
                 "--report", f"json:{out}/r.json", "--save-facts", f"{out}/facts.json",
                 "--history", f"{out}/history.db")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    no_leak(vaulted, proc.stdout, proc.stderr)
    proc = apply(vaulted, env={"ANSIBLE_VAULT_PASSWORD_FILE": "vault.pw"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = apply(vaulted)
    assert proc.returncode == 3
    assert "inventory.yml:12: vault-encrypted data and no vault password" in proc.stderr
    (vaulted / "wrong.pw").write_text("not-it\n")
    proc = apply(vaulted, "--vault-id", "other@wrong.pw")
    assert proc.returncode == 3 and "decryption failed" in proc.stderr


def test_ask_vault_pass_prompts_on_the_terminal(vaulted: Path) -> None:
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "checker", "apply", "inventory.yml", "-r", str(ROOT / "rules"),
         "-t", "aadconnect", "--ask-vault-pass", "--no-color"], cwd=vaulted,
        stdin=follower, stdout=follower, stderr=follower, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 60
    while b"Vault password: " not in seen and time.monotonic() < deadline:
        if select.select([leader], [], [], 1)[0]:
            seen += os.read(leader, 4096)
    assert b"Vault password: " in seen
    os.write(leader, VAULT_PASSWORD.encode() + b"\n")
    while proc.poll() is None and time.monotonic() < deadline + 60:
        if select.select([leader], [], [], 1)[0]:
            try:
                seen += os.read(leader, 65536)
            except OSError:
                break
    assert proc.wait(60) == 0, seen.decode(errors="replace")[-2000:]
    os.close(leader)
    assert PASSWORD.encode() not in seen
