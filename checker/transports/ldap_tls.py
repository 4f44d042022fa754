"""TLS and Kerberos for the LDAP transport: certificate checks that work on every Python,
the address a host is pinned to, and Kerberos credentials that never touch a command line.

ldap3 2.9 checks the certificate's name itself, after the handshake, with
`ssl.match_hostname`; Python 3.12 removed that function and ldap3 falls back to its own copy,
which does not accept IP addresses. `VerifiedTls` hands the check to OpenSSL during the
handshake instead (`check_hostname` with `server_hostname`), which matches DNS names and IP
address SANs alike on every Python version.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

import ldap3

from checker.errors import TransportError
from checker.transports.ldap_settings import LdapSettings, is_ip


class VerifiedTls(ldap3.Tls):
    """ldap3's Tls with the name check done by OpenSSL against `expected_name`."""

    def __init__(self, expected_name: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.expected_name = expected_name

    def wrap_socket(self, connection: Any, do_handshake: bool = False) -> None:
        context = ssl.create_default_context(cafile=self.ca_certs_file)
        verify = self.validate != ssl.CERT_NONE
        context.check_hostname = verify
        context.verify_mode = ssl.CERT_REQUIRED if verify else ssl.CERT_NONE
        sni = None if is_ip(self.expected_name) and not verify else self.expected_name
        connection.socket = context.wrap_socket(
            connection.socket, server_side=False, do_handshake_on_connect=do_handshake,
            server_hostname=sni)
        if connection.usage:
            connection._usage.wrapped_sockets += 1


def pin(settings: LdapSettings, timeout: float) -> str:
    """The one address every connection of this host uses: a name that resolves to several
    DCs (round-robin DNS) must not spread one search over several of them."""
    if is_ip(settings.host):
        return settings.host
    try:
        infos = socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM)
    except OSError as e:
        raise TransportError(f"{settings.url}: cannot resolve {settings.host}: {e}") from None
    if not infos:
        raise TransportError(f"{settings.url}: {settings.host} resolves to no address")
    return str(infos[0][4][0])


def server_args(s: LdapSettings, timeout: float, address: str | None = None,
                port: int | None = None) -> dict[str, Any]:
    """Keyword arguments for `ldap3.Server` (pure: unit-tested). `address` pins the
    connection; the certificate is still checked against the DC's name."""
    tls = None
    if s.tls:
        tls = VerifiedTls(s.name, validate=ssl.CERT_REQUIRED if s.validate_certs
                          else ssl.CERT_NONE, ca_certs_file=s.ca_file, sni=s.name)
    return {"host": address or s.host, "port": port or s.port, "use_ssl": s.use_ssl,
            "tls": tls, "get_info": ldap3.NONE, "connect_timeout": timeout}


def kerberos_credentials(s: LdapSettings) -> Any:
    """gssapi credentials for `s.user`: from ansible_password (in process, into a private
    memory cache), from a keytab, or None for the default cache (`kinit` done beforehand)."""
    import gssapi

    if not s.user:
        return None
    name = gssapi.Name(principal(s.user), gssapi.NameType.kerberos_principal)
    try:
        if s.password:
            raw = gssapi.raw.acquire_cred_with_password(
                name, s.password.encode("utf-8"), usage="initiate")
            return gssapi.Credentials(raw.creds)
        if s.keytab:
            store: dict[bytes | str, bytes | str] = {
                "client_keytab": s.keytab, "ccache": f"MEMORY:checker-{id(s)}"}
            return gssapi.Credentials(name=name, usage="initiate", store=store)
        return gssapi.Credentials(name=name, usage="initiate")
    except gssapi.exceptions.GSSError as e:
        text = " ".join(str(e).split())
        if s.password:
            text = text.replace(s.password, "********")
        raise TransportError(f"{s.url}: cannot get a Kerberos ticket for {s.user}: {text}"
                             ) from None


def principal(user: str) -> str:
    """svc@example.com -> svc@EXAMPLE.COM: an AD realm is its DNS name in upper case."""
    name, _, realm = user.rpartition("@")
    return f"{name}@{realm.upper()}"
