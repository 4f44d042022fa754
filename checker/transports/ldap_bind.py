"""What a refused LDAP bind means, in words an AD admin can act on (pure: unit-tested).

A hardened Windows DC refuses what an unhardened one accepts, and its replies read like a
wrong password unless decoded: `strongerAuthRequired` (8) for a bind without signing or TLS,
and `invalidCredentials` (49) with `data 80090346` (SEC_E_BAD_BINDINGS) for a bind without a
channel-binding token where channel binding is enforced. See docs/fidelity.md, "Active
Directory (LDAP)".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.transports.ldap_settings import LdapSettings

STRONGER_AUTH_REQUIRED = 8
CHANNEL_BINDING = "80090346"

_KINDS = {
    "LDAPSocketOpenError": "cannot connect",
    "LDAPSocketReceiveError": "receive failed or timed out",
    "LDAPResponseTimeoutError": "timed out waiting for the server",
    "LDAPSessionTerminatedByServerError": "the server closed the connection",
    "LDAPSocketSendError": "send failed",
    "LDAPStartTLSError": "StartTLS failed (nothing was bound or sent)",
    "LDAPCertificateError": "TLS certificate rejected",
    "LDAPBindError": "bind failed",
    "LDAPPackageUnavailableError": "missing package",
    "SSLCertVerificationError": "TLS certificate rejected",
}
_CERT_HINT = ("; checker_ldap_ca_file must hold the CA that issued the DC's certificate, and "
              "the name you connect to (or checker_ldap_server_name) must be in it")


def stronger_auth_message(s: LdapSettings) -> str:
    return (
        "the DC requires signing or TLS for this bind (strongerAuthRequired). Windows: Group "
        "Policy 'Domain controller: LDAP server signing requirements' = Require signing (the "
        "default on new Windows Server 2025 forests); Samba: 'ldap server require strong auth "
        "= yes'. Fix: keep the bind inside TLS (checker_ldap_starttls: true, the default, or "
        "checker_ldap_url: ldaps://...) or use checker_ldap_auth: kerberos over TLS; "
        "do not lower the DC's setting")


def sasl_inside_tls_message() -> str:
    return (
        "the DC requires SASL signing or sealing even inside TLS (strongerAuthRequired), and "
        "ldap3 has no SASL security layer. A Windows DC that requires signing accepts a "
        "Kerberos bind inside TLS; Samba does so with 'ldap server require strong auth = "
        "allow_sasl_over_tls' (its 'yes' refuses it). Fix: that Samba setting, or a simple "
        "bind over TLS")


def channel_binding_message(s: LdapSettings) -> str:
    return (
        "the DC enforces LDAP channel binding (data 80090346, SEC_E_BAD_BINDINGS). Windows: "
        "Group Policy 'Domain controller: LDAP server channel binding token requirements' = "
        "Always (LdapEnforceChannelBinding = 2). ldap3's NTLM sends no channel-binding token. "
        "Fix: checker_ldap_auth: kerberos (it sends the token over TLS), or a simple bind "
        "over TLS")


def bind_failure(s: LdapSettings, result: Mapping[str, Any] | None) -> str:
    """Why a bind was refused, from the LDAP result (never containing the password)."""
    result = result or {}
    message = str(result.get("message") or "").strip()
    raw = f"{result.get('description')}" + (f": {message}" if message else "")
    who = s.user or ("the default Kerberos ticket" if s.auth == "kerberos" else "anonymous")
    if result.get("result") == STRONGER_AUTH_REQUIRED and s.auth == "kerberos" and s.tls:
        return f"bind as {who} refused: {sasl_inside_tls_message()} ({raw})"
    if result.get("result") == STRONGER_AUTH_REQUIRED:
        return f"bind as {who} refused: {stronger_auth_message(s)} ({raw})"
    if CHANNEL_BINDING in message.lower():
        return f"bind as {who} refused: {channel_binding_message(s)} ({raw})"
    return f"bind as {who} failed: {raw}"


def describe_error(s: LdapSettings, error: BaseException) -> str:
    """A one-line reason for an ldap3/socket/TLS/gssapi error with any secret scrubbed."""
    name = type(error).__name__
    text = f"{_KINDS.get(name, name)}: {' '.join(str(error).split())}"
    if "certificate" in text.lower() or "ssl" in text.lower():
        text += _CERT_HINT
    if s.password:
        text = text.replace(s.password, "********")
    return text.strip().rstrip(":")
