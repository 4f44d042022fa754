"""Fixtures for the Samba AD DC lab (the PSRP lab keeps its own conftest under tests/lab/psrp/).

One DC is provisioned per session (plain and Exchange-extended templates); each scenario is a
stopped copy started on its own loopback address, reused by every test of the session.
Missing Samba tools fail the tests loudly: they never skip (CI must run them).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.lab import samba
from tests.lab.net import lab_ip

FIRST_IP = 10  # scenarios listen on lab_ip(10), lab_ip(11), ...; templates use lab_ip(2)


@pytest.fixture(scope="session")
def lab_templates(tmp_path_factory: pytest.TempPathFactory) -> samba.Templates:
    samba.require_tools()
    return samba.build_templates(tmp_path_factory.mktemp("samba-templates"), ip=lab_ip(2))


@pytest.fixture(scope="session")
def lab_dc(
    lab_templates: samba.Templates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], samba.SambaDC]]:
    """`lab_dc("healthy")` -> a running DC seeded with that scenario (started once)."""
    running: dict[str, samba.SambaDC] = {}

    def get(name: str) -> samba.SambaDC:
        dc = running.get(name)
        if dc is None or not dc.running():
            ip = lab_ip(FIRST_IP + samba.scenario_names().index(name))
            root = tmp_path_factory.mktemp(f"dc-{name}")
            dc = running[name] = samba.start_scenario(lab_templates, name, root, ip)
        return dc

    yield get
    for dc in running.values():
        dc.stop()


@pytest.fixture(scope="session")
def estate_templates() -> Iterator[Path]:
    """Template DCs for whole-estate labs (tests.lab.estate), built once per session."""
    from tests.lab import estate

    samba.require_tools()
    cache = Path(tempfile.mkdtemp(prefix="checker-tpl-"))  # short: Samba's socket paths
    estate.templates(cache)
    yield cache
    shutil.rmtree(cache, ignore_errors=True)


@pytest.fixture()
def scratch_dc(
    lab_templates: samba.Templates, tmp_path: Path
) -> Iterator[Callable[[str], samba.SambaDC]]:
    """A DC of its own for tests that break it (kill, restart); stopped afterwards."""
    started: list[samba.SambaDC] = []

    def get(name: str) -> samba.SambaDC:
        dc = samba.start_scenario(lab_templates, name, tmp_path / name, lab_ip(30))
        started.append(dc)
        return dc

    yield get
    for dc in started:
        dc.stop()


def host_vars(dc: samba.SambaDC, **extra: Any) -> dict[str, Any]:
    """Inventory variables for the LDAP transport pointing at `dc`: the secure default
    (StartTLS before the simple bind), verified against the lab CA."""
    return {"ansible_connection": "ldap", "ansible_host": dc.ip, "ansible_user": samba.ADMIN,
            "ansible_password": samba.PASSWORD, "checker_ldap_ca_file": str(dc.ca_file),
            **extra}


@pytest.fixture(autouse=True)
def _lab_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_AD_PASSWORD", samba.PASSWORD)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
