"""The lab's own CA and a server certificate whose SAN names the DC's address and DNS name,
so TLS verification is tested for real (Samba's self-signed certificate has no SAN)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert(subject: str, issuer: str, key: ec.EllipticCurvePrivateKey,
          signer: ec.EllipticCurvePrivateKey, ca: bool, sans: list[x509.GeneralName]) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    name = lambda cn: x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])  # noqa: E731
    builder = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    # Key identifiers as every real CA (AD CS included) writes them: Python 3.13's default
    # context (VERIFY_X509_STRICT) rejects a chain without the Authority Key Identifier
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
    builder = builder.add_extension(x509.KeyUsage(
        digital_signature=True, key_encipherment=False, content_commitment=False,
        data_encipherment=False, key_agreement=not ca, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False), critical=True)
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(signer, hashes.SHA256())


def write_server_files(tls_dir: Path, ip: str, dns_name: str, ca_dir: Path) -> None:
    """A lab CA (made once per `ca_dir`) and a server certificate with SAN = ip + dns_name."""
    ca_dir.mkdir(parents=True, exist_ok=True)
    ca_key_file, ca_file = ca_dir / "ca.key", ca_dir / "ca.pem"
    if not ca_file.exists():
        ca_key = _key()
        ca_key_file.write_bytes(_pem_key(ca_key))
        cert = _cert("checker lab CA", "checker lab CA", ca_key, ca_key, True, [])
        ca_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    ca_key = serialization.load_pem_private_key(ca_key_file.read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = _key()
    sans = [x509.IPAddress(ipaddress.ip_address(ip)), x509.DNSName(dns_name)]
    cert = _cert(dns_name, "checker lab CA", key, ca_key, False, sans)
    (tls_dir / "key.pem").write_bytes(_pem_key(key))
    os.chmod(tls_dir / "key.pem", 0o600)  # samba refuses a key file others can read
    (tls_dir / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    shutil.copyfile(ca_file, tls_dir / "ca.pem")
