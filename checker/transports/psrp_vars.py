"""PSRP host variables (Ansible names): validation before any connection, WSMan arguments."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

AUTHS = ("basic", "ntlm", "negotiate", "kerberos", "credssp")
CHOICES = {
    "ansible_psrp_auth": AUTHS,
    "ansible_psrp_protocol": ("http", "https"),
    "ansible_psrp_cert_validation": ("validate", "ignore"),
    "ansible_psrp_message_encryption": ("auto", "always", "never"),
}
TIMEOUTS = ("ansible_psrp_connection_timeout", "ansible_psrp_read_timeout",
            "ansible_psrp_operation_timeout")
NEEDS_PASSWORD = ("basic", "ntlm", "credssp")


def check_psrp_vars(hv: Mapping[str, Any]) -> list[str]:
    problems = [f"{name} must be one of {', '.join(allowed)} (got {hv[name]!r})"
                for name, allowed in CHOICES.items()
                if name in hv and str(hv[name]).lower() not in allowed]
    problems += [f"{name} must be a positive number (got {hv[name]!r})"
                 for name in TIMEOUTS if name in hv and not _positive(hv[name])]
    if "ansible_port" in hv and not _port(hv["ansible_port"]):
        problems.append(f"ansible_port must be an integer 1-65535 (got {hv['ansible_port']!r})")
    auth = str(hv.get("ansible_psrp_auth", "negotiate")).lower()
    if auth in NEEDS_PASSWORD and not (hv.get("ansible_user") and hv.get("ansible_password")):
        problems.append(f"ansible_psrp_auth {auth} needs ansible_user and ansible_password")
    encryption = str(hv.get("ansible_psrp_message_encryption", "auto")).lower()
    if auth == "basic" and _protocol(hv) == "http" and encryption != "never":
        problems.append("basic auth over http cannot encrypt messages: use https, another "
                        "ansible_psrp_auth, or ansible_psrp_message_encryption: never")
    ca = hv.get("ansible_psrp_ca_cert")
    if ca is not None and not os.path.isfile(str(ca)):
        problems.append(f"ansible_psrp_ca_cert {ca!r} is not a file")
    return problems


def _positive(value: Any) -> bool:
    try:
        return float(value) > 0 and not isinstance(value, bool)
    except (TypeError, ValueError):
        return False


def _port(value: Any) -> bool:
    try:
        return 1 <= int(value) <= 65535 and not isinstance(value, bool)
    except (TypeError, ValueError):
        return False


def _protocol(hv: Mapping[str, Any]) -> str:
    if "ansible_psrp_protocol" in hv:
        return str(hv["ansible_psrp_protocol"]).lower()
    return "http" if str(hv.get("ansible_port", "")) == "5985" else "https"


def wsman_kwargs(host: str, hv: Mapping[str, Any], timeout: float) -> dict[str, Any]:
    """Keyword arguments for pypsrp.wsman.WSMan (after check_psrp_vars found no problem)."""
    ssl = _protocol(hv) == "https"
    cert: bool | str = str(hv.get("ansible_psrp_cert_validation", "validate")).lower() != "ignore"
    if cert and hv.get("ansible_psrp_ca_cert"):
        cert = str(hv["ansible_psrp_ca_cert"])
    connect = int(float(hv.get("ansible_psrp_connection_timeout", min(30.0, timeout))))
    operation = int(float(hv.get("ansible_psrp_operation_timeout", 20)))
    read = int(float(hv.get("ansible_psrp_read_timeout", operation + 10)))
    return {
        "server": str(hv.get("ansible_host", host)),
        "port": int(hv.get("ansible_port", 5986 if ssl else 5985)),
        "path": str(hv.get("ansible_psrp_path", "wsman")).strip("/"),
        "ssl": ssl,
        "auth": str(hv.get("ansible_psrp_auth", "negotiate")).lower(),
        "username": hv.get("ansible_user"),
        "password": hv.get("ansible_password"),
        "cert_validation": cert,
        "encryption": str(hv.get("ansible_psrp_message_encryption", "auto")).lower(),
        "connection_timeout": max(1, connect),
        "operation_timeout": max(1, operation),
        "read_timeout": max(read, operation + 1),
    }
