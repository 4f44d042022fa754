"""Exchange certificates as they cross PSRP: the X.509 DER in `RawData`, and Exchange's own
fields in `SerializationData`, a .NET BinaryFormatter (MS-NRBF) blob.

ExchangeCertificate derives from X509Certificate2, which PowerShell serializes as its RawData
only; Exchange adds the rest (Status, Services, Identity, ...) as SerializationData. Seen in
microsoft/CSS-Exchange Diagnostics/HealthChecker/.../Tests/DataCollection/
GetExchangeCertificate.xml (a real export): its objects carry nothing else. The enum numbers
are in docs/fidelity.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from checker.collectors.exchange_records import ExchangeCertificate
from checker.errors import CollectError
from checker.wire.clixml import text_of, texts

# Microsoft.Exchange.Management.SystemConfigurationTasks.AllowedServices ([Flags])
SERVICES = (("IMAP", 1), ("POP", 2), ("UM", 4), ("IIS", 8), ("SMTP", 16), ("Federation", 32),
            ("UMCallRouter", 64))
# ...SystemConfigurationTasks.CertificateStatus
STATUS = ("Unknown", "Valid", "Revoked", "DateInvalid", "Untrusted", "Invalid",
          "RevocationCheckFailure", "PendingRequest")
# .NET X500DistinguishedName short names (X509Certificate2.Subject / .Issuer)
_SHORT = {"2.5.4.3": "CN", "2.5.4.11": "OU", "2.5.4.10": "O", "2.5.4.7": "L", "2.5.4.8": "S",
          "2.5.4.6": "C", "1.2.840.113549.1.9.1": "E", "0.9.2342.19200300.100.1.25": "DC",
          "2.5.4.9": "STREET", "2.5.4.5": "SERIALNUMBER", "2.5.4.4": "SN", "2.5.4.42": "G"}


def certificate(props: Mapping[str, Any]) -> ExchangeCertificate:
    der = _bytes(props.get("RawData"))
    if not der:
        raise CollectError("an Exchange certificate arrived without RawData")
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    extra = _exchange_fields(props)
    return ExchangeCertificate(
        thumbprint=hashlib.sha1(der).hexdigest().upper(),  # the thumbprint Windows shows
        subject=dotnet_name(cert.subject),
        issuer=dotnet_name(cert.issuer),
        not_before=_utc(cert.not_valid_before_utc),
        not_after=_utc(cert.not_valid_after_utc),
        services=services(extra.get("Services")),
        status=status(extra.get("Status")),
        domains=_dns_names(cert),
        server=_server(extra.get("Identity")),
        self_signed=extra.get("SelfSigned") if isinstance(extra.get("SelfSigned"), bool) else None,
    )


def dotnet_name(name: Any) -> str:
    """A cryptography Name as .NET writes it: most specific part first, ", " between parts."""
    parts = []
    for rdn in reversed(list(name.rdns)):
        for attr in rdn:
            key = _SHORT.get(attr.oid.dotted_string, f"OID.{attr.oid.dotted_string}")
            parts.append(f"{key}={attr.value}")
    return ", ".join(parts)


def services(value: Any) -> list[str]:
    """AllowedServices as names, from its number or its text ("IIS, SMTP")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [name for name, bit in SERVICES if value & bit]
    return [t.strip() for t in (text_of(value) or "").split(",") if t.strip() not in ("", "None")]


def status(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return STATUS[value] if 0 <= value < len(STATUS) else f"Unknown({value})"
    return text_of(value) or "Unknown"


def _exchange_fields(props: Mapping[str, Any]) -> dict[str, Any]:
    """Status, Services, Identity, SelfSigned: as properties if the endpoint sent them,
    else from SerializationData."""
    out: dict[str, Any] = {}
    blob = _bytes(props.get("SerializationData"))
    if blob:
        import nrbf

        try:
            decoded = nrbf.loads(blob)
        except Exception as e:  # a malformed blob is a malformed reply, never a crash
            raise CollectError(f"unreadable certificate SerializationData: {e}") from None
        if isinstance(decoded, Mapping):
            out.update(decoded)
    for name in ("Status", "Services", "Identity"):
        if props.get(name) is not None:
            out[name] = props[name]
    return out


def _bytes(value: Any) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str) and value:
        return base64.b64decode(value)
    return None


def _dns_names(cert: Any) -> list[str]:
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [str(n) for n in san.value.get_values_for_type(x509.DNSName)]


def _server(identity: Any) -> str | None:
    """"EX01.contoso.com\\THUMBPRINT" -> "EX01.contoso.com"."""
    text = (texts(identity) or [""])[0]
    return text.rsplit("\\", 1)[0] if "\\" in text else None


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
