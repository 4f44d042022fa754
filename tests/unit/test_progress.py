"""Progress on long runs: on a terminal (a real pty), without -v, one live line with the
hosts done out of total and the slowest host still running; in a pipe or a log, nothing.
The slow host is a PSRP host whose peer accepts the connection and never answers."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.peers import silent_listener

ROOT = Path(__file__).parent.parent.parent
DEMO = ROOT / "inventories" / "demo"


@pytest.fixture
def silent_peer() -> Iterator[int]:
    """A hung WinRM service: it accepts the connection and then says nothing."""
    with silent_listener() as port:
        yield port


def inventory(tmp: Path, port: int) -> Path:
    inv = {"all": {"children": {
        "domain_controllers": {"hosts": {"dc01.lab.example.com": {}}},
        "aadconnect": {"hosts": {
            "aadc01.lab.example.com": {},
            "slow01": {"ansible_connection": "psrp", "ansible_host": "127.0.0.1",
                       "ansible_port": port, "ansible_psrp_protocol": "http",
                       "ansible_psrp_auth": "ntlm", "ansible_user": "u",
                       "ansible_password": "p", "ansible_psrp_operation_timeout": 1,
                       "ansible_psrp_read_timeout": 2}}}},
        "vars": {"ansible_connection": "snapshot",
                 "checker_facts_file": str(DEMO / "facts.json")}}}
    path = tmp / "inventory.yml"
    path.write_text(json.dumps(inv))
    return path


def run_on_pty(args: list[str]) -> tuple[int, str]:
    """Run checker with stderr on a pseudo-terminal; returns (exit code, what the pty got)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "checker", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return proc.wait(60), b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_shows_hosts_done_and_the_slowest_host(tmp_path, silent_peer) -> None:
    code, screen = run_on_pty(["apply", str(inventory(tmp_path, silent_peer)),
                               "--rule", "AADC-STAGING-MODE", "--rule", "AD-FOREST-FUNCTIONAL-LEVEL"])
    assert code == 2  # slow01 never answered: error
    assert re.search(r"gathering: 2/3 hosts done; slowest still running: slow01 \([12] s\)",
                     screen), screen
    assert screen.rstrip(" \r\n").endswith("\x1b[K") or "\x1b[K" in screen  # erased at the end


def test_a_pipe_gets_no_progress_and_verbose_gets_lines() -> None:
    args = [sys.executable, "-m", "checker", "apply", str(DEMO / "inventory.yml")]
    quiet = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert quiet.stderr == ""
    verbose = subprocess.run([*args, "-v"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    lines = sorted(verbose.stderr.splitlines())
    assert lines == ["gathered aadc01.lab.example.com (1/2)", "gathered dc01.lab.example.com (2/2)"] \
        or lines == ["gathered aadc01.lab.example.com (2/2)", "gathered dc01.lab.example.com (1/2)"]


class _Terminal:
    def isatty(self) -> bool:
        return True


def test_a_dumb_terminal_gets_no_live_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from checker.reporters.progress import LiveLine, progress_for

    monkeypatch.setenv("TERM", "xterm")
    live = progress_for(3, False, _Terminal())  # type: ignore[arg-type]
    assert isinstance(live, LiveLine)
    live.stopped.set()
    monkeypatch.setenv("TERM", "dumb")
    assert progress_for(3, False, _Terminal()) is None  # type: ignore[arg-type]
