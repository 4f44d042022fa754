"""The bad-input corpus: each case exits 3 with a file:line message, no traceback, nothing
written, and no connection to the host the inventory names (a listener on loopback counts
connections).

A case is a folder with `case.yml`: `expect` (text stderr must hold), and optionally `args`
(more command-line arguments) and `rules` (what `-r` names; default rules.yml). A missing
inventory.yml or rules.yml is filled with a valid one."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

CORPUS = Path(__file__).parent.parent / "bad_inputs"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.yml").is_file())

GOOD_RULE = """\
- id: X-GOOD
  title: a valid rule
  severity: low
  hosts: aadconnect
  facts:
    adsync: adsync.global_settings
  expect:
    - key: adsync.version
      op: version_ge
      value: "2.0"
"""


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, int]]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.setblocking(False)
    yield srv, srv.getsockname()[1]
    srv.close()


def test_corpus_is_complete() -> None:
    wanted = {"malformed_yaml", "alias_bomb", "schema_invalid", "unknown_collector",
              "depends_cycle", "jinja_syntax", "sandbox_escape", "bad_group_vars",
              "undefined_env"}
    assert wanted <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_bad_input(case: str, tmp_path: Path, listener: tuple[socket.socket, int]) -> None:
    srv, port = listener
    work = tmp_path / case
    shutil.copytree(CORPUS / case, work)
    if not (work / "inventory.yml").exists():
        inv = {"all": {"children": {"aadconnect": {"hosts": {"aadc1": {
            "ansible_connection": "psrp", "ansible_host": "127.0.0.1", "ansible_port": port,
            "ansible_user": "u", "ansible_password": "p", "ansible_psrp_auth": "ntlm"}}}}}}
        (work / "inventory.yml").write_text(yaml.safe_dump(inv))
    if not (work / "rules.yml").exists():
        (work / "rules.yml").write_text(GOOD_RULE)
    case = yaml.safe_load((work / "case.yml").read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHECKER_TEST_")}
    before = sorted(work.rglob("*"))
    proc = subprocess.run(
        [sys.executable, "-m", "checker", "apply", case.get("inventory", "inventory.yml"),
         "-r", case.get("rules", "rules.yml"), *case.get("args", [])],
        cwd=work, capture_output=True, text=True, timeout=60, env=env,
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert case["expect"] in proc.stderr, proc.stderr
    assert "nothing was contacted" in proc.stderr
    assert sorted(work.rglob("*")) == before  # nothing written
    with pytest.raises(BlockingIOError):
        srv.accept()  # no connection was attempted
