"""The ADSync collectors on the values a real server sends (docs/fidelity.md): dates as
round-trip strings read as UTC, enums by their real values, objects projected, a build
without the scheduler, a run still in progress."""

from __future__ import annotations

import datetime as dt

import pytest

from checker.collectors.adsync import SchedulerCollector, SyncRulesCollector
from checker.collectors.adsync_common import IMPORT, date
from checker.collectors.adsync_runs import RunHistoryCollector
from checker.errors import CollectError, FactUnavailable

UTC = dt.timezone.utc


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-05-01T10:30:00.0000000", dt.datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),  # Unspecified
    ("2024-05-01T10:30:00.0000000Z", dt.datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),  # Utc
    ("2024-05-01T03:30:00.0000000-07:00", dt.datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),  # Local
    ("0001-01-01T00:00:00.0000000", None),  # DateTime.MinValue
])
def test_round_trip_dates_are_utc(text: str, expected: dt.datetime | None) -> None:
    assert date(text) == expected


@pytest.mark.parametrize(("value", "name"), [(0, "Provision"), (1, "StickyJoin"), (2, "Join"),
                                             (3, "JoinNoFlow"), ("Join", "Join")])
def test_link_type_by_its_real_value(value: object, name: str) -> None:
    raw = {"Name": "In from AD - User Common", "Direction": 0, "Disabled": False,
           "Connector": "7a3c2d58-1c9e-4a5f-9f0b-3d2e6c1b8a01", "LinkType": value,
           "ImmutableTag": "Microsoft.InfromADUserCommon.004"}
    rule = SyncRulesCollector().process(raw, {})[0]
    assert rule.link_type == name and rule.direction == "Inbound"


def test_an_immutable_tag_object_is_an_error_not_a_string() -> None:
    """What the old snippet sent ($_.ImmutableTag as is): 5.1 writes the object. The snippet
    now projects TagValue; an object reaching process() is malformed, loudly."""
    raw = {"Name": "x", "Direction": 0, "ImmutableTag": {"TagValue": "Microsoft.X.001"}}
    with pytest.raises(CollectError):
        SyncRulesCollector().process(raw, {})
    assert "$_.ImmutableTag.TagValue" in SyncRulesCollector.script


def test_a_build_without_the_scheduler_is_unavailable() -> None:
    with pytest.raises(FactUnavailable, match=r"1\.1\.105\.0"):
        SchedulerCollector().process({"Missing": "Get-ADSyncScheduler"}, {})


def test_a_run_in_progress_has_no_end() -> None:
    raw = [{"ConnectorId": "{7A3C2D58-1C9E-4A5F-9F0B-3D2E6C1B8A01}", "RunProfileName":
            "Delta Import", "Result": "in-progress", "IsRunComplete": False,
            "StartDate": "2026-11-30T10:00:00.0000000", "EndDate": "0001-01-01T00:00:00.0000000"}]
    run = RunHistoryCollector().process(raw, {})[0]
    assert run.in_progress and run.end is None
    assert run.connector_id == "7a3c2d58-1c9e-4a5f-9f0b-3d2e6c1b8a01"


def test_the_module_is_imported_from_its_install_path_first() -> None:
    assert IMPORT.index("Services\\ADSync\\Parameters") < IMPORT.index("'ADSync'")
    assert "Bin\\ADSync\\ADSync.psd1" in IMPORT
