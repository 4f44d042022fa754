"""The one-way data flow, enforced: every import between checker's packages goes down the table.

A package may import only packages of a lower rank. Packages of the same rank are siblings
and never import each other (collectors and transports meet only through `checker.requests`).
A new package must be placed in the table, so a cycle cannot land unnoticed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import checker

ROOT = Path(checker.__file__).parent

RANK: dict[str, float] = {
    "checker": 0, "errors": 0,
    # foundations
    "registry": 0.5, "yamlio": 0.5, "redact": 0.5, "paths": 0.5,
    # data and wire formats
    "facts": 1, "requests": 1, "wire": 1,
    # the rule language, and the inventory (its templates run in the language's sandbox)
    "lang": 2, "inventory": 2.5,
    # what to read, and how to read it: siblings that meet only through checker.requests
    "collectors": 3, "transports": 3,
    "ruleset": 4, "evidence": 4,
    "thresholds": 4.5,  # inventory settings for rules (per-estate max_failures)
    "results": 5, "plan": 5, "profiles": 5,
    "evaluate": 6, "history": 6, "gather": 6, "gather_inputs": 6.5,
    "waivers": 7,
    "runner": 8,
    "remediation": 9,
    "reporters": 10,
    "delivery": 10.5,
    "remediate": 11, "api_gather": 10.75, "api": 11,
    "history_commands": 11.5, "cli_inventory": 11.5,
    "commands": 12,
    "cli": 13,
    "__main__": 14,
}


def package_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "checker"
    target = parts[1]
    return target if (ROOT / target).is_dir() or (ROOT / f"{target}.py").exists() else "checker"


def imports() -> Iterator[tuple[str, str, str]]:
    """(importing package, imported package, file) for every checker import, function-level too."""
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("").parts
        here = "checker" if rel[0] == "__init__" else rel[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module == "checker":
                    names = [f"checker.{a.name}" for a in node.names]
                elif node.module.startswith("checker."):
                    names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("checker")]
            for name in names:
                there = package_of(name)
                if there != here:
                    yield here, there, str(path.relative_to(ROOT.parent))


def test_every_package_is_placed() -> None:
    packages = {p.stem if p.is_file() else p.name for p in ROOT.iterdir()
                if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))}
    packages = {"checker" if p == "__init__" else p for p in packages}
    assert sorted(packages - RANK.keys()) == [], "place the new package in RANK"


def test_imports_go_down() -> None:
    wrong = sorted({f"{f}: {a} (rank {RANK[a]}) imports {b} (rank {RANK[b]})"
                    for a, b, f in imports() if RANK[b] >= RANK[a]})
    assert wrong == []


def test_transports_never_import_collectors() -> None:
    edges = {(a, b) for a, b, _ in imports()}
    assert ("transports", "collectors") not in edges
    assert ("collectors", "transports") not in edges
