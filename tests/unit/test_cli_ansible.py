"""Ansible's command-line habits on every command: -i (and the positional form), -l/--limit
with Ansible's warning, -t/--skip-tags comma-separated (an unknown tag is exit 3), -e
(k=v, JSON, @file) with extra-vars precedence, -f validated, -v..-vvv, colour switches,
ansible.cfg and ANSIBLE_INVENTORY / ANSIBLE_VAULT_PASSWORD_FILE."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checker.cli import main
from checker.inventory.config import color_wanted, load_settings

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "inventories" / "demo"
DC, AADC = "dc01.lab.example.com", "aadc01.lab.example.com"


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the demo estate as the current folder, with no ansible.cfg around."""
    work = tmp_path / "demo"
    shutil.copytree(DEMO, work)
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("ANSIBLE_CONFIG", "ANSIBLE_INVENTORY", "ANSIBLE_VAULT_PASSWORD_FILE",
                 "NO_COLOR", "ANSIBLE_NOCOLOR", "ANSIBLE_FORKS"):
        monkeypatch.delenv(name, raising=False)
    return work


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_inventory_flag_on_every_command(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["plan", "-i", "inventory.yml"], ["plan", "inventory.yml"],
                    ["list", "hosts", "-i", "inventory.yml"],
                    ["validate", str(ROOT / "rules"), "-i", "inventory.yml"]):
        code, _, err = run(capsys, *command)
        assert code == 0, (command, err)
    code, _, _ = run(capsys, "apply", "-i", "inventory.yml", "--report", "json:r.json")
    assert code == 1 and json.loads(Path("r.json").read_text())["summary"]["fail"] > 0


def test_limit_warns_as_ansible_and_nothing_left_is_exit_3(
        demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "list", "hosts", "-i", "inventory.yml", "-l", "aadc*,nothere")
    assert code == 0 and out.split()[0] == AADC
    assert "[WARNING]: Could not match supplied host pattern, ignoring: nothere" in err
    Path("retry").write_text(f"{DC}\n")
    code, out, _ = run(capsys, "list", "hosts", "-i", "inventory.yml", "--limit", "@retry")
    assert code == 0 and out.split()[0] == DC
    code, out, err = run(capsys, "plan", "inventory.yml", "--limit", "~dc0[2-9]")
    assert code == 3
    assert "Specified inventory, host pattern and/or --limit leaves us with no hosts" in err


def test_tags_are_comma_separated_and_unknown_ones_are_an_error(
        demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, one, _ = run(capsys, "plan", "inventory.yml", "-t", "upn")
    assert code == 0
    code, both, _ = run(capsys, "plan", "inventory.yml", "--tags", "upn,lifecycle")
    assert code == 0 and both.count("  rule  ") > one.count("  rule  ")
    code, skipped, _ = run(capsys, "plan", "inventory.yml", "--skip-tags", "upn,lifecycle")
    assert code == 0 and "AD-UPN" not in skipped
    code, _, err = run(capsys, "apply", "inventory.yml", "--tags", "upn,no-such-tag")
    assert code == 3
    assert "--tags: unknown tag(s) no-such-tag (known tags: aadconnect, ad," in err
    code, _, err = run(capsys, "plan", "inventory.yml", "--skip-tags", "typo")
    assert code == 3 and "--skip-tags: unknown tag(s) typo" in err


def test_extra_vars_win_over_the_inventory(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("extra.yml").write_text("ansible_connection: adsync_export\n")
    for extra in ("ansible_connection=adsync_export", '{"ansible_connection": "adsync_export"}',
                  "@extra.yml"):
        code, out, err = run(capsys, "list", "hosts", "-i", "inventory.yml", "-e", extra)
        assert code == 0, err
        assert out.split()[1] == "adsync_export", extra
    code, _, err = run(capsys, "plan", "inventory.yml", "-e", "justaword")
    assert code == 3 and "expected key=value" in err


def test_forks_are_validated_from_the_flag_and_from_ansible_cfg(
        demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "apply", "inventory.yml", "-f", "0")[0] == 3
    Path("ansible.cfg").write_text("[defaults]\nforks = 0\n")
    code, _, err = run(capsys, "apply", "inventory.yml")
    assert code == 3 and "forks must be 1 or more" in err and "ansible.cfg" in err
    assert run(capsys, "apply", "inventory.yml", "--forks", "3", "--report", "json:r.json")[0] == 1


def test_verbosity_levels_each_add_detail(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lengths = []
    for flags in ([], ["-v"], ["-vv"], ["-vvv"]):
        code, _, err = run(capsys, "apply", "inventory.yml", "--report", "json:r.json", *flags)
        assert code == 1
        lengths.append(len(err.splitlines()))
    assert lengths == sorted(lengths) and len(set(lengths)) == 4, lengths
    assert f"gathered {AADC}" in err and "inventory = " in err and f"{DC}: snapshot" in err


def test_ansible_cfg_and_environment_name_the_inventory(
        demo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    Path("sub").mkdir()
    Path("sub/ansible.cfg").write_text("[defaults]\ninventory = ../inventory.yml\n")
    monkeypatch.setenv("ANSIBLE_CONFIG", "sub")  # a folder: its ansible.cfg
    code, out, _ = run(capsys, "list", "hosts")
    assert code == 0 and DC in out  # relative to the file's folder
    monkeypatch.delenv("ANSIBLE_CONFIG")
    Path("other.ini").write_text("[aadconnect]\nonly-this-one ansible_connection=snapshot\n")
    monkeypatch.setenv("ANSIBLE_INVENTORY", "other.ini")
    code, out, _ = run(capsys, "list", "hosts")
    assert code == 0 and out.split()[0] == "only-this-one"
    code, out, _ = run(capsys, "list", "hosts", "-i", "inventory.yml")  # the flag wins
    assert out.split()[0] == DC


def test_config_file_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    (home / ".ansible.cfg").write_text("[defaults]\nforks = 7\n")
    monkeypatch.chdir(cwd)
    env = {"HOME": str(home)}
    monkeypatch.setenv("HOME", str(home))
    assert load_settings(env).forks == 7
    (cwd / "ansible.cfg").write_text("[defaults]\nforks = 8\nnocolor = yes\n")
    assert load_settings(env).forks == 8 and load_settings(env).nocolor
    (tmp_path / "explicit.cfg").write_text("[defaults]\nforks = 9\n")
    assert load_settings({**env, "ANSIBLE_CONFIG": str(tmp_path / "explicit.cfg")}).forks == 9
    assert load_settings({**env, "ANSIBLE_FORKS": "11"}).forks == 11  # environment beats file
    cwd.chmod(0o777)  # a world-writable folder's ansible.cfg is ignored, as by Ansible
    try:
        settings = load_settings(env)
        assert settings.forks == 7 and "world writable" in settings.warnings[0]
    finally:
        cwd.chmod(0o755)


@pytest.mark.parametrize(("env", "flag", "colour"), [
    ({}, False, True), ({}, True, False), ({"NO_COLOR": "1"}, False, False),
    ({"TERM": "dumb"}, False, False), ({"ANSIBLE_NOCOLOR": "true"}, False, False),
])
def test_colour_switches(env: dict[str, str], flag: bool, colour: bool,
                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert color_wanted(True, flag, {"HOME": str(tmp_path), **env}) is colour
    assert color_wanted(False, False, {"HOME": str(tmp_path)}) is False


def test_no_color_on_a_real_terminal(demo: Path) -> None:
    """The console on a pty: coloured by default, plain with NO_COLOR or --no-color."""
    def console(*extra: str, **env: str) -> bytes:
        leader, follower = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "checker", "apply", "inventory.yml",
                                 *extra], stdout=follower, stderr=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONPATH": str(ROOT), **env})
        os.close(follower)
        chunks = []
        while True:
            ready, _, _ = select.select([leader], [], [], 60)
            try:
                chunk = os.read(leader, 65536) if ready else b""
            except OSError:
                chunk = b""
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(60)
        os.close(leader)
        return b"".join(chunks)

    assert b"\x1b[" in console()
    assert b"\x1b[" not in console(NO_COLOR="1")
    assert b"\x1b[" not in console("--no-color")
