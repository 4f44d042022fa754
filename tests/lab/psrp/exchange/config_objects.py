"""Organization-wide configuration objects (one cmdlet each, no parameters checker uses):
OrganizationConfig, HybridConfiguration, accepted and remote domains, connectors, OAuth."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import objects as O
from .state import ORG_DN, State

SC = O.SYSCONF


def _servers(st: State, names: list[str]) -> Any:
    return O.mvp(O.ADOBJECTID[0], [st.server_id(n) for n in names], ad=True)


def organization(st: State) -> list[Any]:
    return [O.obj([O.DIR + "Management.OrganizationConfig", O.DATA + "ConfigurableObject"], {
        "Name": "LAB", "Guid": "76fd9fb1-54f2-4fc8-8b04-97ca4824a55b", "IsDehydrated": False,
        "OAuth2ClientProfileEnabled": bool(st.sc.get("oauth2_client_profile", True)),
        "AdminDisplayVersion": O.obj([O.DATA + "ExchangeObjectVersion"], {}, "0.20 (15.2.0.0)")},
        "LAB")]


def hybrid(st: State) -> list[Any]:
    h = st.sc.get("hybrid")
    if not h:
        return []
    name = f"<I>{h['tls_issuer']}<S>{h['tls_subject']}"
    return [O.config(SC + "HybridConfiguration", {
        "ClientAccessServers": _servers(st, []), "EdgeTransportServers": _servers(st, []),
        "ReceivingTransportServers": _servers(st, h.get("receiving", [])),
        "SendingTransportServers": _servers(st, h.get("sending", [])),
        "OnPremisesSmartHost": O.text_value("SmtpDomain", h["smart_host"], Domain=h["smart_host"]),
        "Domains": O.mvp(O.DATA + "AutoDiscoverSmtpDomain",
                         [O.text_value("AutoDiscoverSmtpDomain", d, Domain=d)
                          for d in h.get("domains", [])]),
        "Features": O.mvp("HybridFeature", [O.enum(SC + "HybridFeature", FEATURES, f)
                                            for f in h.get("features", [])], ad=True),
        "TlsCertificateName": O.text_value("SmtpX509Identifier", name,
                                           CertificateIssuer=h["tls_issuer"],
                                           CertificateSubject=h["tls_subject"]),
        "ServiceInstance": 0, "Name": "Hybrid Configuration",
        "DistinguishedName": f"CN=Hybrid Configuration,CN=Hybrid Configuration,{ORG_DN}"},
        "Hybrid Configuration")]


def accepted_domains(st: State) -> list[Any]:
    return [O.config(SC + "AcceptedDomain", {
        "Name": d["name"], "Default": bool(d.get("default")),
        "DomainName": O.text_value("SmtpDomainWithSubdomains", d["domain"], Domain=d["domain"]),
        "DomainType": O.enum(SC + "AcceptedDomainType", DOMAIN_TYPES, d.get("type", "Authoritative")),
        "Identity": O.obj(O.ADOBJECTID, {"Name": d["name"]}, d["name"])}, d["name"])
        for d in st.sc.get("accepted_domains", [])]


def remote_domains(st: State) -> list[Any]:
    return [O.config(SC + "DomainContentConfig", {
        "Name": d["name"], "TargetDeliveryDomain": bool(d.get("target_delivery")),
        "DomainName": O.text_value("SmtpDomainWithSubdomains", d["domain"], Domain=d["domain"])},
        d["name"]) for d in st.sc.get("remote_domains", [])]


def send_connectors(st: State) -> list[Any]:
    return [O.config(SC + "SmtpSendConnectorConfig", {
        "Name": c["name"], "Enabled": True, "CloudServicesMailEnabled": bool(c.get("cloud")),
        "TlsCertificateName": _cert_name(c), "RequireTLS": bool(c.get("require_tls", True)),
        "TlsAuthLevel": O.enum(SC + "TlsAuthLevel", TLS_AUTH, c.get("tls_auth_level",
                                                                    "DomainValidation")),
        "TlsDomain": O.text_value("SmtpDomainWithSubdomains", c.get("tls_domain", "mail.protection.outlook.com")),
        "SmartHosts": O.mvp(O.DATA + "SmartHost", [O.text_value("SmartHost", h)
                                                   for h in c.get("smart_hosts", [])]),
        "AddressSpaces": O.mvp(O.DATA + "AddressSpace", [O.text_value("AddressSpace", f"SMTP:{a};1")
                                                         for a in c.get("address_spaces", [])]),
        "SourceTransportServers": _servers(st, c.get("source", []))}, c["name"])
        for c in st.sc.get("send_connectors", [])]


def receive_connectors(st: State) -> list[Any]:
    return [O.config(SC + "ReceiveConnector", {
        "Name": c["name"], "Enabled": True, "TlsCertificateName": _cert_name(c),
        "Server": st.server_id(c["server"]),
        "TlsDomainCapabilities": O.mvp(O.DATA + "SmtpReceiveDomainCapabilities", [
            O.text_value("SmtpReceiveDomainCapabilities", t) for t in c.get("capabilities", [])]),
        "TransportRole": O.enum(SC + "ServerRole", {"HubTransport": 32, "FrontendTransport": 16384},
                                c.get("role", "FrontendTransport")),
        "Identity": O.obj(O.ADOBJECTID, {"Name": c["name"]}, f"{c['server']}\\{c['name']}")},
        c["name"]) for c in st.sc.get("receive_connectors", [])]


def auth_servers(st: State) -> list[Any]:
    return [O.config(SC + "AuthServer", {
        "Name": a["name"], "Enabled": bool(a.get("enabled", True)),
        "Type": O.enum(SC + "AuthServerType", AUTH_TYPES, a["type"]),
        "ApplicationIdentifier": a.get("app_id"), "Realm": a.get("realm"),
        "DomainName": O.mvp(O.DATA + "SmtpDomain", [O.text_value("SmtpDomain", d)
                                                    for d in a.get("domains", [])])}, a["name"])
        for a in st.sc.get("auth_servers", [])]


def partner_applications(st: State) -> list[Any]:
    return [O.config(SC + "PartnerApplication", {
        "Name": a["name"], "Enabled": bool(a.get("enabled", True)),
        "ApplicationIdentifier": a["app_id"], "Realm": ""}, a["name"])
        for a in st.sc.get("partner_applications", [])]


def setting_overrides(st: State) -> list[Any]:
    return [O.config(SC + "ConfigurationSettings.SettingOverride", {
        "Name": o["name"], "ComponentName": o["component"], "SectionName": o["section"],
        "Parameters": O.mvp("System.String", list(o.get("parameters", []))),
        "Server": None, "Reason": o.get("reason", "")}, o["name"])
        for o in st.sc.get("setting_overrides", [])]


def _cert_name(c: dict[str, Any]) -> Any:
    if not c.get("tls_certificate_name"):
        return None
    return O.text_value("SmtpX509Identifier", c["tls_certificate_name"])


FEATURES = {"OnlineArchive": 0, "FreeBusy": 1, "MoveMailbox": 2, "Mailtips": 3,
            "MessageTracking": 4, "OwaRedirection": 5, "SecureMail": 6, "Photos": 7}
DOMAIN_TYPES = {"Authoritative": 0, "ExternalRelay": 1, "InternalRelay": 2}
TLS_AUTH = {"EncryptionOnly": 1, "CertificateValidation": 2, "DomainValidation": 3}
AUTH_TYPES = {"Unknown": 0, "MicrosoftACS": 1, "Facebook": 2, "LinkedIn": 3, "ADFS": 4,
              "AzureAD": 5}

SYSCONF_OBJECTS: dict[str, Callable[[State], list[Any]]] = {
    "Get-OrganizationConfig": organization, "Get-HybridConfiguration": hybrid,
    "Get-AcceptedDomain": accepted_domains, "Get-RemoteDomain": remote_domains,
    "Get-SendConnector": send_connectors, "Get-ReceiveConnector": receive_connectors,
    "Get-AuthServer": auth_servers, "Get-PartnerApplication": partner_applications,
    "Get-SettingOverride": setting_overrides,
}
