"""PSRP/WinRM settings that weaken security are named, with the risk, as the inventory
wrote them; a secure host has none; and no refusal ever suggests a clear-text setting."""

from __future__ import annotations

from typing import Any

import pytest

from checker.transports.psrp import PsrpTransport, WinrmTransport

BASIC = {"ansible_user": "u", "ansible_password": "p", "ansible_psrp_auth": "basic"}


@pytest.mark.parametrize(
    ("transport", "hostvars", "expected"),
    [
        (PsrpTransport, {"ansible_psrp_cert_validation": "ignore"},
         ["ansible_psrp_cert_validation: ignore: the server's TLS certificate is not verified"]),
        (PsrpTransport, {**BASIC, "ansible_psrp_protocol": "http",
                         "ansible_psrp_message_encryption": "never"},
         ["ansible_psrp_message_encryption: never over http: the password (basic auth only "
          "base64-encodes it)"]),
        (PsrpTransport, {"ansible_psrp_protocol": "http", "ansible_psrp_auth": "ntlm",
                         "ansible_psrp_message_encryption": "never", "ansible_user": "u",
                         "ansible_password": "p"},
         ["ansible_psrp_message_encryption: never over http: every command and reply travels"]),
        (PsrpTransport, {"ansible_psrp_credssp_disable_tlsv1_2": True},
         ["ansible_psrp_credssp_disable_tlsv1_2: True: CredSSP accepts TLS 1.0 and 1.1"]),
        (WinrmTransport, {"ansible_winrm_server_cert_validation": "ignore", "ansible_port": 5986},
         ["ansible_winrm_server_cert_validation: ignore: the server's TLS certificate"]),
        (PsrpTransport, {"ansible_psrp_protocol": "https", "ansible_psrp_auth": "negotiate"}, []),
        (PsrpTransport, {"ansible_psrp_protocol": "http", "ansible_psrp_cert_validation": "ignore"},
         []),  # no TLS to verify: the setting does nothing
    ],
)
def test_insecure_settings_are_named(transport, hostvars: dict[str, Any], expected) -> None:
    found = list(transport.insecure_settings(hostvars))
    assert len(found) == len(expected)
    for sentence, start in zip(found, expected, strict=True):
        assert sentence.startswith(start), sentence


def test_the_refusal_of_basic_over_http_never_suggests_clear_text() -> None:
    problems = PsrpTransport.check_vars({**BASIC, "ansible_psrp_protocol": "http"})
    assert any("basic auth over http cannot encrypt" in p for p in problems)
    assert not any("never" in p for p in problems)
