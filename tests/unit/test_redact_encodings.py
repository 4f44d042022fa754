"""A secret is masked in every common encoding, in every output.

Table-driven over `checker.redact.ENCODINGS` (and base64 at each byte alignment); end to
end, a run whose directory data and failure messages carry the secret repr-, JSON- and
PowerShell-escaped writes every report format, a facts snapshot, the history database and
the remediation plan, and none of them holds the secret in any encoding.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checker.redact import ENCODINGS, MASK, Redactor, encoded_forms
from checker.wire.ps_quote import literal
from tests.hostile_estate import build

SECRET = "s3cr\\et'pw&<x> \"é\"$`/+"


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_each_encoding_is_masked(name: str) -> None:
    encoded = ENCODINGS[name](SECRET)
    assert Redactor([SECRET]).text(f"before {encoded} after") == f"before {MASK} after"


@pytest.mark.parametrize(("outer", "inner"), [("json", "powershell-single"), ("html", "json"),
                                              ("json", "repr"), ("url", "json")])
def test_an_encoding_inside_another_is_masked(outer: str, inner: str) -> None:
    encoded = ENCODINGS[outer](ENCODINGS[inner](SECRET))
    assert MASK in Redactor([SECRET]).text(encoded)
    assert encoded in encoded_forms(SECRET)


@pytest.mark.parametrize("prefix", [b"", b"a", b"ab", b"Authorization: Basic user:"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le"])
def test_base64_at_every_alignment_is_masked(prefix: bytes, encoding: str) -> None:
    blob = base64.b64encode(prefix + SECRET.encode(encoding) + b" tail").decode()
    masked = Redactor([SECRET]).text(blob)
    assert MASK in masked
    assert len(masked) < len(blob)


@pytest.mark.parametrize("secret", ["Pa\x07ss-w0rd!", "\x1bPassw0rd", "Passw0rd\r\n", "pa\u202ess'wd"])
def test_a_secret_spelled_with_char_in_a_script_literal_is_masked(secret: str) -> None:
    """A secret holding a control character, a line break or a bidi override is written in a
    script as ('Pa' + [char]7 + 'ss-w0rd!'): its halves leaked past every other form."""
    script = "Set-X -Value " + literal(f"user {secret} end") + " -Other " + literal(secret)
    masked = Redactor([secret]).text(script)
    assert "ss-w0rd" not in masked and "assw0rd" not in masked and "ss''wd" not in masked, masked
    assert masked.count(MASK) == 2


def test_short_and_unrelated_text_is_left_alone() -> None:
    r = Redactor(["abc", "hunter22"])
    assert r.text("abc hunter2 aHVudGVy") == "abc hunter2 aHVudGVy"


def test_no_output_holds_the_secret_in_any_encoding(tmp_path: Path) -> None:
    # The connector's name quotes the secret JSON-escaped; a rule's failure message quotes
    # it repr-escaped; a remediation script quotes it as a PowerShell literal.
    build(tmp_path, "conn " + json.dumps(SECRET), SECRET, "dc01", "aadc01")
    out = tmp_path / "out"
    reports = [f"{fmt}:{out / ('report.' + fmt)}" for fmt in
               ("json", "junit", "markdown", "html", "prometheus")]
    cmd = [sys.executable, "-m", "checker", "apply", "inventory.yml", "-r", "rules.yml",
           "--save-facts", str(out / "facts.json"), "--history", str(out / "runs.db"),
           "--remediation-out", str(out / "plan"), "--report", "console",
           *[arg for spec in reports for arg in ("--report", spec)]]
    out.mkdir()
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 1, proc.stderr
    forms = sorted(encoded_forms(SECRET), key=len)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) >= 10
    for name, data in [("stdout", proc.stdout.encode()), ("stderr", proc.stderr.encode()),
                       *[(str(p.relative_to(out)), p.read_bytes()) for p in files]]:
        leaked = [f for f in forms if f.encode() in data or f.encode("utf-16-le") in data]
        assert not leaked, f"{name} holds the secret as {leaked[0]!r}"
    assert MASK in (out / "report.json").read_text()
