"""The lab's ConvertTo-Json against captured Windows PowerShell 5.1 output and 5.1's own
rules (ConvertToJsonCommand.ProcessValue, JavaScriptSerializer): -Depth truncation, enums as
integers, "\\/Date(ms)\\/" after ToUniversalTime() in the server's time zone."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .engine import Engine
from .json51 import to_json
from .values import Hashtable, PSEnum, PSObj

pytestmark = pytest.mark.lab


class Writer:
    def error(self, err: Any) -> None:
        raise AssertionError(err.message)

    def sleep(self, seconds: float) -> None:
        pass


def run(script: str, engine: Engine | None = None) -> list[Any]:
    return (engine or Engine()).run(script, [], Writer())


def test_depth_truncation_as_captured_on_51() -> None:
    """PowerShell/PowerShell#9266, captured on 5.1.16299: with the default -Depth 2 the
    array three levels down is written as its ToString()."""
    users = [PSObj(["System.Management.Automation.PSCustomObject"], {
        "isCertified": True, "Email": ["onemail", "twomail", "threemail"]}, note=True)]
    top = PSObj(["System.Management.Automation.PSCustomObject"], {"Users": users}, note=True)
    assert json.loads(to_json(top)) == {
        "Users": [{"isCertified": True, "Email": "onemail twomail threemail"}]}


def test_nested_hashtables_as_documented() -> None:
    """MicrosoftDocs/PowerShell-Docs#6055: @{a=@{b=@{c=@{d='e'}}}} | ConvertTo-Json."""
    out = run("@{ 'a' = @{ 'b' = @{ 'c' = @{ 'd' = 'e' } } } } | ConvertTo-Json")
    assert json.loads(out[0]) == {"a": {"b": {"c": "System.Collections.Hashtable"}}}


@pytest.mark.parametrize(("zone", "shift_h"), [("America/Los_Angeles", 7),
                                               ("Asia/Tokyo", -9), ("UTC", 0)])
def test_unspecified_date_is_shifted_by_the_server_zone(zone: str, shift_h: int) -> None:
    """A Kind-Unspecified DateTime holding UTC (what the sync engine hands out) is taken as
    local time by ToUniversalTime(): 10:30 UTC in summer comes out 7 h later in Los Angeles."""
    value = PSObj(["X"], {"When": dt.datetime(2024, 5, 1, 10, 30),
                          "Utc": dt.datetime(2024, 5, 1, 10, 30, tzinfo=dt.timezone.utc)})
    doc = json.loads(to_json(value, tz=ZoneInfo(zone)).replace("\\/", "/"))
    utc_ms = 1714559400000
    assert doc["When"] == f"/Date({utc_ms + shift_h * 3600_000})/"
    assert doc["Utc"] == f"/Date({utc_ms})/"  # Kind Utc: no conversion


def test_round_trip_string_makes_no_conversion() -> None:
    engine = Engine()
    engine.timezone = ZoneInfo("Asia/Tokyo")

    @engine.cmdlet("Get-When")
    def when(inv: Any) -> list[Any]:
        return [PSObj(["X"], {"Unspecified": dt.datetime(2024, 5, 1, 10, 30),
                              "Utc": dt.datetime(2024, 5, 1, 10, 30, tzinfo=dt.timezone.utc),
                              "Min": dt.datetime(1, 1, 1)})]

    out = run("$w = Get-When\n$w.Unspecified.ToString('o'); $w.Utc.ToString('o'); "
              "$w.Min.ToString('o'); $w.Unspecified.ToUniversalTime().ToString('o')", engine)
    assert out == ["2024-05-01T10:30:00.0000000", "2024-05-01T10:30:00.0000000Z",
                   "0001-01-01T00:00:00.0000000", "2024-05-01T01:30:00.0000000Z"]


def test_enums_timespans_and_a_lone_object() -> None:
    value = PSObj(["X"], {"Every": dt.timedelta(minutes=30), "Link": PSEnum("L", "Join", 2),
                          "Deep": Hashtable({"a": [1]})})
    doc = json.loads(to_json(value, depth=1))
    assert doc["Link"] == 2 and doc["Every"]["TotalMinutes"] == 30.0
    assert doc["Deep"] == {"a": "1"}  # the list at depth 2 > 1: its ToString()
    assert json.loads(run("@(1) | ConvertTo-Json")[0]) == 1  # one item: not an array
    assert run("$null | ConvertTo-Json") == []  # 5.1 drops null pipeline input
