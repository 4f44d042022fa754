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
    DuplicateAddress,
    ProxyAddressDuplicates,
    Recipient,
    UpnSuffixes,
    exchange_version_name,
    recipient_type_name,
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
# objectClass, not objectCategory: on Samba objectCategory matching costs ~30% of the search.
RECIPIENT_FILTER = (
    "(&(|(objectClass=user)(objectClass=contact)(objectClass=group))(!(objectClass=computer))"
    "(|(mail=*)(proxyAddresses=*)(mailNickname=*)(targetAddress=*)"
    "(msExchRecipientTypeDetails=*)))"
)
RECIPIENT_ATTRS = ("objectClass", "objectGUID", "sAMAccountName", "userPrincipalName", "mail",
                   "mailNickname", "targetAddress", "proxyAddresses",
                   "msExchRecipientTypeDetails", "displayName", "whenChanged")
USER_CANARY = LdapSearch("{defaultNamingContext}", "(sAMAccountName=krbtgt)",
                         ("sAMAccountName",), paged=False)
RECIPIENT_PARAMS = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "base": {"type": "string", "description": "search base (default: the domain)"},
        "accounts": {"type": "array", "items": {"type": "string"},
                     "description": "only these sAMAccountNames (e.g. a migration wave)"},
    },
}


# --------------------------------------------------------------------------- helpers


def entries(raw: Mapping[str, Any], name: str) -> Iterator[dict[str, list[str]]]:
    """The attributes (names lower-cased) of each entry of one search, with `dn` added."""
    if not isinstance(raw, Mapping) or name not in raw:
        raise CollectError(f"malformed LDAP reply: no result for search {name!r}")
    for entry in raw[name]:
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
    return dt.datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(tzinfo=dt.timezone.utc)


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
        crossrefs = LdapSearch("CN=Partitions,{configurationNamingContext}",
                               "(&(objectClass=crossRef)(nETBIOSName=*))",
                               ("nCName", "dnsRoot", "nETBIOSName"), scope="one")
        return LdapRequest({"rootdse": ROOTDSE, "crossrefs": crossrefs})

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
            domain_level=FUNCTIONAL_LEVELS.get(root.domain_functionality or -1),
            forest_level=FUNCTIONAL_LEVELS.get(root.forest_functionality or -1),
        )


@collectors.register("ad.upn_suffixes")
class UpnSuffixesCollector(_Ldap):
    """The UPN suffixes users can get: the forest DNS name plus uPNSuffixes on CN=Partitions.

    ```yaml
    facts: {upn: ad.upn_suffixes}
    for_each: "{{ upn.suffixes }}"
    expect:
      - {key: item, op: not_regex, value: '\\.(local|lan|internal)$'}
    ```
    """

    model = UpnSuffixes
    description = "forest DNS name + alternative UPN suffixes (uPNSuffixes)"

    def request(self, params: Mapping[str, Any]) -> LdapRequest:
        partitions = LdapSearch("CN=Partitions,{configurationNamingContext}", "(objectClass=*)",
                                ("uPNSuffixes",), scope="base", paged=False)
        return LdapRequest({"rootdse": ROOTDSE, "partitions": partitions})

    def process(self, raw: Any, params: Mapping[str, Any]) -> UpnSuffixes:
        root = rootdse_record(one(raw, "rootdse", "the RootDSE"))
        part = one(raw, "partitions", "CN=Partitions in the configuration partition")
        forest = dn_to_dns(root.root_domain_naming_context)
        alternative = sorted(part.get("upnsuffixes", []), key=str.lower)
        return UpnSuffixes(forest, [forest, *alternative], alternative)


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


def recipient_searches(params: Mapping[str, Any], attrs: tuple[str, ...]) -> LdapRequest:
    flt = RECIPIENT_FILTER
    if params.get("accounts"):
        flt = f"(&{flt}{ldap_filter.any_of('sAMAccountName', params['accounts'])})"
    search = LdapSearch(str(params.get("base") or "{defaultNamingContext}"), flt, attrs)
    return LdapRequest({"canary": USER_CANARY, "recipients": search})


def check_canary(raw: Mapping[str, Any]) -> None:
    one(raw, "canary", "user objects (krbtgt) in the domain")


@collectors.register("ad.recipients")
class RecipientsCollector(_Ldap):
    """Mail-enabled users, contacts and groups, one record per object (paged, streamed).

    ```yaml
    facts: {recipients: ad.recipients}
    for_each: "{{ recipients | selectattr('recipient_type_details', 'eq', 128) | list }}"
    max_failures: 0
    expect:
      - {key: item.mail_nickname, op: exists, value: true}
    ```
    """

    model = list[Recipient]
    params_schema = RECIPIENT_PARAMS
    description = "mail-enabled users, contacts and groups with their Exchange attributes"

    def request(self, params: Mapping[str, Any]) -> LdapRequest:
        return recipient_searches(params, RECIPIENT_ATTRS)

    def process(self, raw: Any, params: Mapping[str, Any]) -> list[Recipient]:
        check_canary(raw)
        return [recipient(a) for a in entries(raw, "recipients")]


KINDS = ("contact", "group", "computer", "user")


def recipient(a: Mapping[str, list[str]]) -> Recipient:
    classes = {c.lower() for c in a.get("objectclass", ())}
    details = as_int(first(a, "msExchRecipientTypeDetails"))
    return Recipient(
        dn=a["dn"][0],
        object_class=next((k for k in KINDS if k in classes), "other"),
        object_guid=first(a, "objectGUID"),
        sam_account_name=first(a, "sAMAccountName"),
        upn=first(a, "userPrincipalName"),
        mail=first(a, "mail"),
        mail_nickname=first(a, "mailNickname"),
        target_address=first(a, "targetAddress"),
        proxy_addresses=list(a.get("proxyaddresses", ())),
        recipient_type_details=details,
        recipient_type=recipient_type_name(details),
        display_name=first(a, "displayName"),
        when_changed=gentime(first(a, "whenChanged")),
    )


@collectors.register("ad.proxy_address_duplicates")
class ProxyAddressDuplicatesCollector(_Ldap):
    """proxyAddresses carried by more than one object (compared case-insensitively).

    ```yaml
    facts: {dups: ad.proxy_address_duplicates}
    expect:
      - {key: dups.duplicates, op: empty, value: true}
    ```
    """

    model = ProxyAddressDuplicates
    params_schema = RECIPIENT_PARAMS
    description = "proxyAddresses values held by more than one recipient"

    def request(self, params: Mapping[str, Any]) -> LdapRequest:
        return recipient_searches(params, ("proxyAddresses",))

    def process(self, raw: Any, params: Mapping[str, Any]) -> ProxyAddressDuplicates:
        check_canary(raw)
        return duplicates(entries(raw, "recipients"))


def duplicates(items: Iterable[Mapping[str, list[str]]]) -> ProxyAddressDuplicates:
    holders: dict[str, str | list[str]] = {}  # one DN per address until a second turns up
    count = 0
    for a in items:
        count += 1
        dn = a["dn"][0]
        for address in {p.lower() for p in a.get("proxyaddresses", ())}:
            seen = holders.get(address)
            if seen is None:
                holders[address] = dn
            elif isinstance(seen, list):
                seen.append(dn)
            else:
                holders[address] = [seen, dn]
    dups = [DuplicateAddress(k, v) for k, v in sorted(holders.items()) if isinstance(v, list)]
    return ProxyAddressDuplicates(count, dups)
