"""LDAP connection settings from inventory variables: checked before any connection, and
turned into ldap3 Server/Connection arguments (pure: unit-tested)."""

from __future__ import annotations

import hashlib
import math
import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ldap3

from checker.errors import TransportError

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_URL = re.compile(r"^(ldaps?)://(\[[0-9a-fA-F:.]+\]|[^:/\s]+)(?::(\d{1,5}))?/?$")


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
    page_size: int = 1000
    parallel: int = 1

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
                    "port", 1, 65535, p)
        starttls = _bool(v.get("checker_ldap_starttls", False), "checker_ldap_starttls", p)
        if starttls and use_ssl:
            p.append("checker_ldap_starttls: not with an ldaps:// URL (TLS is already on)")
        auth = str(v.get("checker_ldap_auth", "simple")).lower()
        user, password = v.get("ansible_user"), v.get("ansible_password")
        if auth not in ("simple", "ntlm"):
            p.append(f"checker_ldap_auth: expected simple or ntlm, got {auth!r}")
        if auth == "ntlm" and (not user or "\\" not in str(user)):
            p.append("checker_ldap_auth: ntlm needs ansible_user as DOMAIN\\user")
        if auth == "ntlm" and not _md4_available():
            p.append("checker_ldap_auth: ntlm needs MD4; install pycryptodome (extra 'ntlm')")
        if bool(user) != bool(password):
            p.append("ansible_user and ansible_password: give both or neither (anonymous)")
        ca_file = v.get("checker_ldap_ca_file")
        if ca_file and not os.path.isfile(str(ca_file)):
            p.append(f"checker_ldap_ca_file: no such file {ca_file!r}")
        settings = cls(
            url=f"{m.group(1)}://{m.group(2)}:{port}", host=m.group(2).strip("[]"),
            port=port or 389, use_ssl=use_ssl, starttls=bool(starttls), auth=auth,
            user=str(user) if user else None, password=str(password) if password else None,
            validate_certs=_bool(v.get("checker_ldap_validate_certs", True),
                                 "checker_ldap_validate_certs", p) is not False,
            ca_file=str(ca_file) if ca_file else None,
            server_name=v.get("checker_ldap_server_name") or None,
            page_size=_int(v.get("checker_ldap_page_size", 1000), "checker_ldap_page_size",
                           1, 100000, p) or 1000,
            parallel=_int(v.get("checker_ldap_parallel", 1), "checker_ldap_parallel",
                          1, 16, p) or 1,
        )
        return settings, p


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


def server_args(s: LdapSettings, timeout: float) -> dict[str, Any]:
    """Keyword arguments for `ldap3.Server` (pure: unit-tested)."""
    tls = None
    if s.use_ssl or s.starttls:
        names = [s.server_name] if s.server_name else None
        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED if s.validate_certs else ssl.CERT_NONE,
            ca_certs_file=s.ca_file, valid_names=names, sni=s.server_name or s.host,
        )
    return {"host": s.host, "port": s.port, "use_ssl": s.use_ssl, "tls": tls,
            "get_info": ldap3.NONE, "connect_timeout": timeout}


def connection_args(s: LdapSettings, timeout: float) -> dict[str, Any]:
    """Keyword arguments for `ldap3.Connection` (pure: unit-tested)."""
    auth = ldap3.NTLM if s.auth == "ntlm" else (ldap3.SIMPLE if s.user else ldap3.ANONYMOUS)
    return {"user": s.user, "password": s.password, "authentication": auth,
            "receive_timeout": max(1, math.ceil(timeout)),  # ldap3 packs it as an integer
            "raise_exceptions": False, "auto_referrals": False,
            # check_names=True with no schema loaded only switches ldap3 to its lighter
            # value decoder (we read raw_attributes anyway): ~20% less client CPU per entry
            "read_only": True, "check_names": True, "return_empty_attributes": False}
