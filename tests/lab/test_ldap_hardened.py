"""A hardened DC (Samba with `ldap server require strong auth`): the old default is refused,
checker binds inside TLS or refuses before sending anything, Kerberos binds against the DC's
own KDC, and TLS name checks work for an IP-literal host on Python 3.12+."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ldap3
import pytest

from checker.errors import TransportError
from checker.transports.ldap import LdapTransport
from tests.lab import samba
from tests.lab.conftest import host_vars
from tests.lab.net import lab_ip
from tests.lab.test_ldap_scenarios import REPO, apply, write_inventory

pytestmark = pytest.mark.lab
Dc = Callable[[str], samba.SambaDC]
KERBEROS = {"checker_ldap_auth": "kerberos", "checker_ldap_server_name": samba.DNS_NAME}


def opened(hostvars: dict[str, Any], timeout: float = 10) -> LdapTransport:
    t = LdapTransport("labdc", hostvars, timeout)
    t.open()
    return t


def test_hardened_dc_refuses_the_old_default(lab_dc: Dc) -> None:
    """What checker used to send (SIMPLE over plain ldap://) is refused by the lab DC."""
    dc = lab_dc("healthy")
    conn = ldap3.Connection(ldap3.Server(dc.ip, get_info=ldap3.NONE), samba.ADMIN,
                            samba.PASSWORD)
    assert not conn.bind()
    assert conn.result["description"] == "strongerAuthRequired"
    conn.unbind()


def test_default_inventory_binds_inside_starttls(lab_dc: Dc) -> None:
    dc = lab_dc("healthy")
    t = opened(host_vars(dc))  # ansible_host/user/password + the CA, nothing else
    try:
        assert t.settings.starttls and t._conn is not None and t._conn.tls_started
        assert t.rootdse["dnshostname"] == [samba.DNS_NAME]
    finally:
        t.close()


def test_plaintext_opt_in_is_refused_with_the_dc_setting_named(lab_dc: Dc,
                                                               tmp_path: Path) -> None:
    dc = lab_dc("healthy")
    plain = {"checker_ldap_starttls": False, "checker_ldap_allow_plaintext": True}
    with pytest.raises(TransportError) as e:
        opened(host_vars(dc, **plain))
    assert "LDAP server signing requirements" in str(e.value)
    assert samba.PASSWORD not in str(e.value)
    inv = write_inventory(tmp_path / "inv.yml", dc, **plain)
    code, doc = apply(inv, tmp_path / "r.json")
    assert code == 2
    assert any("checker_ldap_allow_plaintext" in w for w in doc["warnings"])


def test_plaintext_without_opt_in_is_invalid_input(lab_dc: Dc, tmp_path: Path) -> None:
    dc = lab_dc("healthy")
    inv = write_inventory(tmp_path / "inv.yml", dc, checker_ldap_starttls=False)
    proc = subprocess.run([sys.executable, "-m", "checker", "apply", str(inv), "-r",
                           str(REPO / "rules")], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "LAB_AD_PASSWORD": samba.PASSWORD}, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert "clear text" in proc.stderr and "Traceback" not in proc.stderr


@pytest.fixture()
def recording_server() -> Iterator[tuple[str, list[bytes]]]:
    """A TCP listener on lab_ip(97):389 that records what a client sends, then hangs up."""
    srv = socket.create_server((lab_ip(97), 389))
    got: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    got.append(conn.recv(65536))

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    yield lab_ip(97), got
    stop.set()
    th.join()
    srv.close()


def test_nothing_secret_leaves_before_tls(recording_server: tuple[str, list[bytes]]) -> None:
    """The default's first request is StartTLS; when TLS does not come up, no bind follows."""
    ip, got = recording_server
    with pytest.raises(TransportError):
        opened({"ansible_host": ip, "ansible_user": samba.ADMIN,
                "ansible_password": samba.PASSWORD}, timeout=3)
    sent = b"".join(got)
    assert b"1.3.6.1.4.1.1466.20037" in sent  # the StartTLS extended operation
    assert samba.PASSWORD.encode() not in sent and samba.ADMIN.encode() not in sent


@pytest.fixture(scope="module")
def kerberos_dc(lab_templates: samba.Templates,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[samba.SambaDC]:
    """A DC that accepts a Kerberos bind inside TLS, as a Windows DC requiring signing does
    (Samba's `allow_sasl_over_tls`; `yes` also refuses SASL without sign/seal inside TLS)."""
    dc = lab_templates.exchange.copy_to(tmp_path_factory.mktemp("krb"), lab_ip(31),
                                        "allow_sasl_over_tls")
    dc.start()
    yield dc
    dc.stop()


@pytest.fixture()
def krb5(monkeypatch: pytest.MonkeyPatch) -> Callable[[samba.SambaDC], None]:
    def point(dc: samba.SambaDC) -> None:
        monkeypatch.setenv("KRB5_CONFIG", str(dc.krb5_conf))
        monkeypatch.setenv("KRB5CCNAME", f"MEMORY:checker-tests-{dc.ip}")
    return point


@pytest.mark.parametrize("extra", [{}, {"checker_ldap_url": "ldaps://{ip}"}],
                         ids=["starttls", "ldaps"])
def test_kerberos_binds_with_the_dcs_kdc(kerberos_dc: samba.SambaDC, krb5: Any,
                                         extra: dict[str, str]) -> None:
    krb5(kerberos_dc)
    extra = {k: v.format(ip=kerberos_dc.ip) for k, v in extra.items()}
    t = opened(host_vars(kerberos_dc, **KERBEROS, **extra))
    try:
        assert t._conn is not None and t._conn.sasl_mechanism == ldap3.KERBEROS
        assert t.rootdse["dnshostname"] == [samba.DNS_NAME]
    finally:
        t.close()


def test_kerberos_with_a_keytab(kerberos_dc: samba.SambaDC, krb5: Any, tmp_path: Path) -> None:
    krb5(kerberos_dc)
    keytab = tmp_path / "svc.keytab"
    subprocess.run(["samba-tool", "domain", "exportkeytab", str(keytab),
                    f"--principal=Administrator@{samba.REALM}", "-s",
                    str(kerberos_dc.dc / "etc" / "smb.conf")], check=True, capture_output=True)
    hv = host_vars(kerberos_dc, **KERBEROS, checker_ldap_keytab=str(keytab))
    del hv["ansible_password"]
    t = opened(hv)
    t.close()


def test_kerberos_wrong_password_and_strict_dc_are_clean_errors(
        kerberos_dc: samba.SambaDC, lab_dc: Dc, krb5: Any) -> None:
    krb5(kerberos_dc)
    with pytest.raises(TransportError, match="cannot get a Kerberos ticket") as e:
        opened(host_vars(kerberos_dc, **KERBEROS, ansible_password="Wr0ng-Secret!"))
    assert "Wr0ng-Secret!" not in str(e.value)
    strict = lab_dc("healthy")  # strong auth = yes: SASL refused even inside TLS
    krb5(strict)
    with pytest.raises(TransportError, match="allow_sasl_over_tls"):
        opened(host_vars(strict, **KERBEROS))


NEWER = [p for p in ("/usr/bin/python3.13", "/usr/bin/python3.12",
                      "/root/.pyenv/versions/3.13.0/bin/python",
                      "/root/.pyenv/versions/3.12.1/bin/python") if Path(p).exists()]
# Python 3.12 removed ssl.match_hostname; ldap3 2.9 then uses its backport, which rejects IP
# addresses. Where no 3.12+ is installed (Debian 12 CI), run that state on this Python.
AS_312 = ("import ldap3.core.tls as t, ldap3.utils.tls_backport as b; "
          "t.match_hostname = b.match_hostname; ")


def test_ip_literal_ldaps_on_python_312_and_later(lab_dc: Dc) -> None:
    """An LDAPS bind to an IP literal, the certificate's IP SAN checked (by OpenSSL)."""
    dc = lab_dc("healthy")
    python = NEWER[0] if NEWER else sys.executable
    site = next(p for p in sys.path if p.endswith("site-packages"))
    hv = host_vars(dc, checker_ldap_url=f"ldaps://{dc.ip}")
    code = ("" if NEWER else AS_312) + (
        "import sys; from checker.transports.ldap import LdapTransport as T; "
        f"t = T('dc', {hv!r}, 10); t.open(); "
        "print(sys.version_info[:2], t.rootdse['dnshostname'][0]); t.close()")
    out = subprocess.run([python, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": f"{REPO}:{site}"}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert samba.DNS_NAME in out.stdout
