"""Directory scenarios (tests/lab/scenarios/ad/NAME.yml) seeded into a copy of a template DC.

A scenario belongs to one forest (`forest:`, the forest's DNS name; default lab.example.com);
its object DNs are relative to that forest's domain. The Exchange schema objects can be
backdated offline, so a forest was extended for Exchange at a chosen time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import yaml

from tests.lab.forests import LAB, Forest, forest_named
from tests.lab.samba_dc import LabError, SambaDC, Templates

SCENARIO_DIR = Path(__file__).parent / "scenarios" / "ad"


def load_scenario(name: str) -> dict[str, object]:
    data = yaml.safe_load((SCENARIO_DIR / f"{name}.yml").read_text())
    if not isinstance(data, dict) or "expected_failures" not in data:
        raise LabError(f"scenario {name}: a mapping with expected_failures is required")
    return data


def scenario_forest(scenario: Mapping[str, object]) -> Forest:
    forest = scenario.get("forest")
    return forest_named(str(forest) if forest else None)


def scenario_names(forest: Forest = LAB) -> list[str]:
    """The scenarios seeded into a DC of `forest` (by default the lab forest's)."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yml")
                  if scenario_forest(yaml.safe_load(p.read_text()) or {}) == forest)


def start_scenario(templates: Templates, name: str, root: Path, ip: str,
                   anchor: dt.datetime | None = None,
                   extended_at: dt.datetime | None = None) -> SambaDC:
    """Copy the right template, seed the scenario's objects offline, start the DC. With an
    `anchor`, a scenario's own schema extension is backdated to it; `extended_at` backdates
    any copy's Exchange extension (see `backdate`)."""
    scenario = load_scenario(name)
    if scenario_forest(scenario) != templates.forest:
        raise LabError(f"scenario {name} is of forest {scenario_forest(scenario).dns_domain}, "
                       f"the templates of {templates.forest.dns_domain}")
    custom = scenario.get("exchange")  # its own schema values: extend a plain copy
    extended = scenario.get("exchange_schema", True) and not custom
    dc = (templates.exchange if extended else templates.plain).copy_to(root, ip)
    if isinstance(custom, dict):
        dc.start()
        values = {k: str(v) for k, v in custom.items() if k.isupper()}
        dc.extend_schema(values, objects=not custom.get("skip_objects"))
        dc.stop()
        extended_at = extended_at or anchor
    if extended_at is not None:
        backdate(dc, extended_at)
    ldif = scenario_ldif(scenario, dc.forest)
    if ldif:
        dc.ldbmodify(ldif)
    dc.start()
    return dc


def backdate(dc: SambaDC, when: dt.datetime) -> None:
    """Set whenCreated/whenChanged of the Exchange schema objects and Exchange containers
    (offline, samba stopped, relax control): the forest was extended at `when`."""
    stamp = when.strftime("%Y%m%d%H%M%S.0Z")
    dns = [f"CN={cn},{dc.forest.schema_nc}" for cn in _exchange_schema_cns(dc)]
    dns += _exchange_objects(dc)
    ldif = "\n".join(
        f"dn: {dn}\nchangetype: modify\nreplace: whenCreated\nwhenCreated: {stamp}\n-\n"
        f"replace: whenChanged\nwhenChanged: {stamp}\n-\n" for dn in dns)
    if ldif:
        dc.ldbmodify(ldif, relax=True)


def _exchange_schema_cns(dc: SambaDC) -> list[str]:
    schema = dc.forest.schema_nc
    dns = dc.ldbsearch(schema, "(cn=ms-Exch-*)")
    dns += dc.ldbsearch(schema, "(|(lDAPDisplayName=mailNickname)"
                                "(lDAPDisplayName=targetAddress))")
    return sorted({dn.split(",", 1)[0][3:] for dn in dns})


def _exchange_objects(dc: SambaDC) -> list[str]:
    config = dc.ldbsearch(dc.forest.config_nc, "(cn=Microsoft Exchange*)")
    domain = dc.ldbsearch(dc.forest.domain_dn, "(cn=Microsoft Exchange System Objects)")
    return config + domain


def scenario_ldif(scenario: Mapping[str, object], forest: Forest = LAB) -> str:
    """LDIF for the scenario's `upn_suffixes` and `objects` (DNs relative to the domain)."""
    out: list[str] = []
    suffixes = scenario.get("upn_suffixes")
    if isinstance(suffixes, list) and suffixes:
        lines = [f"dn: CN=Partitions,{forest.config_nc}", "changetype: modify",
                 "add: uPNSuffixes"]
        out.append("\n".join([*lines, *(f"uPNSuffixes: {s}" for s in suffixes), "-"]))
    for obj in _expand(scenario.get("objects") or []):
        lines = [f"dn: {obj.pop('dn')},{forest.domain_dn}", "changetype: add"]
        for attr, value in obj.items():
            values = value if isinstance(value, list) else [value]
            lines += [f"{attr}: {v}" for v in values]
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n" if out else ""


def _expand(objects: object) -> list[dict[str, object]]:
    """`repeat: N` copies an object N times with `%N` in its values replaced by 000..N-1."""
    result: list[dict[str, object]] = []
    for obj in objects if isinstance(objects, list) else []:
        obj = dict(obj)
        count = int(obj.pop("repeat", 0))
        if not count:
            result.append(obj)
            continue
        for n in range(count):
            result.append({k: _fmt(v, n) for k, v in obj.items()})
    return result


def _fmt(value: object, n: int) -> object:
    if isinstance(value, list):
        return [_fmt(v, n) for v in value]
    return str(value).replace("%N", f"{n:03d}")
