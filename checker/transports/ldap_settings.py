"""LDAP connection settings from inventory variables: checked before any connection, and
turned into ldap3 Server/Connection arguments (pure: unit-tested).

Secure by default: a bind that carries a secret (simple, NTLM) or a Kerberos ticket goes over
TLS, LDAPS or StartTLS before the bind (StartTLS is on by default for ldap:// URLs). A bind
over plain LDAP needs `checker_ldap_allow_plaintext: true` and is then reported on every run.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ldap3

from checker.errors import TransportError
from checker.transports.variables import Var, VarTable

_URL = re.compile(r"^(ldaps?)://(\[[0-9a-fA-F:.]+\]|[^:/\s]+)(?::(\d{1,5}))?/?$")
AUTHS = ("simple", "ntlm", "kerberos")
SCOPES = ("domain", "forest")
MAX_PAGE_SIZE = 1000  # a Windows DC's MaxPageSize default: larger pages come back at 1000
DEFAULT_PARALLEL = 4  # connections for a large subtree search, all pinned to one DC

LDAP_VARS = VarTable("ldap", (
    Var("remote_addr", ("ansible_host",),
        description="The DC to connect to (default: the inventory host name)."),
    Var("port", ("ansible_port",), "int", minimum=1, maximum=65535,
        description="Port when the URL has none (default 389, or 636 for ldaps://)."),
    Var("remote_user", ("ansible_user",),
        description="Bind identity: user@domain (simple, kerberos), DOMAIN\\user (ntlm); "
                    "none for an anonymous bind."),
    Var("remote_password", ("ansible_password",), secret=True, description="Bind password."),
    Var("url", ("checker_ldap_url",), description="ldap[s]://host[:port] "
        "(default ldap://ansible_host)."),
    Var("auth", ("checker_ldap_auth",), choices=AUTHS, default="simple",
        description="simple, kerberos (SASL GSSAPI, extra 'kerberos') or ntlm (Windows "
                    "DCs only, never over plain LDAP)."),
    Var("starttls", ("checker_ldap_starttls",), "bool",
        description="StartTLS before the bind on ldap:// (default: true when the bind "
                    "carries a password or a Kerberos ticket)."),
    Var("allow_plaintext", ("checker_ldap_allow_plaintext",), "bool", default=False,
        description="Allow a bind over plain ldap:// (warned about on every run)."),
    Var("validate_certs", ("checker_ldap_validate_certs",), "bool", default=True,
        description="Verify the DC's certificate."),
    Var("ca_file", ("checker_ldap_ca_file",), "path", must_exist=True,
        description="PEM bundle of the CAs to trust (default: the system store)."),
    Var("server_name", ("checker_ldap_server_name",),
        description="The DC's name in its certificate and Kerberos principal (default: the "
                    "host of the URL)."),
    Var("keytab", ("checker_ldap_keytab",), "path", must_exist=True,
        description="Keytab for the Kerberos principal in ansible_user."),
    Var("scope", ("checker_ldap_scope",), choices=SCOPES, default="domain",
        description="forest: forest-wide searches go to the Global Catalog (3268, or 3269 "
                    "with ldaps://), base \"\"."),
    Var("page_size", ("checker_ldap_page_size",), "int", default=MAX_PAGE_SIZE, minimum=1,
        maximum=100000, description="Paged-search page size (at most 1000 is used)."),
    Var("parallel", ("checker_ldap_parallel",), "int", default=DEFAULT_PARALLEL, minimum=1,
        maximum=16, description="Connections for large subtree searches, all on the one "
                                "address the name resolved to."),
))


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class LdapSettings:
    """The connection settings of one host, parsed from its inventory variables."""

    url: str
    host: str
    port: int
    use_ssl: bool
    starttls: bool = False
    auth: str = "simple"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    validate_certs: bool = True
    ca_file: str | None = None
    server_name: str | None = None
    page_size: int = MAX_PAGE_SIZE
    requested_page_size: int = MAX_PAGE_SIZE
    parallel: int = DEFAULT_PARALLEL
    allow_plaintext: bool = False
    keytab: str | None = None
    scope: str = "domain"

    @property
    def tls(self) -> bool:
        return self.use_ssl or self.starttls

    @property
    def name(self) -> str:
        """The DC's name as its certificate and Kerberos service principal know it."""
        return self.server_name or self.host

    @property
    def gc_port(self) -> int:
        """The Global Catalog: 3269 with LDAPS, 3268 otherwise (with StartTLS as for 389)."""
        return 3269 if self.use_ssl else 3268

    @classmethod
    def problems(cls, hostvars: Mapping[str, Any]) -> list[str]:
        return cls._parse("host", hostvars)[1]

    @classmethod
    def from_vars(cls, host: str, hostvars: Mapping[str, Any]) -> LdapSettings:
        settings, problems = cls._parse(host, hostvars)
        if problems or settings is None:
            raise TransportError(f"{host}: " + "; ".join(problems))
        return settings

    @classmethod
    def _parse(cls, host: str, v: Mapping[str, Any]) -> tuple[LdapSettings | None, list[str]]:
        t, p = LDAP_VARS.read(v)
        target = t["remote_addr"] or host
        url = str(t["url"] or f"ldap://{target}")
        m = _URL.match(url)
        if not m:
            p.append(f"checker_ldap_url: expected ldap[s]://host[:port], got {url!r}")
            m = _URL.match(f"ldap://{target}") or _URL.match("ldap://invalid")
        assert m is not None
        use_ssl = m.group(1) == "ldaps"
        port = int(m.group(3) or t["port"] or (636 if use_ssl else 389))
        if not 1 <= port <= 65535:
            p.append(f"checker_ldap_url: port {port} is not 1-65535")
        user, password = t["remote_user"], t["remote_password"]
        starttls = t["starttls"]
        if starttls is None:  # on by default when the bind carries something
            starttls = (bool(user) or t["auth"] == "kerberos") and not use_ssl
        if starttls and use_ssl:
            p.append("checker_ldap_starttls: not with an ldaps:// URL (TLS is already on)")
        settings = cls(
            url=f"{m.group(1)}://{m.group(2)}:{port}", host=m.group(2).strip("[]"),
            port=port, use_ssl=use_ssl, starttls=bool(starttls), auth=t["auth"],
            user=str(user) if user else None, password=str(password) if password else None,
            validate_certs=t["validate_certs"], ca_file=t["ca_file"],
            server_name=t["server_name"], page_size=min(t["page_size"], MAX_PAGE_SIZE),
            requested_page_size=t["page_size"], parallel=t["parallel"],
            allow_plaintext=t["allow_plaintext"], keytab=t["keytab"], scope=t["scope"],
        )
        p += _auth_problems(settings)
        return settings, p


def _auth_problems(s: LdapSettings) -> list[str]:
    p: list[str] = []
    if s.auth == "ntlm":
        if not s.user or "\\" not in s.user:
            p.append("checker_ldap_auth: ntlm needs ansible_user as DOMAIN\\user")
        if not _md4_available():
            p.append("checker_ldap_auth: ntlm needs MD4; install pycryptodome (extra 'ntlm')")
        if not s.tls:
            p.append("checker_ldap_auth: ntlm over plain ldap:// is refused (ldap3's NTLM "
                     "neither signs nor seals): use ldaps:// or StartTLS, or kerberos")
    elif s.auth == "kerberos":
        p += _kerberos_problems(s)
    elif bool(s.user) != bool(s.password):
        p.append("ansible_user and ansible_password: give both or neither (anonymous)")
    if s.user and s.auth != "ntlm" and not s.tls and not s.allow_plaintext:
        p.append("a bind with a password over plain ldap:// sends it in clear text: use "
                 "StartTLS (the default) or ldaps://, or opt in with "
                 "checker_ldap_allow_plaintext: true")
    return p


def _kerberos_problems(s: LdapSettings) -> list[str]:
    p: list[str] = []
    if not gssapi_available():
        p.append("checker_ldap_auth: kerberos needs the gssapi package "
                 "(pip install 'checker[kerberos]')")
    if is_ip(s.name):
        p.append("checker_ldap_auth: kerberos needs the DC's DNS name (its ldap/ service "
                 "principal): set checker_ldap_server_name, or use the name in ansible_host")
    if s.user and "@" not in s.user:
        p.append("checker_ldap_auth: kerberos needs ansible_user as user@REALM")
    if s.password and s.keytab:
        p.append("checker_ldap_keytab: give a keytab or ansible_password, not both")
    if s.keytab and not s.user:
        p.append("checker_ldap_keytab: needs ansible_user (the principal in the keytab)")
    if not s.tls and not s.allow_plaintext:
        p.append("checker_ldap_auth: kerberos without TLS reads the directory unsigned "
                 "(ldap3 has no SASL security layer): use StartTLS (the default) or ldaps://, "
                 "or opt in with checker_ldap_allow_plaintext: true")
    return p


def gssapi_available() -> bool:
    try:
        import gssapi  # noqa: F401
    except ImportError:
        return False
    return True


def _md4_available() -> bool:
    try:
        hashlib.new("md4")
        return True
    except ValueError:
        pass
    try:
        import Crypto.Hash.MD4  # noqa: F401 - ldap3 falls back to pycryptodome's MD4
    except ImportError:
        return False
    return True


def insecure(s: LdapSettings) -> list[str]:
    """The weakened settings of a host, one sentence each (see Transport.insecure_settings)."""
    out = []
    if s.tls and not s.validate_certs:
        out.append("checker_ldap_validate_certs: false: the DC's certificate is not verified, "
                   "so anyone on the path can read the bind and the directory")
    if not s.tls and (s.user or s.auth == "kerberos"):
        what = ("the password is sent in clear text" if s.auth == "simple"
                else "the directory is read unsigned and unencrypted")
        out.append(f"checker_ldap_allow_plaintext: true: the bind goes over plain ldap:// "
                   f"and {what}")
    return out


def notes(s: LdapSettings) -> list[str]:
    if s.requested_page_size > MAX_PAGE_SIZE:
        return [f"checker_ldap_page_size {s.requested_page_size} is above a DC's MaxPageSize "
                f"(1000 by default, larger pages come back at 1000): using {MAX_PAGE_SIZE}"]
    return []


def connection_args(s: LdapSettings, timeout: float) -> dict[str, Any]:
    """Keyword arguments for `ldap3.Connection` (pure: unit-tested). Kerberos credentials
    are added by the transport (`sasl_credentials`)."""
    if s.auth == "kerberos":
        auth: dict[str, Any] = {"user": None, "password": None, "authentication": ldap3.SASL,
                                "sasl_mechanism": ldap3.KERBEROS}
    else:
        method = ldap3.NTLM if s.auth == "ntlm" else (
            ldap3.SIMPLE if s.user else ldap3.ANONYMOUS)
        auth = {"user": s.user, "password": s.password, "authentication": method}
    return {**auth,
            "receive_timeout": max(1, math.ceil(timeout)),  # ldap3 packs it as an integer
            "raise_exceptions": False, "auto_referrals": False,
            # Values over a DC's MaxValRange (1500) come back as attr;range=0-1499:
            # ldap3 fetches the rest and merges them when auto_range is on (said, not assumed)
            "auto_range": True,
            # check_names=True with no schema loaded only switches ldap3 to its lighter
            # value decoder (we read raw_attributes anyway): ~20% less client CPU per entry
            "read_only": True, "check_names": True, "return_empty_attributes": False}
