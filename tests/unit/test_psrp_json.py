"""The Windows PowerShell 5.1 JSON dialect, PowerShell quoting, the batch document and the
PSRP host variables (pure code, no network)."""

from __future__ import annotations

import datetime as dt

import pytest

from checker.errors import CollectError
from checker.requests import PsSnippet
from checker.transports.ps_batch import build_script, parse_document
from checker.transports.psrp_vars import check_psrp_vars, wsman_kwargs
from checker.wire import ps_json as pj
from checker.wire.ps_quote import assignment, literal, quote_string

UTC = dt.timezone.utc


@pytest.mark.parametrize(("value", "expected"), [
    ("/Date(1714559400000)/", dt.datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),
    ("/Date(1714559400000+0200)/", dt.datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),
    ("/Date(-1000)/", dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ("2024-05-01T10:30:00.1234567Z", dt.datetime(2024, 5, 1, 10, 30, 0, 123456, tzinfo=UTC)),
    ("2016-04-26 11:40:09.106", dt.datetime(2016, 4, 26, 11, 40, 9, 106000, tzinfo=UTC)),
    ({"value": "/Date(0)/", "DisplayHint": 2, "DateTime": "Thursday"},
     dt.datetime(1970, 1, 1, tzinfo=UTC)),
    (None, None),
])
def test_dates(value: object, expected: object) -> None:
    assert pj.as_datetime(value) == expected


def test_escaped_slash_dates_survive_json_loads() -> None:
    doc = pj.loads('{"d":"\\/Date(1714559400000)\\/"}')
    assert pj.as_datetime(doc["d"]) == dt.datetime(2024, 5, 1, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(("value", "seconds"), [
    ({"Ticks": 18_000_000_000, "Days": 0, "TotalSeconds": 1800.0}, 1800),
    ({"TotalSeconds": 604800.0}, 604800), ("00:30:00", 1800), ("7.00:00:00", 604800),
    ("PT30M", 1800), ("P7D", 604800), (90, 90), (None, None),
])
def test_timespans(value: object, seconds: object) -> None:
    assert pj.as_seconds(value) == seconds


def test_lists_enums_bools() -> None:
    assert pj.as_list({"a": 1}) == [{"a": 1}]
    assert pj.as_list({"value": [1, 2], "Count": 2}) == [1, 2]
    assert pj.as_list(None) == [] and pj.as_list([1]) == [1]
    assert pj.as_enum(2, {0: "Unspecified", 1: "Delta", 2: "Initial"}) == "Initial"
    assert pj.as_enum("delta", {0: "Unspecified", 1: "Delta", 2: "Initial"}) == "Delta"
    with pytest.raises(CollectError, match="Provision=0"):
        pj.as_enum(7, {0: "Provision", 2: "Join"})
    assert pj.as_bool("True") is True and pj.as_bool("false") is False
    with pytest.raises(CollectError):
        pj.as_bool("maybe")
    with pytest.raises(CollectError):
        pj.as_datetime("yesterday")


@pytest.mark.parametrize("text", ['{"a":', "", "\ufeff{", "<html>"])
def test_malformed_json_is_a_collect_error(text: str) -> None:
    with pytest.raises(CollectError, match="malformed JSON"):
        pj.loads(text)


@pytest.mark.parametrize(("value", "expected"), [
    ("plain", "'plain'"), ("it's", "'it''s'"), ("$(evil) `n", "'$(evil) `n'"),
    ("\u2019quoted\u2018", "'\u2019\u2019quoted\u2018\u2018'"), (True, "$true"),
    (False, "$false"), (None, "$null"), (42, "42"), (-1, "-1"),
    (["a", 1], "@('a', 1)"), ({"k": "v"}, "@{'k' = 'v'}"),
])
def test_literals(value: object, expected: str) -> None:
    assert literal(value) == expected


def test_quoting_rejects_what_it_cannot_type() -> None:
    with pytest.raises(TypeError):
        literal(object())
    with pytest.raises(TypeError):
        literal(float("nan"))
    with pytest.raises(ValueError):
        assignment("x; Remove-Item C:\\", 1)
    assert quote_string("") == "''"


def test_batch_script_and_document() -> None:
    script = build_script([PsSnippet("Get-A"), PsSnippet("Get-B $N", {"N": 5})])
    assert script.count("try {") == 2 and "$N = 5\n" in script
    assert script.rstrip().endswith("ConvertTo-Json -InputObject $checkerResult -Depth 8 -Compress")
    replies = parse_document(['{"f0":{"ok":true,"value":{"x":1}},"f1":{"ok":false,'
                              '"error":"boom","error_id":"E1"}}'], 2)
    assert replies[0].value == [{"x": 1}] and replies[0].error is None
    assert replies[1].error == "boom (E1)"
    assert parse_document(['{"f0":{"ok":true,"value":[]}}'], 2)[1].error
    with pytest.raises(CollectError):
        parse_document(["{}", "{}"], 1)


def test_host_vars() -> None:
    good = {"ansible_host": "aadc01", "ansible_user": "u", "ansible_password": "p",
            "ansible_psrp_auth": "ntlm", "ansible_psrp_protocol": "http"}
    assert check_psrp_vars(good) == []
    kw = wsman_kwargs("aadc01", good, 30)
    assert (kw["port"], kw["ssl"], kw["auth"], kw["encryption"]) == (5985, False, "ntlm", "auto")
    assert wsman_kwargs("h", {"ansible_psrp_cert_validation": "ignore"}, 30)["cert_validation"] \
        is False
    problems = check_psrp_vars({"ansible_psrp_auth": "digest", "ansible_port": "x",
                                "ansible_psrp_read_timeout": -1,
                                "ansible_psrp_cert_validation": "maybe"})
    assert len(problems) == 4
    assert check_psrp_vars({"ansible_psrp_auth": "basic", "ansible_user": "u",
                            "ansible_password": "p", "ansible_psrp_protocol": "http"})
    assert check_psrp_vars({"ansible_psrp_auth": "ntlm"})  # no credentials
    assert check_psrp_vars({"ansible_psrp_ca_cert": "/nonexistent/ca.pem"})
