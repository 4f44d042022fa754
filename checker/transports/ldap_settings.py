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
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ldap3

from checker.errors import TransportError

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_URL = re.compile(r"^(ldaps?)://(\[[0-9a-fA-F:.]+\]|[^:/\s]+)(?::(\d{1,5}))?/?$")
AUTHS = ("simple", "ntlm", "kerberos")
SCOPES = ("domain", "forest")
MAX_PAGE_SIZE = 1000  # a Windows DC's MaxPageSize default: larger pages come back at 1000
DEFAULT_PARALLEL = 4  # connections for a large subtree search, all pinned to one DC


def _bool(value: Any, name: str, problems: list[str]) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    problems.append(f"{name}: expected a boolean, got {value!r}")
    return None


def _int(value: Any, name: str, low: int, high: int, problems: list[str]) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = low - 1
    if not low <= number <= high:
        problems.append(f"{name}: expected an integer {low}..{high}, got {value!r}")
        return None
    return number


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
        p: list[str] = []
        target = v.get("ansible_host") or host
        url = str(v.get("checker_ldap_url") or f"ldap://{target}")
        m = _URL.match(url)
        if not m:
            p.append(f"checker_ldap_url: expected ldap[s]://host[:port], got {url!r}")
            m = _URL.match(f"ldap://{target}") or _URL.match("ldap://invalid")
        assert m is not None
        use_ssl = m.group(1) == "ldaps"
        port = _int(m.group(3) or v.get("ansible_port") or (636 if use_ssl else 389),
                    "port", 1, 65535, p) or 389
        auth = str(v.get("checker_ldap_auth", "simple")).lower()
        user, password = v.get("ansible_user"), v.get("ansible_password")
        binds = bool(user) or auth == "kerberos"
        starttls = _bool(v.get("checker_ldap_starttls", binds and not use_ssl),
                         "checker_ldap_starttls", p)
        if starttls and use_ssl:
            p.append("checker_ldap_starttls: not with an ldaps:// URL (TLS is already on)")
        requested = _int(v.get("checker_ldap_page_size", MAX_PAGE_SIZE),
                         "checker_ldap_page_size", 1, 100000, p) or MAX_PAGE_SIZE
        parallel = _int(v.get("checker_ldap_parallel", DEFAULT_PARALLEL),
                        "checker_ldap_parallel", 1, 16, p) or 1
        settings = cls(
            url=f"{m.group(1)}://{m.group(2)}:{port}", host=m.group(2).strip("[]"),
            port=port, use_ssl=use_ssl, starttls=bool(starttls), auth=auth,
            user=str(user) if user else None, password=str(password) if password else None,
            validate_certs=_bool(v.get("checker_ldap_validate_certs", True),
                                 "checker_ldap_validate_certs", p) is not False,
            ca_file=_file(v, "checker_ldap_ca_file", p),
            server_name=str(v["checker_ldap_server_name"])
            if v.get("checker_ldap_server_name") else None,
            page_size=min(requested, MAX_PAGE_SIZE), requested_page_size=requested,
            parallel=parallel,
            allow_plaintext=_bool(v.get("checker_ldap_allow_plaintext", False),
                                  "checker_ldap_allow_plaintext", p) is True,
            keytab=_file(v, "checker_ldap_keytab", p),
            scope=str(v.get("checker_ldap_scope", "domain")).lower(),
        )
        p += _auth_problems(settings)
        return settings, p


def _file(v: Mapping[str, Any], name: str, problems: list[str]) -> str | None:
    value = v.get(name)
    if value and not os.path.isfile(str(value)):
        problems.append(f"{name}: no such file {value!r}")
    return str(value) if value else None


def _auth_problems(s: LdapSettings) -> list[str]:
    p: list[str] = []
    if s.auth not in AUTHS:
        p.append(f"checker_ldap_auth: expected one of {', '.join(AUTHS)}, got {s.auth!r}")
    if s.scope not in SCOPES:
        p.append(f"checker_ldap_scope: expected domain or forest, got {s.scope!r}")
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
