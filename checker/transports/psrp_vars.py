"""PSRP and WinRM host variables, declared once as tables (Ansible's names and defaults).

`ansible_connection: psrp` reads the `ansible_psrp_*` variables of ansible-core's psrp
connection plugin; `ansible_connection: winrm` reads the `ansible_winrm_*` variables of its
winrm plugin (and pywinrm's `ansible_winrm_<argument>` extras). Both reach the host the same
way here: WSMan + PSRP through pypsrp. Checked before any connection; turned into
pypsrp.wsman.WSMan arguments by `wsman_kwargs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.transports.variables import Settings, Var, VarTable

AUTHS = ("basic", "certificate", "negotiate", "kerberos", "ntlm", "credssp")
NEEDS_PASSWORD = ("basic", "ntlm", "credssp")
LANGUAGE_MODES = ("fulllanguage", "constrainedlanguage", "restrictedlanguage", "nolanguage")
# Session configurations known to run in NoLanguage mode: commands with parameters only.
NO_LANGUAGE_CONFIGURATIONS = ("microsoft.exchange",)

_COMMON = (
    Var("cert_validation", ("ansible_psrp_cert_validation",), choices=("validate", "ignore"),
        default="validate", description="Verify the server's TLS certificate (https)."),
    Var("ca_cert", ("ansible_psrp_cert_trust_path", "ansible_psrp_ca_cert"), "path",
        must_exist=True, description="CA bundle that signs the server certificate."),
    Var("message_encryption", ("ansible_psrp_message_encryption",),
        choices=("auto", "always", "never"), default="auto",
        description="Encrypt WSMan messages with the NTLM/Kerberos/CredSSP session key."),
)

PSRP_VARS = VarTable("psrp", (
    Var("remote_addr", ("ansible_host", "ansible_psrp_host"),
        description="Address to connect to (default: the inventory host name)."),
    Var("remote_user", ("ansible_user", "ansible_psrp_user"), description="User name."),
    Var("remote_password", ("ansible_password", "ansible_winrm_pass", "ansible_winrm_password"),
        secret=True, description="Password."),
    Var("port", ("ansible_port", "ansible_psrp_port"), "int", minimum=1, maximum=65535,
        description="WinRM port (default 5986 for https, 5985 for http)."),
    Var("protocol", ("ansible_psrp_protocol",), choices=("http", "https"),
        description="http or https (default: http on port 5985, https otherwise)."),
    Var("path", ("ansible_psrp_path",), default="wsman",
        description="URL path of the WSMan endpoint (Exchange: PowerShell)."),
    Var("configuration_name", ("ansible_psrp_configuration_name",),
        default="Microsoft.PowerShell",
        description="Session configuration (Exchange: Microsoft.Exchange)."),
    Var("auth", ("ansible_psrp_auth",), choices=AUTHS, default="negotiate",
        description="Authentication protocol."),
    *_COMMON,
    Var("connection_timeout", ("ansible_psrp_connection_timeout",), "int", minimum=1,
        description="Seconds to connect (default: 30, or the per-host budget if lower)."),
    Var("operation_timeout", ("ansible_psrp_operation_timeout",), "int", default=20,
        minimum=1, description="WSMan operation timeout in seconds."),
    Var("read_timeout", ("ansible_psrp_read_timeout",), "int", minimum=1,
        description="Seconds to wait for a reply (default: operation timeout + 10)."),
    Var("reconnection_retries", ("ansible_psrp_reconnection_retries",), "int", default=0,
        minimum=0, description="Retries of a lost connection."),
    Var("reconnection_backoff", ("ansible_psrp_connection_backoff",
                                 "ansible_psrp_reconnection_backoff"), "int", default=2,
        minimum=0, description="Seconds before the first retry (doubles each time)."),
    Var("proxy", ("ansible_psrp_proxy",), description="HTTP proxy URL."),
    Var("ignore_proxy", ("ansible_psrp_ignore_proxy",), "bool", default=False,
        description="Ignore the proxy environment variables."),
    Var("certificate_pem", ("ansible_psrp_certificate_pem",), "path", must_exist=True,
        description="Client certificate (auth: certificate)."),
    Var("certificate_key_pem", ("ansible_psrp_certificate_key_pem",), "path", must_exist=True,
        description="Client certificate key (auth: certificate)."),
    Var("credssp_auth_mechanism", ("ansible_psrp_credssp_auth_mechanism",),
        choices=("auto", "kerberos", "ntlm"), default="auto",
        description="Inner protocol of CredSSP."),
    Var("credssp_disable_tlsv1_2", ("ansible_psrp_credssp_disable_tlsv1_2",), "bool",
        default=False, description="Allow CredSSP over TLS 1.0/1.1 (old servers)."),
    Var("credssp_minimum_version", ("ansible_psrp_credssp_minimum_version",), "int",
        default=2, minimum=1, description="Lowest CredSSP version accepted."),
    Var("negotiate_delegate", ("ansible_psrp_negotiate_delegate",), "bool",
        description="Delegate Kerberos credentials."),
    Var("negotiate_hostname_override", ("ansible_psrp_negotiate_hostname_override",),
        description="Host name of the Kerberos SPN."),
    Var("negotiate_send_cbt", ("ansible_psrp_negotiate_send_cbt",), "bool", default=True,
        description="Send channel binding tokens (https)."),
    Var("negotiate_service", ("ansible_psrp_negotiate_service",), default="WSMAN",
        description="Service of the Kerberos SPN."),
    Var("max_envelope_size", ("ansible_psrp_max_envelope_size",), "int", default=153600,
        minimum=1, description="Largest WSMan envelope in bytes."),
))

WINRM_TRANSPORTS = ("basic", "plaintext", "ssl", "certificate", "negotiate", "ntlm",
                    "kerberos", "credssp")
WINRM_VARS = VarTable("winrm", (
    Var("remote_addr", ("ansible_host", "ansible_winrm_host"),
        description="Address to connect to (default: the inventory host name)."),
    Var("remote_user", ("ansible_user", "ansible_winrm_user"), description="User name."),
    Var("remote_password", ("ansible_password", "ansible_winrm_pass", "ansible_winrm_password"),
        secret=True, description="Password."),
    Var("port", ("ansible_port", "ansible_winrm_port"), "int", default=5986, minimum=1,
        maximum=65535, description="WinRM port."),
    Var("protocol", ("ansible_winrm_scheme",), choices=("http", "https"),
        description="http or https (default: http on port 5985, https otherwise)."),
    Var("path", ("ansible_winrm_path",), default="/wsman",
        description="URL path of the WSMan endpoint."),
    Var("auth", ("ansible_winrm_transport",), "list",
        description="pywinrm transports; the first one is used (default: kerberos for "
                    "user@REALM, else basic)."),
    Var("cert_validation", ("ansible_winrm_server_cert_validation",),
        choices=("validate", "ignore"), default="validate",
        description="Verify the server's TLS certificate (https)."),
    Var("ca_cert", ("ansible_winrm_ca_trust_path",), "path", must_exist=True,
        description="CA bundle that signs the server certificate."),
    Var("message_encryption", ("ansible_winrm_message_encryption",),
        choices=("auto", "always", "never"), default="auto",
        description="Encrypt WSMan messages with the NTLM/Kerberos/CredSSP session key."),
    Var("connection_timeout", ("ansible_winrm_connection_timeout",), "int", minimum=1,
        description="Seconds to connect (default: 30, or the per-host budget if lower)."),
    Var("operation_timeout", ("ansible_winrm_operation_timeout_sec",), "int", default=20,
        minimum=1, description="WSMan operation timeout in seconds."),
    Var("read_timeout", ("ansible_winrm_read_timeout_sec",), "int", minimum=1,
        description="Seconds to wait for a reply (default: operation timeout + 10)."),
    Var("proxy", ("ansible_winrm_proxy",), description="HTTP proxy URL."),
    Var("certificate_pem", ("ansible_winrm_cert_pem",), "path", must_exist=True,
        description="Client certificate (transport: certificate)."),
    Var("certificate_key_pem", ("ansible_winrm_cert_key_pem",), "path", must_exist=True,
        description="Client certificate key (transport: certificate)."),
    Var("negotiate_delegate", ("ansible_winrm_kerberos_delegation",), "bool",
        description="Delegate Kerberos credentials."),
    Var("negotiate_hostname_override", ("ansible_winrm_kerberos_hostname_override",),
        description="Host name of the Kerberos SPN."),
    Var("negotiate_service", ("ansible_winrm_service",), default="HTTP",
        description="Service of the Kerberos SPN."),
    Var("negotiate_send_cbt", ("ansible_winrm_send_cbt",), "bool", default=True,
        description="Send channel binding tokens (https)."),
    Var("credssp_disable_tlsv1_2", ("ansible_winrm_credssp_disable_tlsv1_2",), "bool",
        default=False, description="Allow CredSSP over TLS 1.0/1.1 (old servers)."),
))


def psrp_settings(table: VarTable, hv: Mapping[str, Any]) -> tuple[Settings, list[str]]:
    """The host's settings in PSRP terms, and every problem with them."""
    s, problems = table.read(hv)
    if table is WINRM_VARS:
        problems += _winrm_auth(s)
    if s["protocol"] is None:
        s["protocol"] = "http" if s["port"] == 5985 else "https"
    if s["port"] is None:  # psrp; winrm's port defaults to 5986 whatever the scheme
        s["port"] = 5986 if s["protocol"] == "https" else 5985
    if s["auth"] in NEEDS_PASSWORD and not (s["remote_user"] and s["remote_password"]):
        problems.append(f"auth {s['auth']} needs ansible_user and ansible_password")
    if s["auth"] == "certificate" and not s["certificate_pem"]:
        problems.append("certificate auth needs the client certificate "
                        f"({_name(table, 'certificate_pem')})")
    problems += _encryption(s)
    return s, problems


def _encryption(s: Settings) -> list[str]:
    """pypsrp refuses these combinations when it connects: find them first."""
    if s["auth"] not in ("basic", "certificate"):
        return []
    if s["protocol"] == "http" and s["message_encryption"] != "never":
        return [f"{s['auth']} auth over http cannot encrypt the messages: use https, or "
                "ntlm, kerberos or negotiate, which encrypt them"]
    if s["message_encryption"] == "always":
        return [f"message encryption 'always' needs ntlm, kerberos, negotiate or credssp "
                f"(not {s['auth']})"]
    return []


def insecure(s: Settings, table: VarTable) -> list[str]:
    """The weakened settings of a host, one sentence each, named as the inventory sets them
    (see Transport.insecure_settings). None of them is ever suggested as a fix."""

    def named(option: str) -> str:
        return f"{s.origin.get(option) or _name(table, option)}: {s[option]}"

    out = []
    if s["protocol"] == "https" and s["cert_validation"] == "ignore":
        out.append(f"{named('cert_validation')}: the server's TLS certificate is not "
                   "verified, so anyone on the network path can pose as the server and "
                   "receive the credentials and every command and reply")
    if s["protocol"] == "http" and s["message_encryption"] == "never":
        what = ("the password (basic auth only base64-encodes it) and every command and "
                "reply travel" if s["auth"] == "basic" else "every command and reply travels")
        out.append(f"{named('message_encryption')} over http: {what} in clear text; use "
                   "https, or ntlm, kerberos or negotiate, which encrypt the messages")
    if s.get("credssp_disable_tlsv1_2"):
        out.append(f"{named('credssp_disable_tlsv1_2')}: CredSSP accepts TLS 1.0 and 1.1, "
                   "which no longer protect the delegated credentials")
    return out


def _winrm_auth(s: Settings) -> list[str]:
    chosen = s["auth"] or []
    bad = [t for t in chosen if t not in WINRM_TRANSPORTS]
    if bad:
        s["auth"] = "negotiate"
        return [f"ansible_winrm_transport must be among {', '.join(WINRM_TRANSPORTS)} "
                f"(got {', '.join(bad)})"]
    # the winrm plugin's default: Kerberos for user@REALM, else basic (plaintext/ssl)
    default = "kerberos" if "@" in str(s["remote_user"] or "") else "basic"
    first = chosen[0] if chosen else default
    s["auth"] = "basic" if first in ("plaintext", "ssl") else first
    return []


def _name(table: VarTable, option: str) -> str:
    return table.by_option[option].names[0]


def check_psrp_vars(hv: Mapping[str, Any], table: VarTable = PSRP_VARS) -> list[str]:
    return psrp_settings(table, hv)[1]


def wsman_kwargs(host: str, hv: Mapping[str, Any], timeout: float,
                 table: VarTable = PSRP_VARS) -> dict[str, Any]:
    """Keyword arguments for pypsrp.wsman.WSMan (after check_psrp_vars found no problem)."""
    s, _ = psrp_settings(table, hv)
    cert: bool | str = s["cert_validation"] != "ignore"
    if cert and s["ca_cert"]:
        cert = str(s["ca_cert"])
    operation = s["operation_timeout"]
    connect = s["connection_timeout"] or max(1, int(min(30.0, timeout)))
    kwargs = {
        "server": str(s["remote_addr"] or host), "port": s["port"],
        "path": str(s["path"]).strip("/"), "ssl": s["protocol"] == "https", "auth": s["auth"],
        "username": s["remote_user"], "password": s["remote_password"],
        "cert_validation": cert, "encryption": s["message_encryption"],
        "connection_timeout": connect, "operation_timeout": operation,
        "read_timeout": max(s["read_timeout"] or operation + 10, operation + 1),
        "reconnection_retries": s.get("reconnection_retries", 0),
        "reconnection_backoff": float(s.get("reconnection_backoff", 2)),
        "negotiate_send_cbt": s["negotiate_send_cbt"],
        "negotiate_service": s["negotiate_service"],
    }
    optional = {"proxy": "proxy", "certificate_pem": "certificate_pem",
                "certificate_key_pem": "certificate_key_pem",
                "negotiate_delegate": "negotiate_delegate",
                "negotiate_hostname_override": "negotiate_hostname_override",
                "credssp_auth_mechanism": "credssp_auth_mechanism",
                "credssp_disable_tlsv1_2": "credssp_disable_tlsv1_2",
                "credssp_minimum_version": "credssp_minimum_version",
                "max_envelope_size": "max_envelope_size"}
    kwargs.update({arg: s[opt] for arg, opt in optional.items() if s.get(opt) is not None})
    if s.get("ignore_proxy"):
        kwargs["no_proxy"] = True
    return kwargs


def configuration_name(hv: Mapping[str, Any], table: VarTable = PSRP_VARS) -> str:
    """The session configuration to open (RunspacePool configuration_name)."""
    value = psrp_settings(table, hv)[0].get("configuration_name")
    return str(value or "Microsoft.PowerShell")


LANGUAGE_MODE = "checker_psrp_language_mode"  # checker's own: ansible-core has no such option


def takes_scripts(hv: Mapping[str, Any], table: VarTable = PSRP_VARS) -> bool:
    """False for a NoLanguage endpoint, which runs commands but refuses script text:
    `checker_psrp_language_mode` says so for a JEA endpoint; Microsoft.Exchange always is."""
    mode = hv.get(LANGUAGE_MODE)
    if mode:
        return str(mode).lower() != "nolanguage"
    return configuration_name(hv, table).lower() not in NO_LANGUAGE_CONFIGURATIONS


def check_language_mode(hv: Mapping[str, Any]) -> list[str]:
    mode = hv.get(LANGUAGE_MODE)
    if mode is None or str(mode).lower() in LANGUAGE_MODES:
        return []
    return [f"{LANGUAGE_MODE} must be one of FullLanguage, ConstrainedLanguage, "
            f"RestrictedLanguage, NoLanguage (got {mode!r})"]
