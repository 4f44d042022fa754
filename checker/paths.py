"""Where things are found by default (kept import-light for the CLI)."""

from __future__ import annotations

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
