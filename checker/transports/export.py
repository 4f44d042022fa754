"""Offline reader for a `Get-ADSyncServerConfiguration -Path DIR` export folder.

For sites that won't allow remoting. Host variables::

    ansible_connection: adsync_export
    checker_export_dir: /evidence/aadc01-export

It yields the same raw shape the PSRP snippets produce, so the same `process()` and the same
rules run unchanged. An export holds no run history and no scheduler state: those facts raise
FactUnavailable (the rules that need them are `skipped` with the reason).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from checker.errors import CollectError, FactUnavailable, TransportError
from checker.facts.model import FactKey
from checker.transports.base import Transport, transports

DIR_VAR = "checker_export_dir"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(elem: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if elem is None else [c for c in elem if _local(c.tag) == name]


def _child(elem: ET.Element | None, name: str) -> ET.Element | None:
    found = _children(elem, name)
    return found[0] if found else None


def _text(elem: ET.Element | None, name: str) -> str | None:
    child = _child(elem, name)
    return child.text.strip() if child is not None and child.text else None


def _names(root: ET.Element | None, element: str) -> list[str]:
    """`<element><name>X</name>` anywhere below root (DSML attribute-type / class)."""
    if root is None:
        return []
    return [n for e in root.iter() if _local(e.tag) == element if (n := _text(e, "name"))]


def _guid(text: str | None) -> str:
    return (text or "").strip("{}").lower()


def _parse(path: Path) -> ET.Element:
    try:
        return ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        raise CollectError(f"{path.name}: cannot read the export file: {e}") from e


def read_connector(path: Path) -> dict[str, Any]:
    ma = _parse(path)
    partitions = [p for p in _children(_child(ma, "ma-partition-data"), "partition")
                  if _text(p, "selected") == "1"]
    classes = sorted({c.text.strip() for p in partitions for c in p.iter()
                      if _local(c.tag) == "object-class" and c.text})
    return {
        "Identifier": _guid(_text(ma, "id")),
        "Name": _text(ma, "name"),
        "Type": _text(ma, "category"),
        "Subtype": _text(ma, "subtype"),
        "Version": _text(ma, "version"),
        "Forest": _text(_child(_child(ma, "private-configuration"), "adma-configuration"),
                        "forest-name"),
        "CreationTime": _text(ma, "creation-time"),
        "LastModificationTime": _text(ma, "last-modification-time"),
        "Partitions": [_text(p, "name") for p in partitions],
        "ObjectTypes": _names(_child(ma, "schema"), "class"),
        "AttributeTypes": _names(_child(ma, "schema"), "attribute-type"),
        "AttributeInclusionList": [a.text.strip() for a in
                                   _children(_child(ma, "attribute-inclusion"), "attribute")
                                   if a.text],
        "ObjectInclusionList": classes,
    }


def read_global_settings(path: Path) -> dict[str, Any]:
    root = _parse(path)
    mv = root if _local(root.tag) == "mv-data" else _child(root, "mv-data")
    params = _children(_child(mv, "parameter-values"), "parameter")
    return {"Version": _text(mv, "version"),
            "Parameters": [{"Name": p.get("name"), "Value": (p.text or "").strip()}
                           for p in params]}


def read_sync_rule(path: Path) -> dict[str, Any]:
    rule = _parse(path)
    return {
        "Name": _text(rule, "name"), "Direction": _text(rule, "direction"),
        "Disabled": _text(rule, "disabled"), "Connector": _guid(_text(rule, "connector")),
        "Precedence": _text(rule, "precedence"), "ImmutableTag": _text(rule, "immutable-tag"),
        "SourceObjectType": _text(rule, "sourceObjectType"),
        "TargetObjectType": _text(rule, "targetObjectType"), "LinkType": _text(rule, "linkType"),
        "IsStandardRule": None,
    }


class ExportFolder:
    """The export's layout: Connectors/, GlobalSettings/MV.xml, SynchronizationRules/."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def connectors(self) -> list[dict[str, Any]]:
        files = sorted((self.root / "Connectors").glob("Connector_*.xml"))
        return [read_connector(p) for p in files]

    def global_settings(self) -> list[dict[str, Any]]:
        path = self.root / "GlobalSettings" / "MV.xml"
        if not path.is_file():
            raise CollectError(f"{path}: missing from the export")
        return [read_global_settings(path)]

    def sync_rules(self) -> list[dict[str, Any]]:
        folder = self.root / "SynchronizationRules"
        return [read_sync_rule(p) for p in sorted(folder.glob("SynchronizationRule_*.xml"))]


UNAVAILABLE = {
    "adsync.run_history": "a Get-ADSyncServerConfiguration export holds no run history",
    "adsync.scheduler": "a Get-ADSyncServerConfiguration export holds no scheduler state",
    "adsync.connector_space": "a Get-ADSyncServerConfiguration export holds no connector "
                              "space objects",
}


@transports.register("adsync_export")
class ExportTransport(Transport):
    folder: ExportFolder

    @classmethod
    def check_vars(cls, hostvars: Mapping[str, Any]) -> Sequence[str]:
        if not hostvars.get(DIR_VAR):
            return [f"{DIR_VAR} is required with ansible_connection: adsync_export"]
        return []

    def target(self) -> str:
        return f"export:{self.vars.get(DIR_VAR)}"

    def open(self) -> None:
        root = Path(str(self.vars.get(DIR_VAR)))
        if not (root / "Connectors").is_dir():
            raise TransportError(f"{root}: not a Get-ADSyncServerConfiguration export "
                                 "(no Connectors folder)")
        self.folder = ExportFolder(root)

    def collect(self, requests: Mapping[FactKey, Any]) -> Iterator[tuple[FactKey, Any]]:
        readers: dict[str, Callable[[], list[dict[str, Any]]]] = {
            "adsync.connectors": self.folder.connectors,
            "adsync.global_settings": self.folder.global_settings,
            "adsync.sync_rules": self.folder.sync_rules,
        }
        for key in requests:
            if key.collector in UNAVAILABLE:
                yield key, FactUnavailable(UNAVAILABLE[key.collector])
            elif key.collector not in readers:
                yield key, CollectError(f"{key.collector} cannot be read from an ADSync export")
            else:
                try:
                    yield key, readers[key.collector]()
                except CollectError as e:
                    yield key, e
