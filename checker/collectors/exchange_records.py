"""Typed records of the Exchange Server collectors (`exchange.*`). Field names are what rules
see; the cmdlet property each comes from is in docs/fidelity.md ("Exchange Server")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExchangeServer:
    """One entry of `exchange.servers` (Get-ExchangeServer)."""

    name: str
    fqdn: str | None
    # "15.2.1748.10", from AdminDisplayVersion "Version 15.2 (Build 1748.10)": the CU's build,
    # which security and hotfix updates leave as it is
    version: str | None
    product: str | None = None  # "Exchange Server SE", "Exchange 2019", ...
    cu: str | None = None  # "RTM", "CU15", ...
    cu_supported: bool = False  # one of the product's two newest CUs (SE: any build)
    extended_support_end: dt.datetime | None = None
    # April 2025 hotfix update or later: None when the CU got that update and the CU build
    # cannot tell whether it is installed (check ExSetup.exe against hybrid_app_build)
    hybrid_app_capable: bool | None = False
    hybrid_app_build: str | None = None
    roles: list[str] = field(default_factory=list)  # ServerRole, e.g. ["Mailbox"]
    is_edge: bool = False
    site: str | None = None
    edition: str | None = None
    distinguished_name: str | None = None


@dataclass(frozen=True)
class OrganizationConfig:
    """`exchange.organization` (Get-OrganizationConfig)."""

    name: str
    oauth2_client_profile_enabled: bool = False
    is_dehydrated: bool = False
    admin_display_version: str | None = None


@dataclass(frozen=True)
class HybridConfiguration:
    """`exchange.hybrid_configuration` (Get-HybridConfiguration); `present` is False when
    the Hybrid Configuration Wizard never ran."""

    present: bool
    domains: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    on_premises_smart_host: str | None = None
    tls_certificate_name: str | None = None  # "<I>issuer<S>subject"
    tls_issuer: str | None = None
    tls_subject: str | None = None
    sending_transport_servers: list[str] = field(default_factory=list)  # server names
    receiving_transport_servers: list[str] = field(default_factory=list)
    edge_transport_servers: list[str] = field(default_factory=list)
    service_instance: int | None = None

    @property
    def transport_servers(self) -> list[str]:
        """Sending and receiving servers, lower case, once each."""
        names = self.sending_transport_servers + self.receiving_transport_servers
        return sorted({n.lower() for n in names})


@dataclass(frozen=True)
class WebServicesVirtualDirectory:
    """One entry of `exchange.ews_virtual_directories` (-ADPropertiesOnly)."""

    identity: str  # "EX01\\EWS (Default Web Site)"
    server: str
    mrs_proxy_enabled: bool
    internal_url: str | None = None
    external_url: str | None = None


@dataclass(frozen=True)
class ExchangeCertificate:
    """One entry of `exchange.certificates` (Get-ExchangeCertificate on this server)."""

    thumbprint: str
    subject: str
    issuer: str
    not_before: dt.datetime | None
    not_after: dt.datetime | None
    services: list[str] = field(default_factory=list)  # AllowedServices: "SMTP", "IIS", ...
    status: str = "Unknown"  # CertificateStatus: "Valid", "DateInvalid", "Untrusted", ...
    domains: list[str] = field(default_factory=list)  # subject alternative DNS names
    server: str | None = None  # FQDN, from the Identity "<fqdn>\\<thumbprint>"
    self_signed: bool | None = None


@dataclass(frozen=True)
class AcceptedDomain:
    name: str
    domain_name: str
    domain_type: str  # Authoritative | InternalRelay | ExternalRelay
    default: bool = False


@dataclass(frozen=True)
class RemoteDomain:
    name: str
    domain_name: str
    target_delivery_domain: bool = False


@dataclass(frozen=True)
class SendConnector:
    name: str
    enabled: bool
    cloud_services_mail_enabled: bool = False
    tls_certificate_name: str | None = None
    smart_hosts: list[str] = field(default_factory=list)
    address_spaces: list[str] = field(default_factory=list)
    require_tls: bool = False
    tls_auth_level: str | None = None
    tls_domain: str | None = None
    source_transport_servers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReceiveConnector:
    identity: str
    name: str
    server: str
    enabled: bool
    tls_certificate_name: str | None = None
    tls_domain_capabilities: list[str] = field(default_factory=list)
    transport_role: str | None = None

    @property
    def cloud_enabled(self) -> bool:
        """HealthChecker's test: TlsDomainCapabilities set (e.g. mail.protection.outlook.com:
        AcceptCloudServicesMail)."""
        return bool(self.tls_domain_capabilities)


@dataclass(frozen=True)
class AuthServer:
    name: str
    type: str  # AuthServerType: AzureAD (evoSTS), MicrosoftACS, ...
    enabled: bool
    application_identifier: str | None = None
    realm: str | None = None
    domain_name: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PartnerApplication:
    name: str
    application_identifier: str
    enabled: bool


@dataclass(frozen=True)
class SettingOverride:
    name: str
    component_name: str
    section_name: str
    parameters: list[str] = field(default_factory=list)
    servers: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RemoteMailbox:
    """One entry of `exchange.remote_mailboxes` (Get-RemoteMailbox -ResultSize Unlimited)."""

    identity: str
    alias: str | None
    primary_smtp_address: str | None
    remote_routing_address: str | None  # the SMTP address, without "SMTP:"
    email_addresses: list[str]
    user_principal_name: str | None = None


@dataclass(frozen=True, slots=True)
class MailUser:
    """One entry of `exchange.mail_users` (Get-MailUser -ResultSize Unlimited)."""

    identity: str
    alias: str | None
    primary_smtp_address: str | None
    external_email_address: str | None
    email_addresses: list[str]
    recipient_type_details: str | None = None
