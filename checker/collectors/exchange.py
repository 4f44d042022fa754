"""Exchange Server collectors, over Exchange's own remoting endpoint.

`http(s)://<server>/PowerShell/` with the `Microsoft.Exchange` configuration runs in NoLanguage
mode: each collector declares one cmdlet (a `PsCmdlet`: name, parameters, the properties it
reads, the .NET type it returns) and the PSRP transport sends it as a command. `process()` is
pure: it reads the plain values of `checker.wire.clixml`. Every cmdlet and property is in
docs/fidelity.md, "Exchange Server".

Example rule use::

    hosts: exchange_servers
    facts:
      hybrid: exchange.hybrid_configuration
      vdirs: exchange.ews_virtual_directories
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from checker.collectors import exchange_records as rec
from checker.collectors.base import Collector, collectors
from checker.collectors.exchange_builds import classify, parse_admin_display_version
from checker.collectors.exchange_certs import certificate
from checker.errors import CollectError
from checker.requests import PsCmdlet
from checker.wire.clixml import text_of, texts

DATA = "Microsoft.Exchange.Data.Directory."
SYSCONF = DATA + "SystemConfiguration."


class _Cmdlet(Collector):
    """One cmdlet; `record(props)` turns one object's properties into a record."""

    transports: ClassVar[tuple[str, ...]] = ("psrp",)
    request_type = PsCmdlet
    cmdlet: ClassVar[str]
    output_type: ClassVar[str]
    properties: ClassVar[tuple[str, ...]]
    parameters: ClassVar[tuple[tuple[str, Any], ...]] = ()
    result_size: ClassVar[int | str | None] = None

    def request(self, params: Mapping[str, Any]) -> PsCmdlet:
        return PsCmdlet(self.cmdlet, self.output_type, self.properties, self.parameters,
                        self.result_size)

    def process(self, raw: Any, params: Mapping[str, Any]) -> Any:
        return [self.record(_props(p)) for p in raw]

    def record(self, p: Mapping[str, Any]) -> Any:
        raise NotImplementedError


def _props(item: Any) -> Mapping[str, Any]:
    if not isinstance(item, Mapping):
        raise CollectError(f"expected an object from the cmdlet, got {item!r}")
    return item


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _name(value: Any) -> str:
    """An ADObjectId (or any object) as its name: Name if it has one, else its text."""
    if isinstance(value, Mapping) and value.get("Name"):
        return str(value["Name"])
    return text_of(value) or ""


def _smtp(value: Any) -> str | None:
    """A ProxyAddress/SmtpAddress as the bare address ("SMTP:a@b" -> "a@b")."""
    if isinstance(value, Mapping):
        for key in ("SmtpAddress", "AddressString", "Address"):
            if value.get(key):
                return str(value[key])
    text = text_of(value)
    if not text:
        return None
    return text.split(":", 1)[1] if text[:5].lower() == "smtp:" else text


@collectors.register("exchange.servers")
class ServersCollector(_Cmdlet):
    """Get-ExchangeServer: every server of the organization, its build, CU and support.

    ```yaml
    facts: {servers: exchange.servers}
    for_each: "{{ servers }}"
    expect: [{key: item.cu_supported, op: eq, value: true}]
    ```
    """

    model = list[rec.ExchangeServer]
    description = "Get-ExchangeServer: name, FQDN, build (product, CU, support), roles"
    cmdlet, output_type = "Get-ExchangeServer", DATA + "Management.ExchangeServer"
    properties = ("Name", "Fqdn", "AdminDisplayVersion", "ServerRole", "IsEdgeServer", "Site",
                  "Edition", "DistinguishedName")

    def record(self, p: Mapping[str, Any]) -> rec.ExchangeServer:
        version = parse_admin_display_version(text_of(p.get("AdminDisplayVersion")) or "")
        build = classify(version) if version else None
        return rec.ExchangeServer(
            name=str(p.get("Name")), fqdn=text_of(p.get("Fqdn")), version=version,
            product=build.product if build else None, cu=build.cu if build else None,
            cu_supported=bool(build and build.cu_supported),
            extended_support_end=build.extended_support_end if build else None,
            hybrid_app_capable=build.hybrid_app_capable if build else False,
            hybrid_app_build=build.hybrid_app_build if build else None,
            roles=[r.strip() for r in (text_of(p.get("ServerRole")) or "").split(",") if r],
            is_edge=_flag(p.get("IsEdgeServer")), site=text_of(p.get("Site")),
            edition=text_of(p.get("Edition")),
            distinguished_name=text_of(p.get("DistinguishedName")))


@collectors.register("exchange.organization")
class OrganizationCollector(_Cmdlet):
    """Get-OrganizationConfig: the organization's name and OAuth client profile (HMA)."""

    model = rec.OrganizationConfig
    description = "Get-OrganizationConfig: name, OAuth2ClientProfileEnabled"
    cmdlet, output_type = "Get-OrganizationConfig", DATA + "Management.OrganizationConfig"
    properties = ("Name", "OAuth2ClientProfileEnabled", "IsDehydrated", "AdminDisplayVersion")

    def process(self, raw: Any, params: Mapping[str, Any]) -> rec.OrganizationConfig:
        items = super().process(raw, params)
        if len(items) != 1:
            raise CollectError(f"expected one organization, got {len(items)}")
        return items[0]

    def record(self, p: Mapping[str, Any]) -> rec.OrganizationConfig:
        return rec.OrganizationConfig(
            name=str(p.get("Name")),
            oauth2_client_profile_enabled=_flag(p.get("OAuth2ClientProfileEnabled")),
            is_dehydrated=_flag(p.get("IsDehydrated")),
            admin_display_version=text_of(p.get("AdminDisplayVersion")))


@collectors.register("exchange.hybrid_configuration")
class HybridConfigurationCollector(_Cmdlet):
    """Get-HybridConfiguration: what the Hybrid Configuration Wizard set up (`present` is
    false when it never ran).

    ```yaml
    facts: {hybrid: exchange.hybrid_configuration}
    expect: [{key: hybrid.present, op: eq, value: true}]
    ```
    """

    model = rec.HybridConfiguration
    description = "Get-HybridConfiguration: domains, transport servers, TLS certificate name"
    cmdlet, output_type = "Get-HybridConfiguration", SYSCONF + "HybridConfiguration"
    properties = ("Domains", "Features", "OnPremisesSmartHost", "TlsCertificateName",
                  "SendingTransportServers", "ReceivingTransportServers",
                  "EdgeTransportServers", "ServiceInstance")

    def process(self, raw: Any, params: Mapping[str, Any]) -> rec.HybridConfiguration:
        items = super().process(raw, params)
        if len(items) > 1:
            raise CollectError(f"expected at most one hybrid configuration, got {len(items)}")
        return items[0] if items else rec.HybridConfiguration(present=False)

    def record(self, p: Mapping[str, Any]) -> rec.HybridConfiguration:
        name = text_of(p.get("TlsCertificateName"))
        issuer, subject = split_certificate_name(name)
        instance = p.get("ServiceInstance")
        return rec.HybridConfiguration(
            present=True, domains=texts(p.get("Domains")), features=texts(p.get("Features")),
            on_premises_smart_host=text_of(p.get("OnPremisesSmartHost")),
            tls_certificate_name=name or None, tls_issuer=issuer, tls_subject=subject,
            sending_transport_servers=_names(p.get("SendingTransportServers")),
            receiving_transport_servers=_names(p.get("ReceivingTransportServers")),
            edge_transport_servers=_names(p.get("EdgeTransportServers")),
            service_instance=instance if isinstance(instance, int) else None)


def _names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else ([] if value is None else [value])
    return [_name(v) for v in items]


def split_certificate_name(name: str | None) -> tuple[str | None, str | None]:
    """"<I>issuer<S>subject" -> (issuer, subject), as HealthChecker splits it."""
    if not name:
        return None, None
    lower = name.lower()
    i, s = lower.find("<i>"), lower.find("<s>")
    if i == -1 or s == -1 or s < i:
        return None, None
    return name[i + 3:s], name[s + 3:]


@collectors.register("exchange.ews_virtual_directories")
class EwsVirtualDirectoriesCollector(_Cmdlet):
    """Get-WebServicesVirtualDirectory -ADPropertiesOnly: MRSProxyEnabled and URLs of every
    EWS virtual directory (read from Active Directory, so no server's IIS is contacted)."""

    model = list[rec.WebServicesVirtualDirectory]
    description = "Get-WebServicesVirtualDirectory -ADPropertiesOnly: MRSProxyEnabled, URLs"
    cmdlet = "Get-WebServicesVirtualDirectory"
    output_type = SYSCONF + "ADWebServicesVirtualDirectory"
    properties = ("Identity", "Server", "MRSProxyEnabled", "InternalUrl", "ExternalUrl")
    parameters = (("ADPropertiesOnly", True),)

    def record(self, p: Mapping[str, Any]) -> rec.WebServicesVirtualDirectory:
        return rec.WebServicesVirtualDirectory(
            identity=text_of(p.get("Identity")) or "", server=_name(p.get("Server")),
            mrs_proxy_enabled=_flag(p.get("MRSProxyEnabled")),
            internal_url=text_of(p.get("InternalUrl")), external_url=text_of(p.get("ExternalUrl")))


@collectors.register("exchange.certificates")
class CertificatesCollector(_Cmdlet):
    """Get-ExchangeCertificate: the certificates of the server this host is (NotAfter,
    Services, Status, domains), decoded from RawData and SerializationData."""

    model = list[rec.ExchangeCertificate]
    description = "Get-ExchangeCertificate: thumbprint, subject, issuer, NotAfter, services, status"
    cmdlet = "Get-ExchangeCertificate"
    output_type = "Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate"
    properties = ("RawData", "SerializationData", "Status", "Services", "Identity")

    def record(self, p: Mapping[str, Any]) -> rec.ExchangeCertificate:
        return certificate(p)


class _Simple(_Cmdlet):
    """Records built field by field from a property table: (field, property, convert)."""

    fields: ClassVar[tuple[tuple[str, str, Any], ...]]
    record_type: ClassVar[type]

    def record(self, p: Mapping[str, Any]) -> Any:
        return self.record_type(**{f: conv(p.get(prop)) for f, prop, conv in self.fields})


def _text(value: Any) -> str:
    return text_of(value) or ""


def _opt(value: Any) -> str | None:
    return text_of(value) or None


def _table(*rows: tuple[str, str, Any]) -> tuple[tuple[str, str, Any], ...]:
    return rows


def _register(name: str, cmdlet: str, output_type: str, record_type: type, doc: str,
              fields: Iterable[tuple[str, str, Any]], **extra: Any) -> None:
    rows = tuple(fields)
    cls = type(name.split(".", 1)[1].title().replace("_", "") + "Collector", (_Simple,), {
        "__doc__": doc, "model": list[record_type], "description": doc, "cmdlet": cmdlet,  # type: ignore[valid-type]
        "output_type": output_type, "record_type": record_type, "fields": rows,
        "properties": tuple(dict.fromkeys(prop for _, prop, _ in rows)), **extra})
    collectors.register(name)(cls)


_register("exchange.accepted_domains", "Get-AcceptedDomain", SYSCONF + "AcceptedDomain",
          rec.AcceptedDomain, "Get-AcceptedDomain: domain name and type of every accepted domain",
          _table(("name", "Name", _text), ("domain_name", "DomainName", _text),
                 ("domain_type", "DomainType", _text), ("default", "Default", _flag)))
_register("exchange.remote_domains", "Get-RemoteDomain", SYSCONF + "DomainContentConfig",
          rec.RemoteDomain, "Get-RemoteDomain: domain name, TargetDeliveryDomain",
          _table(("name", "Name", _text), ("domain_name", "DomainName", _text),
                 ("target_delivery_domain", "TargetDeliveryDomain", _flag)))
_register("exchange.send_connectors", "Get-SendConnector", SYSCONF + "SmtpSendConnectorConfig",
          rec.SendConnector, "Get-SendConnector: cloud mail, TLS certificate name, smart hosts",
          _table(("name", "Name", _text), ("enabled", "Enabled", _flag),
                 ("cloud_services_mail_enabled", "CloudServicesMailEnabled", _flag),
                 ("tls_certificate_name", "TlsCertificateName", _opt),
                 ("smart_hosts", "SmartHosts", texts), ("address_spaces", "AddressSpaces", texts),
                 ("require_tls", "RequireTLS", _flag), ("tls_auth_level", "TlsAuthLevel", _opt),
                 ("tls_domain", "TlsDomain", _opt),
                 ("source_transport_servers", "SourceTransportServers", _names)))
_register("exchange.receive_connectors", "Get-ReceiveConnector", SYSCONF + "ReceiveConnector",
          rec.ReceiveConnector, "Get-ReceiveConnector: TLS certificate name, cloud mail domains",
          _table(("identity", "Identity", _text), ("name", "Name", _text),
                 ("server", "Server", _name), ("enabled", "Enabled", _flag),
                 ("tls_certificate_name", "TlsCertificateName", _opt),
                 ("tls_domain_capabilities", "TlsDomainCapabilities", texts),
                 ("transport_role", "TransportRole", _opt)))
_register("exchange.auth_servers", "Get-AuthServer", SYSCONF + "AuthServer", rec.AuthServer,
          "Get-AuthServer: OAuth authorization servers (evoSTS, ACS) and their app id",
          _table(("name", "Name", _text), ("type", "Type", _text), ("enabled", "Enabled", _flag),
                 ("application_identifier", "ApplicationIdentifier", _opt),
                 ("realm", "Realm", _opt), ("domain_name", "DomainName", texts)))
_register("exchange.partner_applications", "Get-PartnerApplication",
          SYSCONF + "PartnerApplication", rec.PartnerApplication,
          "Get-PartnerApplication: OAuth partner applications (Exchange Online's first party app)",
          _table(("name", "Name", _text), ("enabled", "Enabled", _flag),
                 ("application_identifier", "ApplicationIdentifier", _text)))
_register("exchange.setting_overrides", "Get-SettingOverride",
          SYSCONF + "ConfigurationSettings.SettingOverride", rec.SettingOverride,
          "Get-SettingOverride: setting overrides (the dedicated hybrid application's)",
          _table(("name", "Name", _text), ("component_name", "ComponentName", _text),
                 ("section_name", "SectionName", _text), ("parameters", "Parameters", texts),
                 ("servers", "Server", texts)))
_register("exchange.remote_mailboxes", "Get-RemoteMailbox", DATA + "Management.RemoteMailbox",
          rec.RemoteMailbox, "Get-RemoteMailbox -ResultSize Unlimited: routing and addresses",
          _table(("identity", "Identity", _text), ("alias", "Alias", _opt),
                 ("primary_smtp_address", "PrimarySmtpAddress", _opt),
                 ("remote_routing_address", "RemoteRoutingAddress", _smtp),
                 ("email_addresses", "EmailAddresses", texts),
                 ("user_principal_name", "UserPrincipalName", _opt)),
          result_size="Unlimited")
_register("exchange.mail_users", "Get-MailUser", DATA + "Management.MailUser", rec.MailUser,
          "Get-MailUser -ResultSize Unlimited: external address and addresses",
          _table(("identity", "Identity", _text), ("alias", "Alias", _opt),
                 ("primary_smtp_address", "PrimarySmtpAddress", _opt),
                 ("external_email_address", "ExternalEmailAddress", _smtp),
                 ("email_addresses", "EmailAddresses", texts),
                 ("recipient_type_details", "RecipientTypeDetails", _opt)),
          result_size="Unlimited")

