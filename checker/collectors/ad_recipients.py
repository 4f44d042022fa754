"""Mail-enabled recipients and proxyAddresses duplicates, read once per domain (or once per
forest from the Global Catalog with `checker_ldap_scope: forest`).

Every recipient carries `in_connect_scope`: false for what Entra Connect's default sync rules
never synchronize (see `connect_scope`). Hygiene and recipient rules select
`recipients | where('in_connect_scope')`, so an Exchange organization's system and
arbitration mailboxes never fail them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from checker.collectors.ad import _Ldap, as_int, entries, first, gentime, one
from checker.collectors.ad_records import (
    DuplicateAddress,
    ProxyAddressDuplicates,
    Recipient,
    recipient_type_name,
)
from checker.collectors.base import collectors
from checker.requests import LdapRequest, LdapSearch
from checker.wire import ldap_filter

# objectClass, not objectCategory: on Samba objectCategory matching costs ~30% of the search.
RECIPIENT_FILTER = (
    "(&(|(objectClass=user)(objectClass=contact)(objectClass=group))(!(objectClass=computer))"
    "(|(mail=*)(proxyAddresses=*)(mailNickname=*)(targetAddress=*)"
    "(msExchRecipientTypeDetails=*)))"
)
RECIPIENT_ATTRS = ("objectClass", "objectGUID", "sAMAccountName", "userPrincipalName", "mail",
                   "mailNickname", "targetAddress", "proxyAddresses",
                   "msExchRecipientTypeDetails", "displayName", "whenChanged",
                   "isCriticalSystemObject")
USER_CANARY = LdapSearch("{defaultNamingContext}", "(sAMAccountName=krbtgt)",
                         ("sAMAccountName",), paged=False)
RECIPIENT_PARAMS = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "base": {"type": "string", "description": "search base (default: the domain); a base "
                 "that does not exist is an error"},
        "accounts": {"type": "array", "items": {"type": "string"},
                     "description": "only these sAMAccountNames (e.g. a migration wave)"},
    },
}
# Entra Connect's default inbound rules drop users whose msExchRecipientTypeDetails has any
# of these bits: PublicFolder, SystemAttendantMailbox, SystemMailbox, MicrosoftExchange,
# ArbitrationMailbox, MailboxPlan, DiscoveryMailbox (KB 3066176; docs/fidelity.md).
CONNECT_EXCLUDED_TYPES = 0x21C07000
CONNECT_EXCLUDED_NICKNAMES = ("systemmailbox{",)
CONNECT_EXCLUDED_ACCOUNTS = ("aad_", "msol_")


def connect_scope(details: int | None, critical: bool, nickname: str | None, dn: str,
                  sam: str | None = None) -> bool:
    """False for an object Entra Connect's default configuration never synchronizes:
    msExchRecipientTypeDetails & 0x21C07000, isCriticalSystemObject TRUE, a mailNickname
    starting with "SystemMailbox{" or a CAS_{...} one, the AAD_/MSOL_ service accounts, and
    replication-conflict objects (a DN with "\\0ACNF:")."""
    nick = (nickname or "").lower()
    return not (
        (details or 0) & CONNECT_EXCLUDED_TYPES
        or critical
        or nick.startswith(CONNECT_EXCLUDED_NICKNAMES)
        or (nick.startswith("cas_") and "}" in nick)
        or (sam or "").lower().startswith(CONNECT_EXCLUDED_ACCOUNTS)
        or "\\0acnf:" in dn.lower()
    )


def recipient_searches(params: Mapping[str, Any], attrs: tuple[str, ...]) -> LdapRequest:
    flt = RECIPIENT_FILTER
    if params.get("accounts"):
        flt = f"(&{flt}{ldap_filter.any_of('sAMAccountName', params['accounts'])})"
    # isCriticalSystemObject is not replicated to the Global Catalog
    search = LdapSearch(str(params.get("base") or "{defaultNamingContext}"), flt, attrs,
                        base_required=True, forest_wide=not params.get("base"),
                        gc_optional=("isCriticalSystemObject",))
    return LdapRequest({"canary": USER_CANARY, "recipients": search}, shared="domain")


def check_canary(raw: Mapping[str, Any]) -> None:
    one(raw, "canary", "user objects (krbtgt) in the domain")


@collectors.register("ad.recipients")
class RecipientsCollector(_Ldap):
    """Mail-enabled users, contacts and groups, one record per object (paged, streamed),
    read once per domain (or per forest from the Global Catalog).
    `in_connect_scope` is false for what Entra Connect never synchronizes.

    ```yaml
    facts: {recipients: ad.recipients}
    for_each: "{{ recipients | where('in_connect_scope') | where('recipient_type_details', 128) }}"
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
    nickname, sam, dn = first(a, "mailNickname"), first(a, "sAMAccountName"), a["dn"][0]
    critical = (first(a, "isCriticalSystemObject") or "").upper() == "TRUE"
    return Recipient(
        dn=dn,
        object_class=next((k for k in KINDS if k in classes), "other"),
        object_guid=first(a, "objectGUID"),
        sam_account_name=sam,
        upn=first(a, "userPrincipalName"),
        mail=first(a, "mail"),
        mail_nickname=nickname,
        target_address=first(a, "targetAddress"),
        proxy_addresses=list(a.get("proxyaddresses", ())),
        recipient_type_details=details,
        recipient_type=recipient_type_name(details),
        display_name=first(a, "displayName"),
        when_changed=gentime(first(a, "whenChanged")),
        critical_system_object=critical,
        in_connect_scope=connect_scope(details, critical, nickname, dn, sam),
    )


@collectors.register("ad.proxy_address_duplicates")
class ProxyAddressDuplicatesCollector(_Ldap):
    """proxyAddresses carried by more than one object (compared case-insensitively), among
    the objects Entra Connect synchronizes. Read once per domain; across domains with
    `checker_ldap_scope: forest` (the Global Catalog). `referrals` lists the subtrees the DC
    referred elsewhere (child domains), which a domain-scoped search did not see.

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
        return recipient_searches(params, ("proxyAddresses", "msExchRecipientTypeDetails",
                                           "isCriticalSystemObject", "mailNickname",
                                           "sAMAccountName"))

    def process(self, raw: Any, params: Mapping[str, Any]) -> ProxyAddressDuplicates:
        check_canary(raw)
        refs: list[str] = []
        found = duplicates(entries(raw, "recipients", refs))
        return ProxyAddressDuplicates(found.objects, found.duplicates, sorted(set(refs)))


def duplicates(items: Iterable[Mapping[str, list[str]]]) -> ProxyAddressDuplicates:
    holders: dict[str, str | list[str]] = {}  # one DN per address until a second turns up
    count = 0
    for a in items:
        r = recipient(a)
        if not r.in_connect_scope:
            continue
        count += 1
        for address in {p.lower() for p in r.proxy_addresses}:
            seen = holders.get(address)
            if seen is None:
                holders[address] = r.dn
            elif isinstance(seen, list):
                seen.append(r.dn)
            else:
                holders[address] = [seen, r.dn]
    dups = [DuplicateAddress(k, v) for k, v in sorted(holders.items()) if isinstance(v, list)]
    return ProxyAddressDuplicates(count, dups)
