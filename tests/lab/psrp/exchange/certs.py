"""X.509 certificates for the lab's Exchange servers: real DER (RawData), built with
`cryptography` from a scenario's subject, issuer, names and validity."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

_OIDS = {"CN": NameOID.COMMON_NAME, "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
         "O": NameOID.ORGANIZATION_NAME, "L": NameOID.LOCALITY_NAME,
         "S": NameOID.STATE_OR_PROVINCE_NAME, "C": NameOID.COUNTRY_NAME,
         "DC": NameOID.DOMAIN_COMPONENT}


@functools.lru_cache(maxsize=1)
def _key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def name(text: str) -> x509.Name:
    """A .NET-style name ("CN=mail, O=Lab, C=US": most specific first) as an X.509 Name."""
    parts = [p.strip().split("=", 1) for p in text.split(", ")]
    return x509.Name([x509.NameAttribute(_OIDS[k], v) for k, v in reversed(parts)])


def der(subject: str, issuer: str, domains: Sequence[str], not_before: dt.datetime,
        not_after: dt.datetime, serial: int) -> bytes:
    builder = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
               .public_key(_key().public_key()).serial_number(serial)
               .not_valid_before(not_before).not_valid_after(not_after))
    if domains:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(d) for d in domains]), critical=False)
    cert = builder.sign(_key(), hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.DER)
