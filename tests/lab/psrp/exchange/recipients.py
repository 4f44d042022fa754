"""Remote mailboxes and mail users, generated from a scenario's counts (tens of thousands for
the benchmark) as Exchange sends them: RemoteRoutingAddress a ProxyAddress object,
EmailAddresses a ProxyAddressCollection, PrimarySmtpAddress an SmtpAddress."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import objects as O

MGMT = O.DIR + "Management."
OU = "lab.example.com/Users/"


def _recipient(kind: str, alias: str, addresses: list[str], extra: dict[str, Any]) -> Any:
    primary = addresses[0].split(":", 1)[1]
    props = {"Name": alias, "Alias": alias, "DisplayName": alias.replace(".", " ").title(),
             "Identity": O.obj(O.ADOBJECTID, {"Name": alias}, OU + alias),
             "PrimarySmtpAddress": O.text_value("SmtpAddress", primary, Address=primary),
             "EmailAddresses": O.proxy_addresses(addresses),
             "UserPrincipalName": primary, "RecipientTypeDetails": O.enum(
                 O.DIR + "Recipient.RecipientTypeDetails", RTD, extra.pop("_rtd"), flags=True),
             **extra}
    return O.obj([MGMT + kind, *O.BASES["recipient"]], props, alias)


def remote_aliases(sc: Mapping[str, Any]) -> set[str]:
    return {f"user{i:05d}" for i in range(int((sc.get("remote_mailboxes") or {}).get("count", 0)))}


def remote_mailboxes(sc: Mapping[str, Any]) -> Iterator[Any]:
    """`remote_mailboxes: {count, no_routing, wrong_domain}`: the first `no_routing` have no
    RemoteRoutingAddress, the next `wrong_domain` route to a domain not the tenant's.
    `remote_routing` ({alias: address}) holds what Set-RemoteMailbox set since."""
    spec = sc.get("remote_mailboxes") or {}
    tenant, domain = sc["tenant_routing_domain"], sc.get("mail_domain", "lab.example.com")
    changed = sc.get("remote_routing") or {}
    for i in range(int(spec.get("count", 0))):
        alias = f"user{i:05d}"
        route: Any = O.smtp_proxy(f"{alias}@{tenant}")
        if alias in changed:
            route = O.smtp_proxy(changed[alias])
        elif i < int(spec.get("no_routing", 0)):
            route = None
        elif i < int(spec.get("no_routing", 0)) + int(spec.get("wrong_domain", 0)):
            route = O.smtp_proxy(f"{alias}@oldtenant.mail.onmicrosoft.com")
        addresses = [f"SMTP:{alias}@{domain}", f"smtp:{alias}@{tenant}"]
        yield _recipient("RemoteMailbox", alias, addresses, {
            "RemoteRoutingAddress": route, "_rtd": "RemoteUserMailbox"})


def mail_users(sc: Mapping[str, Any]) -> Iterator[Any]:
    spec = sc.get("mail_users") or {}
    domain = sc.get("mail_domain", "lab.example.com")
    for i in range(int(spec.get("count", 0))):
        alias = f"contact{i:04d}"
        yield _recipient("MailUser", alias, [f"SMTP:{alias}@{domain}"], {
            "ExternalEmailAddress": O.smtp_proxy(f"{alias}@partner.example.net"),
            "_rtd": "MailUser"})


RTD = {"UserMailbox": 1, "MailUser": 128, "RemoteUserMailbox": 2147483648}
