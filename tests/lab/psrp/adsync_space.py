"""The AD connectors' connector spaces: what Get-ADSyncCSObject reads.

Each AD connector mirrors the objects of a directory scenario (tests/lab/scenarios/ad/NAME.yml,
the same file the Samba DC is seeded from; `directory:` on the connector, else the server's
default). An object's attributes reach the connector space only through an import: the
Exchange attributes are there only if the connector's schema has them and a Full Import
completed after the schema was last refreshed (the connector's LastModificationTime), which
is what Microsoft documents after "Refresh directory schema".
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .values import KeyedCollection, PSEnum, PSObj

if TYPE_CHECKING:
    from .adsync import State

DIRECTORIES = Path(__file__).resolve().parents[1] / "scenarios" / "ad"
OM = "Microsoft.IdentityManagement.PowerShell.ObjectModel."
MULTI_VALUED = {"proxyAddresses", "member", "objectClass", "memberOf"}


def directory_objects(name: str) -> list[dict[str, Any]]:
    """A directory scenario's objects, `repeat: N` expanded (`%N` -> 000..N-1)."""
    data = yaml.safe_load((DIRECTORIES / f"{name}.yml").read_text()) or {}
    out: list[dict[str, Any]] = []
    for spec in data.get("objects") or []:
        spec = dict(spec)
        copies = int(spec.pop("repeat", 0))
        for n in range(copies) if copies else [None]:
            tag = "" if n is None else f"{n:03d}"
            out.append({k: [str(x).replace("%N", tag) for x in v] if isinstance(v, list)
                        else str(v).replace("%N", tag) for k, v in spec.items()})
    return out


class ConnectorSpace:
    def __init__(self, state: State, directory: str | None = None) -> None:
        self.state = state
        self.directory = directory or str(state.sc.get("directory", "healthy"))
        self._objects: dict[str, list[dict[str, Any]]] = {}

    def _source(self, connector: PSObj) -> list[dict[str, Any]]:
        name = str(self.state.spec(connector).get("directory") or self.directory)
        if name not in self._objects:
            self._objects[name] = directory_objects(name)
        return self._objects[name]

    def exchange_since_refresh(self, connector: PSObj, profile: str) -> bool:
        """The connector's schema has the Exchange attributes and a `profile` ("Full Import",
        "Full Synchronization") completed after its last refresh."""
        done = self.state.last_full(connector, profile)
        refreshed = connector.get("LastModificationTime")[1]
        return bool(self.state.spec(connector).get("exchange_schema")) and done is not None \
            and done >= refreshed

    def objects(self, connector: PSObj) -> list[PSObj]:
        if connector.get("Type")[1] != "AD":
            return []
        partition = self.state.spec(connector).get("partitions", [""])[0]
        included = set(connector.get("AttributeInclusionList")[1])
        if not self.exchange_since_refresh(connector, "Full Import"):
            from .adsync import EXCHANGE_ATTRIBUTES

            included -= set(EXCHANGE_ATTRIBUTES)
        return [self._object(connector, f"{o['dn']},{partition}", o, included)
                for o in self._source(connector) if o.get("objectClass") != "organizationalUnit"]

    def metaverse_object(self, ident: str) -> PSObj | None:
        """The metaverse object a connector-space object is joined to: what the inbound rules
        flowed into it. The Exchange attributes flow on a Full Synchronization after the
        refresh ("In from AD - User Exchange"), not before."""
        for connector in self.state.connectors:
            for cs in self.objects(connector):
                if str(cs.get("ConnectedMVObjectId")[1]) != ident.lower():
                    continue
                attrs = list(cs.get("Attributes")[1].items)
                if not self.exchange_since_refresh(connector, "Full Synchronization"):
                    from .adsync import EXCHANGE_ATTRIBUTES

                    attrs = [a for a in attrs if a.get("Name")[1] not in EXCHANGE_ATTRIBUTES]
                return PSObj([OM + "MvObject"], {
                    "ObjectId": cs.get("ConnectedMVObjectId")[1], "Lineage": [],
                    "Attributes": KeyedCollection(attrs), "SerializedXml": ""})
        return None

    def find(self, connector: PSObj, dn: str) -> PSObj | None:
        wanted = dn.lower()
        return next((o for o in self.objects(connector)
                     if str(o.get("DistinguishedName")[1]).lower() == wanted), None)

    def _object(self, connector: PSObj, dn: str, source: dict[str, Any],
                included: set[str]) -> PSObj:
        when = self.state.last_full(connector, "Full Import") or dt.datetime(2000, 1, 1)
        attrs = [self._attribute(connector, k, v, when) for k, v in source.items()
                 if k in included]
        classes = source.get("objectClass", "user")
        return PSObj([OM + "CsObject"], {
            "ObjectId": uuid.uuid5(uuid.NAMESPACE_URL, dn.lower()),
            "ConnectorId": connector.get("Identifier")[1],
            "ConnectorName": connector.get("Name")[1], "ConnectorType": "AD",
            "PartitionId": uuid.uuid5(uuid.NAMESPACE_URL, dn.split(",DC=", 1)[-1]),
            "DistinguishedName": dn, "ObjectType": classes[-1] if isinstance(classes, list)
            else classes, "IsTransient": False, "IsPlaceHolder": False, "IsConnector": True,
            "HasSyncError": False, "HasExportError": False, "ExportError": None,
            "SynchronizationError": None,
            "ConnectedMVObjectId": uuid.uuid5(uuid.NAMESPACE_OID, dn.lower()),
            "Lineage": [], "Attributes": KeyedCollection(attrs), "SerializedXml": ""})

    @staticmethod
    def _attribute(connector: PSObj, name: str, value: Any, when: dt.datetime) -> PSObj:
        values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        return PSObj([OM + "Attribute"], {
            "Name": name, "Type": PSEnum(OM + "SchemaAttributeType", "String", 0),
            "IsMultiValued": name in MULTI_VALUED, "SyncRuleName": None,
            "ConnectorName": connector.get("Name")[1], "LineageId": uuid.uuid5(uuid.NAMESPACE_OID, name),
            "LastModificationTime": when, "Values": values}, to_string=name)
