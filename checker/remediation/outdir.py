"""Writing into --remediation-out DIR without surprises.

- Each file is written to a fresh temporary name in DIR (O_EXCL | O_NOFOLLOW) and renamed
  over its final name: a symlink planted at `plan.md` is replaced, never followed.
- A manifest (`.checker-remediation.json`) lists what we wrote; the next run removes the
  files of the last one that it does not write again (a host that no longer fails leaves
  no stale script behind). Only plain names with our suffixes are ever removed.
- A DIR without a manifest that already holds plan files is refused: they were not ours.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path

from checker.errors import CheckerError

MANIFEST = ".checker-remediation.json"
_OURS = re.compile(r"(plan\.md|playbook\.yml|[A-Za-z0-9_-][A-Za-z0-9._-]*\.ps1)\Z")


class RemediationOutError(CheckerError):
    """--remediation-out DIR cannot be written safely."""


def dir_problem(out: Path) -> str | None:
    """Why DIR cannot take a plan: not a directory, or plan files no manifest explains."""
    if out.exists() and not out.is_dir():
        return f"--remediation-out {out}: not a directory"
    if not out.is_dir() or (out / MANIFEST).exists():
        return None
    foreign = sorted(p.name for p in out.iterdir() if _OURS.match(p.name))
    if foreign:
        return (f"--remediation-out {out}: already holds {', '.join(foreign[:5])}, which "
                "checker did not record writing; choose an empty directory or remove them")
    return None


def write_files(out: Path, files: Mapping[str, str]) -> list[Path]:
    """Write every file (name -> text) into `out`, then drop the last run's leftovers."""
    problem = dir_problem(out)
    if problem:
        raise RemediationOutError(problem)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with _dir_fd(out) as dfd:
            before = _manifest(dfd)
            for name, text in files.items():
                _replace(dfd, name, text)
            for name in sorted(before - files.keys()):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name, dir_fd=dfd)  # unlink removes a symlink, not its target
            _replace(dfd, MANIFEST, json.dumps(sorted(files), indent=1) + "\n")
    except OSError as e:
        raise RemediationOutError(f"--remediation-out {out}: {e.strerror or e}") from e
    return [out / name for name in files]


@contextlib.contextmanager
def _dir_fd(out: Path) -> Iterator[int]:
    dfd = os.open(out, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        yield dfd
    finally:
        os.close(dfd)


def _manifest(dfd: int) -> set[str]:
    try:
        fd = os.open(MANIFEST, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dfd)
    except FileNotFoundError:
        return set()
    with os.fdopen(fd, encoding="utf-8") as f:
        try:
            names = json.load(f)
        except ValueError:
            return set()
    return {n for n in names if isinstance(n, str) and _OURS.match(n)} if isinstance(
        names, list) else set()


def _replace(dfd: int, name: str, text: str) -> None:
    tmp = f".{name[:200]}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666, dir_fd=dfd)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dfd)
        raise
