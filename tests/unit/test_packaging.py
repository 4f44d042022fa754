"""pyproject lists packages by hand (rules/ installs as checker.rules): keep it complete."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+; CI runs 3.11

ROOT = Path(__file__).parent.parent.parent


def test_every_subpackage_is_listed() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "checker").rglob("__init__.py")
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert "checker.rules" in listed


def test_readme_lists_the_debian_packages_ci_installs() -> None:
    """A new user following the README gets the same lab peers as CI."""
    import re
    from pathlib import Path

    root = Path(__file__).parents[2]
    ci = (root / ".ci" / "run").read_text()
    packages = re.search(r"APT_PACKAGES=\(([^)]*)\)", ci, re.S)
    assert packages
    readme = " ".join((root / "README.md").read_text().split())
    missing = [p for p in packages.group(1).split() if f" {p}" not in readme]
    assert missing == []
