"""Exchange cmdlets of the lab endpoint. Each declares its parameters: any other is refused
the way PowerShell's parameter binder refuses it. Recipient cmdlets honour -ResultSize
(default 1000, with Exchange's warning)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..engine import COMMON, Engine, Invocation
from ..values import PSError
from . import objects as O
from .config_objects import SYSCONF_OBJECTS
from .recipients import mail_users, remote_aliases, remote_mailboxes
from .state import SERVERS_DN, State, certificate_object

DEFAULT_RESULT_SIZE = 1000
DEFAULT_WARNING = (
    "By default, only the first 1000 items are returned. Use the ResultSize parameter to "
    "specify the number of items returned. To return all items, specify \"-ResultSize "
    "Unlimited\". Be aware that, depending on the actual number of items, returning all items "
    "can take a long time and consume a large amount of memory. Also, we don't recommend "
    "storing the results in a variable. Instead, pipe the results to another task or script "
    "to perform batch changes.")
MORE_WARNING = ("There are more results available than are currently displayed. To view them, "
                "increase the value for the ResultSize parameter.")


def bind_error(cmdlet: str, name: str) -> PSError:
    return PSError(f"A parameter cannot be found that matches parameter name '{name}'.",
                   f"NamedParameterNotFound,{cmdlet}", "InvalidArgument",
                   "System.Management.Automation.ParameterBindingException", name,
                   terminating=True)


def not_found(cmdlet: str, identity: str) -> PSError:
    return PSError(f"The operation couldn't be performed because object '{identity}' couldn't "
                   "be found on 'dc01.lab.example.com'.",
                   f"[Server=EX01] [FailureCategory=Cmdlet-ManagementObjectNotFoundException] "
                   f"{cmdlet}", "NotSpecified",
                   "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
                   identity)


def register(engine: Engine, st: State) -> None:
    """The Exchange cmdlets, and nothing else: a NoLanguage endpoint's whole command set."""
    engine.cmdlets.clear()
    engine.aliases.clear()

    def cmdlet(name: str, *params: str) -> Callable[[Callable[..., Any]], Any]:
        allowed = {p.lower() for p in params} | COMMON | {"whatif", "confirm"}

        def deco(fn: Callable[[Invocation], Iterable[Any] | None]) -> Any:
            def run(inv: Invocation) -> Iterable[Any] | None:
                for key in inv.params:
                    if key not in allowed:
                        raise bind_error(name, key)
                return fn(inv)

            engine.cmdlets[name.lower()] = run
            return fn

        return deco

    for name, builder in SYSCONF_OBJECTS.items():
        cmdlet(name, "Identity", "DomainController")(lambda inv, b=builder: b(st))

    @cmdlet("Get-ExchangeServer", "Identity", "Status", "DomainController")
    def get_servers(inv: Invocation) -> list[Any]:
        wanted = inv.param("Identity", 0)
        return [server_object(st, s) for s in st.servers()
                if wanted is None or str(wanted).lower() in (s["name"].lower(), s["fqdn"].lower())]

    @cmdlet("Get-WebServicesVirtualDirectory", "Identity", "Server", "ADPropertiesOnly",
            "ShowMailboxVirtualDirectories", "DomainController")
    def get_vdirs(inv: Invocation) -> list[Any]:
        server = inv.param("Server")
        return [vdir_object(st, s) for s in st.servers() if not s.get("edge")
                and (server is None or st.fqdn(str(server)) == s["fqdn"])]

    @cmdlet("Set-WebServicesVirtualDirectory", "Identity", "MRSProxyEnabled", "DomainController")
    def set_vdir(inv: Invocation) -> None:
        identity = str(inv.param("Identity", 0))
        server = identity.split("\\", 1)[0]
        if server.lower() not in {s["name"].lower() for s in st.servers()}:
            raise not_found("Set-WebServicesVirtualDirectory", identity)
        value = inv.param("MRSProxyEnabled")
        if value is not None:
            st.vdirs[server.upper()] = bool(value)
            st.journal(f"Set-WebServicesVirtualDirectory -Identity {identity} "
                       f"-MRSProxyEnabled {bool(value)}")

    @cmdlet("Get-ExchangeCertificate", "Identity", "Server", "Thumbprint", "DomainName",
            "Instance", "DomainController")
    def get_certificates(inv: Invocation) -> list[Any]:
        server = st.fqdn(str(inv.param("Server") or st.local))
        thumb = inv.param("Thumbprint")
        return [certificate_object(c) for c in st.certificates if c.server == server
                and (thumb is None or c.thumbprint == str(thumb).upper())]

    @cmdlet("Enable-ExchangeCertificate", "Thumbprint", "Services", "Server", "Force",
            "DoNotRequireSsl", "NetworkServiceAllowed", "DomainController")
    def enable_certificate(inv: Invocation) -> None:
        server = st.fqdn(str(inv.param("Server") or st.local))
        thumb = str(inv.param("Thumbprint", 0) or "").upper()
        cert = next((c for c in st.certificates if c.server == server and c.thumbprint == thumb),
                    None)
        if cert is None:
            raise not_found("Enable-ExchangeCertificate", thumb)
        wanted = [s.strip() for s in str(inv.param("Services") or "").split(",") if s.strip()]
        cert.services = sorted(set(cert.services) | set(wanted))
        st.journal(f"Enable-ExchangeCertificate -Thumbprint {thumb} -Services {','.join(wanted)}")

    @cmdlet("Get-RemoteMailbox", "Identity", "ResultSize", "Filter", "Archive", "Anr",
            "DomainController", "OnPremisesOrganizationalUnit", "SortBy")
    def get_remote_mailboxes(inv: Invocation) -> list[Any]:
        return limit(inv, st.prebuilt.get("remote_mailboxes") or remote_mailboxes(st.sc))

    # Identity: a name, alias or canonical name (lab.example.com/Users/alias) as
    # Get-RemoteMailbox shows it; RemoteRoutingAddress binds to a ProxyAddress (SMTP by default)
    @cmdlet("Set-RemoteMailbox", "Identity", "RemoteRoutingAddress", "DomainController")
    def set_remote_mailbox(inv: Invocation) -> None:
        identity = str(inv.param("Identity", 0) or "")
        alias = identity.rsplit("/", 1)[-1]
        if alias not in remote_aliases(st.sc):
            raise not_found("Set-RemoteMailbox", identity)
        address = str(inv.param("RemoteRoutingAddress") or "")
        address = address.split(":", 1)[1] if address.lower().startswith("smtp:") else address
        st.sc.setdefault("remote_routing", {})[alias] = address
        st.journal(f"Set-RemoteMailbox -Identity {identity} -RemoteRoutingAddress {address}")

    @cmdlet("Get-MailUser", "Identity", "ResultSize", "Filter", "Anr", "DomainController",
            "OrganizationalUnit", "SortBy")
    def get_mail_users(inv: Invocation) -> list[Any]:
        return limit(inv, mail_users(st.sc))

    @cmdlet("New-AcceptedDomain", "Name", "DomainName", "DomainType", "DomainController")
    def new_accepted(inv: Invocation) -> list[Any]:
        entry = {"name": str(inv.param("Name")), "domain": str(inv.param("DomainName")),
                 "type": str(inv.param("DomainType") or "Authoritative"), "default": False}
        st.sc.setdefault("accepted_domains", []).append(entry)
        st.journal(f"New-AcceptedDomain -Name {entry['name']} -DomainName {entry['domain']}")
        return []


def limit(inv: Invocation, items: Iterable[Any]) -> list[Any]:
    """-ResultSize: a number or Unlimited; 1000 by default. Cut results say so."""
    size = inv.param("ResultSize")
    cap = None if str(size).lower() == "unlimited" else int(size or DEFAULT_RESULT_SIZE)
    out: list[Any] = []
    for item in items:
        if cap is not None and len(out) == cap:
            inv.w.warning(MORE_WARNING if size is not None else DEFAULT_WARNING)
            break
        out.append(item)
    return out


def server_object(st: State, s: dict[str, Any]) -> Any:
    version = O.obj([O.DATA + "ServerVersion"], {}, s["version"])
    roles = ["Edge"] if s.get("edge") else s.get("roles", ["Mailbox"])
    return O.obj([O.DIR + "Management.ExchangeServer", O.DIR + "ADPresentationObject",
                  O.DATA + "ConfigurableObject"], {
        "Name": s["name"], "Fqdn": s["fqdn"], "AdminDisplayVersion": version,
        "ServerRole": O.enum(O.SYSCONF + "ServerRole", ROLES, *roles, flags=True),
        "IsEdgeServer": bool(s.get("edge")), "IsMailboxServer": not s.get("edge"),
        "Edition": O.enum(O.DATA + "ServerEditionType", EDITIONS, "Standard"),
        "Site": O.obj(O.ADOBJECTID, {"Name": "Default-First-Site-Name"},
                      "lab.example.com/Configuration/Sites/Default-First-Site-Name"),
        "DistinguishedName": f"CN={s['name']},{SERVERS_DN}",
        "Identity": st.server_id(s["name"])}, s["name"])


def vdir_object(st: State, s: dict[str, Any]) -> Any:
    identity = f"{s['name']}\\EWS (Default Web Site)"
    urls = st.sc.get("ews_urls", {})
    return O.obj([O.SYSCONF + "ADWebServicesVirtualDirectory",
                  O.SYSCONF + "ADExchangeServiceVirtualDirectory",
                  O.SYSCONF + "ExchangeVirtualDirectory", O.SYSCONF + "ADVirtualDirectory",
                  *O.BASES["ad"]], {
        "Name": "EWS (Default Web Site)", "Server": st.server_id(s["name"]),
        "MRSProxyEnabled": st.vdirs.get(s["name"].upper(), False),
        "InternalUrl": urls.get("internal", f"https://{s['fqdn']}/EWS/Exchange.asmx"),
        "ExternalUrl": urls.get("external"),
        "Identity": O.obj(O.ADOBJECTID, {"Name": "EWS (Default Web Site)"}, identity)},
        "EWS (Default Web Site)")


ROLES = {"None": 0, "Mailbox": 2, "ClientAccess": 4, "UnifiedMessaging": 16,
         "HubTransport": 32, "Edge": 64}
EDITIONS = {"Unknown": 0, "Standard": 1, "StandardEvaluation": 2, "Enterprise": 3,
            "EnterpriseEvaluation": 4}
