"""Exchange objects as Exchange's endpoint serializes them (psrpcore objects, sent as is).

Type names, property names and value shapes follow real exports (microsoft/CSS-Exchange
HealthChecker test data, see docs/fidelity.md "Exchange Server"): enums are objects with their
number and their name, multi-valued properties are `MultiValuedProperty`1[[T]]` objects with a
list, AD links are `ADObjectId` objects, certificates carry only RawData and SerializationData.
Each object carries the properties checker reads and a few neighbours, not all ~200 of a
real one (the wire stays realistic in shape, not in size).
"""

from __future__ import annotations

import functools
import types
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from psrpcore.types import (
    PSEnumBase,
    PSFlagBase,
    PSInt64,
    PSList,
    PSNoteProperty,
    PSObject,
    PSType,
)

DATA = "Microsoft.Exchange.Data."
DIR = DATA + "Directory."
SYSCONF = DIR + "SystemConfiguration."
MVP = DATA + "MultiValuedProperty`1[[{0}]]"
ADMVP = DIR + "ADMultiValuedProperty`1[[{0}]]"
ASM = ", Microsoft.Exchange.Data, Version=15.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35"
ADOBJECTID = ["Microsoft.Exchange.Data.Directory.ADObjectId", "Microsoft.Exchange.Data.ObjectId"]
BASES = {
    "ad": [SYSCONF + "ADConfigurationObject", DIR + "ADObject", DIR + "ADRawEntry",
           DATA + "ConfigurableObject"],
    "recipient": [DIR + "Management.MailEnabledOrgPerson", DIR + "Management.MailEnabledRecipient",
                  DIR + "ADPresentationObject", DATA + "ConfigurableObject"],
}


def obj(type_names: Sequence[str], props: Mapping[str, Any], text: str | None = None,
        extended: Mapping[str, Any] | None = None) -> PSObject:
    """A .NET object: adapted properties, optional note properties (MS), its ToString."""
    o = PSObject()
    o.PSObject.type_names = [*type_names, "System.Object"]
    for name, value in props.items():
        o.PSObject.adapted_properties.append(PSNoteProperty(name, value))
    for name, value in (extended or {}).items():
        o.PSObject.extended_properties.append(PSNoteProperty(name, value))
    if text is not None:
        o.PSObject.to_string = text
    return o


def config(type_name: str, props: Mapping[str, Any], text: str) -> PSObject:
    """An AD configuration object (HybridConfiguration, AcceptedDomain, ...)."""
    return obj([type_name, *BASES["ad"]], props, text)


@functools.cache
def _enum_class(type_name: str, members: tuple[tuple[str, int], ...], flags: bool) -> Any:
    base = PSFlagBase if flags else PSEnumBase
    wide = {"base_type": PSInt64} if max(v for _, v in members) > 2**31 - 1 else {}
    cls = types.new_class(type_name.rsplit(".", 1)[-1], (base,), wide,
                          lambda ns: ns.update(dict(members)))
    return PSType([type_name], rehydrate=False)(cls)


def enum(type_name: str, members: Mapping[str, int], *names: str, flags: bool = False) -> Any:
    """An enum value (several names: a [Flags] enum's combination) as Exchange sends it."""
    cls = _enum_class(type_name, tuple(members.items()), flags or len(names) != 1)
    value = cls[names[0]] if names else cls(0)
    for name in names[1:]:
        value |= cls[name]
    return value


def mvp(item_type: str, items: Iterable[Any], ad: bool = False) -> PSList:
    """A (AD)MultiValuedProperty`1[[item_type]] holding `items`."""
    lst = PSList(list(items))
    generic = (ADMVP if ad else MVP).format(item_type + ASM)
    names = [generic] + ([MVP.format(item_type + ASM)] if ad else [])
    lst.PSObject.type_names = [*names, DATA + "MultiValuedPropertyBase", "System.Object"]
    return lst


def ad_id(name: str, dn: str) -> PSObject:
    rdn, _, parent = dn.partition(",")
    return obj(ADOBJECTID, {"Rdn": rdn, "Parent": parent.split(",")[0].split("=")[-1],
                            "DistinguishedName": dn, "Name": name, "IsDeleted": False}, name)


def text_value(type_name: str, text: str, **props: Any) -> PSObject:
    """A small Exchange value type shown by its text (SmtpDomain, Fqdn, SmtpX509Identifier)."""
    return obj([DATA + type_name], props, text)


def smtp_proxy(address: str, primary: bool = True) -> PSObject:
    prefix = "SMTP" if primary else "smtp"
    return obj([DATA + "SmtpProxyAddress", DATA + "ProxyAddress", DATA + "ProxyAddressBase"],
               {"SmtpAddress": address, "AddressString": address, "IsPrimaryAddress": primary,
                "ProxyAddressString": f"{prefix}:{address}",
                "Prefix": text_value("ProxyAddressPrefix", prefix)}, f"{prefix}:{address}")


def proxy_addresses(addresses: Iterable[str]) -> PSList:
    items = [smtp_proxy(a.split(":", 1)[1], a.startswith("SMTP:")) for a in addresses]
    lst = mvp(DATA + "ProxyAddress", items)
    lst.PSObject.type_names = [DATA + "ProxyAddressCollection", *lst.PSObject.type_names]
    return lst
