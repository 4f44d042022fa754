"""Active Directory collectors over LDAP: RootDSE, domain, UPN suffixes, the Exchange schema
and mail-enabled recipients.

Each collector states its searches (`LdapRequest`); the LDAP transport fills RootDSE
placeholders such as `{schemaNamingContext}` and streams the paged results. `process()` is
pure. A search that must find something (a canary) and finds nothing means the bind account
cannot read it: that is a `CollectError`, never "absent".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

from checker.collectors.ad_records import (
    FUNCTIONAL_LEVELS,
    AdDomain,
    AdForest,
    UpnSuffixes,
    exchange_version_name,
)
from checker.collectors.base import Collector, collectors
from checker.collectors.records import ExchangeSchema, RootDse
from checker.errors import CollectError
from checker.requests import LdapRequest, LdapSearch
from checker.wire import ldap_filter

Entry = Mapping[str, Any]
ROOTDSE = LdapSearch("", "(objectClass=*)", (
    "defaultNamingContext", "schemaNamingContext", "configurationNamingContext",
    "rootDomainNamingContext", "dnsHostName", "domainFunctionality", "forestFunctionality",
    "domainControllerFunctionality", "supportedControl"), scope="base", paged=False)
EXCHANGE_ATTRIBUTES = ("msExchRecipientTypeDetails", "msExchRecipientDisplayType",
                       "msExchRemoteRecipientType", "msExchVersion", "mailNickname",
                       "targetAddress")
SCHEMA_CANARY = "proxyAddresses"  # in every AD schema: not finding it means "cannot read"
# Domain crossRefs (systemFlags 3: FLAG_CR_NTDS_NC | FLAG_CR_NTDS_DOMAIN) carry the NetBIOS
# name; application partitions (DomainDnsZones...) do not.
CROSSREFS = LdapSearch("CN=Partitions,{configurationNamingContext}",
                       "(&(objectClass=crossRef)(nETBIOSName=*))",
                       ("nCName", "dnsRoot", "nETBIOSName"), scope="one")


# --------------------------------------------------------------------------- helpers


def entries(raw: Mapping[str, Any], name: str,
            refs: list[str] | None = None) -> Iterator[dict[str, list[str]]]:
    """The attributes (names lower-cased) of each entry of one search, with `dn` added.
    Search references (another naming context's subtree) go into `refs` when given."""
    if not isinstance(raw, Mapping) or name not in raw:
        raise CollectError(f"malformed LDAP reply: no result for search {name!r}")
    for entry in raw[name]:
        if "ref" in entry:
            if refs is not None:
                refs.extend(entry["ref"])
            continue
        attrs = {k.lower(): list(v) for k, v in entry["attributes"].items()}
        attrs["dn"] = [entry["dn"]]
        yield attrs


def first(attrs: Mapping[str, list[str]], name: str) -> str | None:
    values = attrs.get(name.lower())
    return values[0] if values else None


def as_int(value: str | None) -> int | None:
    return None if value is None or value == "" else int(value)


def gentime(value: str | None) -> dt.datetime | None:
    """LDAP generalized time ("20240131120000.0Z") as an aware UTC datetime."""
    if not value:
        return None
    try:  # by hand: strptime was half the per-recipient cost at 100,000 recipients
        return dt.datetime(int(value[0:4]), int(value[4:6]), int(value[6:8]), int(value[8:10]),
                           int(value[10:12]), int(value[12:14]), tzinfo=dt.timezone.utc)
    except (ValueError, IndexError):
        raise ValueError(f"not an LDAP generalized time: {value!r}") from None


def dn_to_dns(dn: str) -> str:
    """DC=lab,DC=example,DC=com -> lab.example.com."""
    parts = [p.split("=", 1)[1] for p in dn.split(",") if p.strip().lower().startswith("dc=")]
    return ".".join(parts).lower()


def one(raw: Mapping[str, Any], name: str, what: str) -> dict[str, list[str]]:
    found = list(entries(raw, name))
    if not found:
        raise CollectError(f"cannot read {what}: the search returned nothing "
                           "(missing permission for the bind account?)")
    return found[0]


class _Ldap(Collector):
    transports: ClassVar[tuple[str, ...]] = ("ldap",)
    request_type = LdapRequest


# --------------------------------------------------------------------------- collectors


@collectors.register("ldap.rootdse")
class RootDseCollector(_Ldap):
    """The RootDSE: naming contexts, functional levels, supported controls.

    ```yaml
    facts: {rootdse: ldap.rootdse}
    expect:
      - {key: rootdse.supported_controls, op: contains, value: "1.2.840.113556.1.4.319"}
    ```
    """

    model = RootDse
    description = "RootDSE: naming contexts, DNS host name, functional levels, controls"

    def request(self, params: Mapping[str, Any]) -> LdapRequest:
        return LdapRequest({"rootdse": ROOTDSE})

    def process(self, raw: Any, params: Mapping[str, Any]) -> RootDse:
        return rootdse_record(one(raw, "rootdse", "the RootDSE"))


def _level(value: int | None) -> str | None:
    """The functional level's name; 0 (Windows 2000) is a level, not "none"."""
    return None if value is None else FUNCTIONAL_LEVELS.get(value)


def rootdse_record(a: Mapping[str, list[str]]) -> RootDse:
    def need(name: str) -> str:
        value = first(a, name)
        if not value:
            raise CollectError(f"the RootDSE has no {name} (not an AD domain controller?)")
        return value

    return RootDse(
        default_naming_context=need("defaultNamingContext"),
        schema_naming_context=need("schemaNamingContext"),
        configuration_naming_context=need("configurationNamingContext"),
        root_domain_naming_context=need("rootDomainNamingContext"),
        dns_host_name=first(a, "dnsHostName"),
        domain_functionality=as_int(first(a, "domainFunctionality")),
        forest_functionality=as_int(first(a, "forestFunctionality")),
        supported_controls=sorted(set(a.get("supportedcontrol", []))),
    )


@collectors.register("ad.domain")
class DomainCollector(_Ldap):
    """The domain and forest: DNS names, NetBIOS name, functional levels.

    ```yaml
    facts: {domain: ad.domain}
    expect:
      - {key: domain.domain_functionality, op: ge, value: 7}   # Windows Server 2016
    ```
    """

    model = AdDomain
    description = "domain/forest DNS names, NetBIOS name and functional levels"

    def request(self, params: Mapping[str, Any]) -> LdapRequest:
        return LdapRequest({"rootdse": ROOTDSE, "crossrefs": CROSSREFS})

    def process(self, raw: Any, params: Mapping[str, Any]) -> AdDomain:
        attrs = one(raw, "rootdse", "the RootDSE")
        root = rootdse_record(attrs)
        refs = {(first(a, "nCName") or "").lower(): a for a in entries(raw, "crossrefs")}
        mine = refs.get(root.default_naming_context.lower(), {})
        forest = refs.get(root.root_domain_naming_context.lower(), {})
        dc_level = as_int(first(attrs, "domainControllerFunctionality"))
        return AdDomain(
            distinguished_name=root.default_naming_context,
            dns_name=first(mine, "dnsRoot") or dn_to_dns(root.default_naming_context),
            forest_dns_name=first(forest, "dnsRoot") or dn_to_dns(root.root_domain_naming_context),
            netbios_name=first(mine, "nETBIOSName"),
            domain_functionality=root.domain_functionality,
            forest_functionality=root.forest_functionality,
            dc_functionality=dc_level,
            domain_level=_level(root.domain_functionality),
            forest_level=_level(root.forest_functionality),
            forest_domains=sorted((first(a, "dnsRoot") or "").lower() for a in refs.values()),
        )


@collectors.register("ad.forest")
class ForestCollector(_Ldap):
    """The forest and its domains (the domain crossRefs of CN=Partitions), read once per
    forest: which domains a domain-scoped run must reach through a DC of each.

    ```yaml
    facts: {forest: ad.forest}
    expect:
      - {key: forest.domains, op: contains, value: emea.contoso.com}
    ```
    """

    model = AdForest
    description = "forest DNS name and the DNS names of its domains"

    def request(self, params: Mapping[str, Any]) -> LdapRequest:
        return LdapRequest({"rootdse": ROOTDSE, "crossrefs": CROSSREFS}, shared="forest")

    def process(self, raw: Any, params: Mapping[str, Any]) -> AdForest:
        root = rootdse_record(one(raw, "rootdse", "the RootDSE"))
        domains = sorted({(first(a, "dnsRoot") or "").lower() for a in entries(raw, "crossrefs")}
                         - {""})
        if not domains:
            raise CollectError("cannot read the domain crossRefs in CN=Partitions (missing "
                               "permission for the bind account?)")
        return AdForest(dn_to_dns(root.root_domain_naming_context), domains)


@collectors.register("ad.upn_suffixes")
class UpnSuffixesCollector(_Ldap):
    """The UPN suffixes users can get: the DNS name of every domain of the forest,
    uPNSuffixes on CN=Partitions and uPNSuffixes set on OUs of this DC's domain.

    ```yaml
    facts: {upn: ad.upn_suffixes}
    for_each: "{{ upn.suffixes }}"
    expect:
      - {key: item, op: not_regex, value: '\\.(local|lan|internal)$'}
    ```
    """

    model = UpnSuffixes
    description = "every domain's DNS name + forest and OU uPNSuffixes"

    def request(self, params: Mapping[str, Any]) -> LdapRequest:
        partitions = LdapSearch("CN=Partitions,{configurationNamingContext}", "(objectClass=*)",
                                ("uPNSuffixes",), scope="base", paged=False)
        ous = LdapSearch("{defaultNamingContext}",
                         "(&(objectClass=organizationalUnit)(uPNSuffixes=*))", ("uPNSuffixes",))
        return LdapRequest({"rootdse": ROOTDSE, "partitions": partitions,
                            "crossrefs": CROSSREFS, "ous": ous}, shared="domain")

    def process(self, raw: Any, params: Mapping[str, Any]) -> UpnSuffixes:
        root = rootdse_record(one(raw, "rootdse", "the RootDSE"))
        part = one(raw, "partitions", "CN=Partitions in the configuration partition")
        forest = dn_to_dns(root.root_domain_naming_context)
        domains = {(first(a, "dnsRoot") or "").lower() for a in entries(raw, "crossrefs")}
        alternative = _unique(sorted(part.get("upnsuffixes", []), key=str.lower))
        ou = _unique(sorted((v for a in entries(raw, "ous") for v in a.get("upnsuffixes", [])),
                            key=str.lower))
        ordered = _unique([forest, *sorted(domains - {forest, ""}), *alternative, *ou])
        return UpnSuffixes(forest, ordered, alternative, sorted(domains - {""}), ou)


def _unique(values: Iterable[str]) -> list[str]:
    """Case-insensitively distinct, in order, the first spelling kept."""
    seen: dict[str, str] = {}
    for v in values:
        seen.setdefault(v.lower(), v)
    return list(seen.values())


@collectors.register("ad.exchange_schema")
class ExchangeSchemaCollector(_Ldap):
    """Is the forest schema extended for Exchange, to which version, and since when?

    ```yaml
    facts: {exchange: ad.exchange_schema}
    expect:
      - {key: exchange.present, op: eq, value: true}
      - {that: "exchange.schema_version >= 15334", msg: "{{ exchange.version_name }}"}
    ```
    """

    model = ExchangeSchema
    description = "Exchange schema attributes, ms-Exch-Schema-Version-Pt, org/MESO objectVersion"

    def request(self, params: Mapping[str, Any]) -> LdapRequest:
        names = (*EXCHANGE_ATTRIBUTES, "msExchSchemaVersionPt", SCHEMA_CANARY)
        schema = LdapSearch("{schemaNamingContext}", ldap_filter.any_of("lDAPDisplayName", names),
                            ("lDAPDisplayName", "rangeUpper", "whenCreated", "whenChanged"),
                            scope="one")
        org = LdapSearch("CN=Microsoft Exchange,CN=Services,{configurationNamingContext}",
                         "(objectClass=msExchOrganizationContainer)", ("cn", "objectVersion"),
                         scope="one")
        meso = LdapSearch("CN=Microsoft Exchange System Objects,{defaultNamingContext}",
                          "(objectClass=*)", ("objectVersion",), scope="base", paged=False)
        return LdapRequest({"rootdse": ROOTDSE, "schema": schema, "org": org, "meso": meso})

    def process(self, raw: Any, params: Mapping[str, Any]) -> ExchangeSchema:
        root = rootdse_record(one(raw, "rootdse", "the RootDSE"))
        found = {(first(a, "lDAPDisplayName") or "").lower(): a for a in entries(raw, "schema")}
        if SCHEMA_CANARY.lower() not in found:
            raise CollectError("cannot read the schema partition: proxyAddresses was not found "
                               "(missing permission for the bind account?)")
        details = found.get("msexchrecipienttypedetails", {})
        pt = found.get("msexchschemaversionpt", {})
        present = [a for a in EXCHANGE_ATTRIBUTES if a.lower() in found]
        orgs = sorted(entries(raw, "org"), key=lambda a: first(a, "cn") or "")
        meso = next(iter(entries(raw, "meso")), {})
        version = as_int(first(pt, "rangeUpper"))
        return ExchangeSchema(
            present=bool(details),
            attributes=present,
            missing=[a for a in EXCHANGE_ATTRIBUTES if a not in present],
            schema_version=version,
            version_name=exchange_version_name(version),
            extended_at=gentime(first(details, "whenCreated")),
            updated_at=gentime(first(pt, "whenChanged")),
            organization=first(orgs[0], "cn") if orgs else None,
            org_object_version=as_int(first(orgs[0], "objectVersion")) if orgs else None,
            domain_object_version=as_int(first(meso, "objectVersion")),
            forest=dn_to_dns(root.root_domain_naming_context),
            domain=dn_to_dns(root.default_naming_context),
        )
