"""Exchange Server builds: product, cumulative update, support.

Source: microsoft/CSS-Exchange `Shared/Get-ExchangeBuildVersionInformation.ps1` (its build
dictionary and per-product support data, commit f88378b1, April 2026), which follows Microsoft
Learn "Exchange Server build numbers and release dates". `cu_supported` is HealthChecker's
"one of the two most recently released CUs" ($supportedBuildNumber); the extended support end
is the product's; the dedicated Exchange hybrid application needs the April 2025 hotfix update
(HU) or later (CSS-Exchange docs/Hybrid/ConfigureExchangeHybridApplication.md and the April
2025 HU release post). Update this table when Microsoft ships a CU.

Get-ExchangeServer's AdminDisplayVersion is the build of the installed CU: security and hotfix
updates do not change it. HealthChecker reads the real build from ExSetup.exe's file version
and falls back to AdminDisplayVersion only as the "CU build" (CSS-Exchange
`Diagnostics/HealthChecker/DataCollection/ExchangeInformation/Invoke-JobExchangeInformationLocal.ps1`,
`Shared/Tests/Get-ExchangeBuildVersionInformation.Tests.ps1`). A file version is out of reach
of the NoLanguage endpoint, so whether a CU that got the April 2025 HU has it installed is
unknown here (None), never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from checker.lang.values import version_tuple

_ADMIN_VERSION = re.compile(r"Version\s+(\d+)\.(\d+)\s+\(Build\s+(\d+)\.(\d+)\)", re.I)


@dataclass(frozen=True)
class Build:
    product: str
    cu: str
    cu_supported: bool
    extended_support_end: dt.datetime | None
    hybrid_app_capable: bool | None  # None: the CU got the HU; whether it is installed is unknown
    hybrid_app_build: str | None  # the first build of this CU that can (its April 2025 HU)


def _utc(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, tzinfo=dt.timezone.utc)


# CSS-Exchange's build dictionary: the first build of each CU (RTM: anything before CU1)
_CUS: dict[tuple[int, ...], str] = {
    (15, 0): "CU1 15.0.620.29 CU2 15.0.712.24 CU3 15.0.775.38 CU4 15.0.847.32 CU5 15.0.913.22 "
             "CU6 15.0.995.29 CU7 15.0.1044.25 CU8 15.0.1076.9 CU9 15.0.1104.5 CU10 15.0.1130.7 "
             "CU11 15.0.1156.6 CU12 15.0.1178.4 CU13 15.0.1210.3 CU14 15.0.1236.3 "
             "CU15 15.0.1263.5 CU16 15.0.1293.2 CU17 15.0.1320.4 CU18 15.0.1347.2 "
             "CU19 15.0.1365.1 CU20 15.0.1367.3 CU21 15.0.1395.4 CU22 15.0.1473.3 "
             "CU23 15.0.1497.2",
    (15, 1): "CU1 15.1.396.30 CU2 15.1.466.34 CU3 15.1.544.27 CU4 15.1.669.32 CU5 15.1.845.34 "
             "CU6 15.1.1034.26 CU7 15.1.1261.35 CU8 15.1.1415.2 CU9 15.1.1466.3 "
             "CU10 15.1.1531.3 CU11 15.1.1591.10 CU12 15.1.1713.5 CU13 15.1.1779.2 "
             "CU14 15.1.1847.3 CU15 15.1.1913.5 CU16 15.1.1979.3 CU17 15.1.2044.4 "
             "CU18 15.1.2106.2 CU19 15.1.2176.2 CU20 15.1.2242.4 CU21 15.1.2308.8 "
             "CU22 15.1.2375.7 CU23 15.1.2507.6",
    (15, 2): "CU1 15.2.330.5 CU2 15.2.397.3 CU3 15.2.464.5 CU4 15.2.529.5 CU5 15.2.595.3 "
             "CU6 15.2.659.4 CU7 15.2.721.2 CU8 15.2.792.3 CU9 15.2.858.5 CU10 15.2.922.7 "
             "CU11 15.2.986.5 CU12 15.2.1118.7 CU13 15.2.1258.12 CU14 15.2.1544.4 "
             "CU15 15.2.1748.10",
}
SE_FIRST = "15.2.2562.17"  # Exchange Server SE RTM; 15.2 below it is Exchange 2019
PRODUCTS: dict[tuple[int, ...], tuple[str, dt.datetime]] = {
    (15, 0): ("Exchange 2013", _utc(2023, 4, 11)),
    (15, 1): ("Exchange 2016", _utc(2025, 10, 14)),
    (15, 2): ("Exchange 2019", _utc(2025, 10, 14)),
}
SE_END = _utc(2035, 12, 31)  # HealthChecker's placeholder: SE follows the Modern Lifecycle


def _cus(major_minor: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]]:
    words = _CUS[major_minor].split()
    pairs = [(words[i], version_tuple(words[i + 1])) for i in range(0, len(words), 2)]
    return sorted(pairs, key=lambda p: p[1], reverse=True)


# HealthChecker's $supportedBuildNumber = $true
SUPPORTED_CUS = {("Exchange Server SE", "RTM"), ("Exchange 2019", "CU15"),
                 ("Exchange 2019", "CU14"), ("Exchange 2016", "CU23"), ("Exchange 2013", "CU23")}
# The April 2025 hotfix update of each CU that got one (SE: from RTM)
HYBRID_APP_BUILDS = {("Exchange 2019", "CU15"): "15.2.1748.24",
                     ("Exchange 2019", "CU14"): "15.2.1544.25",
                     ("Exchange 2016", "CU23"): "15.1.2507.55",
                     ("Exchange Server SE", "RTM"): "15.2.2562.17"}


def parse_admin_display_version(text: str) -> str | None:
    """"Version 15.2 (Build 1748.10)" -> "15.2.1748.10" (HealthChecker parses it the same
    way: the remote AdminDisplayVersion is a ServerVersion whose text is this)."""
    m = _ADMIN_VERSION.search(text or "")
    return ".".join(m.groups()) if m else None


def classify(version: str) -> Build | None:
    """The product and CU of a build number; None for a build older than Exchange 2013."""
    v = version_tuple(version)
    if v[:2] not in PRODUCTS:
        return None
    if v >= version_tuple(SE_FIRST):
        product, cu, end = "Exchange Server SE", "RTM", SE_END
    else:
        product, end = PRODUCTS[v[:2]]
        cu = next((name for name, first in _cus(v[:2]) if v >= first), "RTM")
    capable = HYBRID_APP_BUILDS.get((product, cu))
    return Build(product, cu, (product, cu) in SUPPORTED_CUS, end,
                 _hybrid_app_capable(v, capable), capable)


def _hybrid_app_capable(v: tuple[int, ...], capable: str | None) -> bool | None:
    """True when the CU build itself has it (SE), False when no update of this CU has it,
    None when only its hotfix update has it: the CU build cannot show that update."""
    if capable is None:
        return False
    return True if v >= version_tuple(capable) else None
