"""What every ADSync collector shares: where the module is imported from, and the readers
of the projected values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

from checker.collectors.base import Collector
from checker.errors import CollectError
from checker.requests import PsSnippet
from checker.wire import ps_json as pj

TRANSPORTS = ("psrp", "adsync_export")

# Microsoft's own scripts import ADSync from the install path the service records
# (Extensions\AADConnector.psm1 of build 2.2.8.0): `Import-Module ADSync` by name is a known
# issue right after an install or upgrade. The name stays as the fallback.
PARAMETERS_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\ADSync\\Parameters"
IMPORT = f"""$adsyncPath = (Get-ItemProperty -LiteralPath '{PARAMETERS_KEY}' -Name 'Path' \
-ErrorAction SilentlyContinue).Path
if ($adsyncPath -and (Test-Path -LiteralPath (Join-Path $adsyncPath 'Bin\\ADSync\\ADSync.psd1'))) {{
    Import-Module -Name (Join-Path $adsyncPath 'Bin\\ADSync\\ADSync.psd1') -ErrorAction Stop
}} else {{
    Import-Module -Name 'ADSync' -ErrorAction Stop
}}
"""


def objects(raw: Any) -> list[Mapping[str, Any]]:
    items = pj.as_list(raw)
    for item in items:
        if not isinstance(item, Mapping):
            raise CollectError(f"expected objects from PowerShell, got {item!r}")
    return items


def strings(value: Any) -> list[str]:
    return [str(v) for v in pj.as_list(value) if v is not None]


def date(value: Any) -> dt.datetime | None:
    """A date the snippet sent as `ToString('o')`: no offset means Kind Unspecified, which the
    sync engine uses for UTC; DateTime.MinValue means none."""
    when = pj.as_datetime(value)
    return None if when is None or when.year <= 1 else when


class AdSync(Collector):
    """An ADSync collector: its snippet runs after the module is imported."""

    transports: ClassVar[tuple[str, ...]] = TRANSPORTS
    request_type = PsSnippet
    script: ClassVar[str]

    def request(self, params: Mapping[str, Any]) -> PsSnippet:
        return PsSnippet(IMPORT + self.script)
