"""PSRP over https against the lab endpoint behind real TLS (a lab CA and a server
certificate): an untrusted certificate is named as one (never "connection failed"), the
CA given in the inventory connects, and turning verification off connects with a warning on
stderr, in the JSON warnings and in the HTML banner; basic auth with message encryption
`never` over http warns the same way, and the refusal of basic over http never suggests it."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.lab.labtls import write_server_files

from . import LabServer, make_server
from .conftest import PASSWORD, ROOT, USER

pytestmark = pytest.mark.lab
HOST = "aadc01.lab.example.com"


@pytest.fixture(scope="module")
def tls_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabServer, Path]]:
    tls = tmp_path_factory.mktemp("psrp-tls")
    write_server_files(tls, "127.0.0.1", HOST, tls / "ca")
    srv = make_server("healthy", username=USER, password=PASSWORD)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls / "cert.pem", tls / "key.pem")
    srv.httpd.socket = context.wrap_socket(srv.httpd.socket, server_side=True)
    srv.start()
    yield srv, tls / "ca.pem"
    srv.stop()


def run(tmp: Path, hostvars: dict[str, Any]) -> tuple[int, dict[str, Any], str, str]:
    """`checker apply` on one PSRP host; (exit code, JSON report, stderr, HTML report)."""
    inv = {"all": {"children": {"aadconnect": {"hosts": {HOST: {
        "ansible_connection": "psrp", "ansible_host": "127.0.0.1", "ansible_user": USER,
        "ansible_password": "{{ lookup('env', 'LAB_PSRP_PASSWORD') }}",
        "ansible_psrp_operation_timeout": 2, **hostvars}}}}}}
    (tmp / "inventory.yml").write_text(json.dumps(inv))
    env = {**os.environ, "LAB_PSRP_PASSWORD": PASSWORD}
    proc = subprocess.run(
        [sys.executable, "-m", "checker", "apply", str(tmp / "inventory.yml"), "-r",
         str(ROOT / "rules"), "--rule", "AADC-STAGING-MODE", "--report", f"json:{tmp}/r.json",
         "--report", f"html:{tmp}/r.html"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert "Traceback" not in proc.stderr and PASSWORD not in proc.stdout + proc.stderr
    doc = json.loads((tmp / "r.json").read_text())
    return proc.returncode, doc, proc.stderr, (tmp / "r.html").read_text()


def https(port: int, **extra: Any) -> dict[str, Any]:
    return {"ansible_port": port, "ansible_psrp_protocol": "https",
            "ansible_psrp_auth": "basic", **extra}


def test_an_untrusted_certificate_is_named_as_one(tls_endpoint, tmp_path: Path) -> None:
    srv, _ = tls_endpoint
    code, doc, _, _ = run(tmp_path, https(srv.port))
    assert code == 2
    message = doc["results"][0]["message"]
    assert "TLS certificate verification failed: unable to get local issuer certificate" \
        in message, message
    assert "connection failed" not in message and "cert_validation" not in message


def test_the_ca_from_the_inventory_connects_without_a_warning(tls_endpoint,
                                                             tmp_path: Path) -> None:
    srv, ca = tls_endpoint
    code, doc, err, _ = run(tmp_path, https(srv.port, ansible_psrp_cert_trust_path=str(ca)))
    assert code == 0, doc["results"][0]["message"]
    assert doc["warnings"] == [] and "warning" not in err


def test_ignoring_the_certificate_warns_on_every_run(tls_endpoint, tmp_path: Path) -> None:
    srv, _ = tls_endpoint
    code, doc, err, html = run(tmp_path, https(srv.port, ansible_psrp_cert_validation="ignore"))
    assert code == 0  # it connects: the warning is the only sign
    risk = (f"host {HOST}: ansible_psrp_cert_validation: ignore: the server's TLS "
            "certificate is not verified, so anyone on the network path can pose as the server")
    assert f"warning: {risk}" in err
    assert any(w.startswith(risk) for w in doc["warnings"])
    banner = html[html.index('<section id="warnings" class="banner" role="alert">'):]
    assert "ansible_psrp_cert_validation: ignore" in banner[:banner.index("</section>")]


def test_basic_auth_in_clear_text_warns_and_is_never_suggested(tmp_path: Path, inprocess) -> None:
    srv = inprocess("healthy")
    clear = {"ansible_port": srv.port, "ansible_psrp_protocol": "http",
             "ansible_psrp_auth": "basic", "ansible_psrp_message_encryption": "never"}
    code, doc, err, _ = run(tmp_path, clear)
    assert code == 0
    assert (f"warning: host {HOST}: ansible_psrp_message_encryption: never over http: the "
            "password (basic auth only base64-encodes it) and every command and reply travel "
            "in clear text") in err
    assert doc["warnings"] and "clear text" in doc["warnings"][0]
    refused = {k: v for k, v in clear.items() if k != "ansible_psrp_message_encryption"}
    (tmp_path / "r.json").unlink()
    inv = {"all": {"hosts": {HOST: {"ansible_connection": "psrp", "ansible_user": USER,
                                    "ansible_password": "x", **refused}},
                   "children": {"aadconnect": {"hosts": {HOST: {}}}}}}
    (tmp_path / "refused.yml").write_text(json.dumps(inv))
    proc = subprocess.run([sys.executable, "-m", "checker", "validate", str(ROOT / "rules"),
                           "-i", str(tmp_path / "refused.yml")], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 3
    assert "basic auth over http cannot encrypt the messages: use https" in proc.stderr
    assert "never" not in proc.stderr
