"""Where things are found by default (kept import-light for the CLI)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from checker.errors import InputError


def default_rules_dirs() -> list[str]:
    """./rules when run from a checkout, else the rule packs installed with checker."""
    if Path("rules").is_dir():
        return ["rules"]
    package = Path(__file__).parent
    # Installed: the packs are package data in checker/rules. Editable or source checkout:
    # they are the top-level rules/ folder beside the package.
    for candidate in (package / "rules", package.parent / "rules"):
        if candidate.is_dir():
            return [str(candidate)]
    raise InputError("no rules found: pass -r RULES_DIR")


def check_output_file(path: str, option: str) -> None:
    """A file checker will write, checked before anything is contacted: a run must not
    gather for a minute and then fail to write its report."""
    p = Path(path)
    if p.is_dir() or path.endswith(("/", os.sep)):
        raise InputError(f"{option}: {path} is a folder; give a file name")
    folder = p.parent
    if not folder.is_dir():
        raise InputError(f"{option}: cannot write {path}: the folder {folder} does not exist")
    if not os.access(p if p.exists() else folder, os.W_OK):
        raise InputError(f"{option}: cannot write {path}: permission denied")


def check_report_files(specs: Sequence[tuple[str, str | None]]) -> None:
    """Every `--report FORMAT:PATH` file, checked before anything is read or contacted."""
    for name, path in specs:
        if path not in (None, "-"):
            check_output_file(path, f"--report {name}")


def check_distinct_files(outputs: Sequence[tuple[str, str]],
                         inputs: Sequence[tuple[str, str]]) -> None:
    """(option, path) pairs: two outputs of one run naming one file, or an output naming a
    file the run reads (the SQLite history, --from-facts, the inventory), would have the
    second write destroy the first (`--report json:runs.db --history runs.db` wrote the
    report over the history)."""
    seen: dict[str, str] = {}
    for option, path in [*inputs, *outputs]:
        p = Path(path)
        if p.exists() and not p.is_file():
            continue  # a device (/dev/stdout) or a folder source: nothing to overwrite
        key = os.path.realpath(p)
        if key in seen and (option, path) in outputs:
            raise InputError(f"{option}: {path} is also {seen[key]}: one would overwrite "
                             "the other")
        seen.setdefault(key, f"{option} {path}")


def check_outputs(
    specs: Sequence[tuple[str, str | None]],
    *,
    save_facts: str | None = None,
    history: str | None = None,
    remediation_out: str | None = None,
    inputs: Sequence[tuple[str, str]] = (),
) -> None:
    """Every file a run will write, checked before anything is contacted, by `checker
    apply` and by every engine that drives checker (checker.api): the reports, the saved
    facts, and no two of them (or the SQLite history, or an input in `inputs`, (what, path)
    pairs) naming one file. --remediation-out has its own check (checker.delivery)."""
    check_report_files(specs)
    if save_facts:
        check_output_file(save_facts, "--save-facts")
    outputs = [(f"--report {name}", path) for name, path in specs if path not in (None, "-")]
    outputs += [("--save-facts", save_facts)] if save_facts else []
    if history and "://" not in history:
        outputs.append(("--history", history))
    if remediation_out:  # the plan's fixed names (host scripts are hashed apart)
        outputs += [("--remediation-out", f"{remediation_out}/{name}")
                    for name in ("plan.md", "playbook.yml")]
    check_distinct_files(outputs, list(inputs))
