"""Pure parts of the LDAP side: filter escaping, connection settings, decoding tables."""

from __future__ import annotations

import ssl

import ldap3
import pytest

from checker.collectors.ad import dn_to_dns, gentime
from checker.collectors.ad_recipients import duplicates, recipient_searches
from checker.collectors.ad_records import exchange_version_name, recipient_type_name
from checker.errors import TransportError
from checker.transports.ldap import LdapSettings, LdapTransport, connection_args
from checker.transports.ldap_bind import bind_failure
from checker.transports.ldap_tls import principal, server_args
from checker.wire import ldap_filter

BASE = {"ansible_host": "dc1.example.com", "ansible_user": "svc@example.com",
        "ansible_password": "S3cret!"}


@pytest.mark.parametrize("value,escaped", [
    ("*)(uid=*", "\\2a\\29\\28uid=\\2a"),
    ("a\\b", "a\\5cb"),
    ("nul\x00", "nul\\00"),
    ("plain.name", "plain.name"),
])
def test_escape(value: str, escaped: str) -> None:
    assert ldap_filter.escape(value) == escaped


def test_filters_from_values() -> None:
    assert ldap_filter.eq("sAMAccountName", "*") == "(sAMAccountName=\\2a)"
    assert ldap_filter.any_of("cn", ["a", "b)"]) == "(|(cn=a)(cn=b\\29))"
    assert ldap_filter.any_of("cn", ["a"]) == "(cn=a)"
    with pytest.raises(ValueError):
        ldap_filter.attribute("cn)(x")
    search = recipient_searches({"accounts": ["*)(sAMAccountName=*"]}, ("mail",))
    assert "(sAMAccountName=\\2a\\29\\28sAMAccountName=\\2a)" in search.searches["recipients"].filter


@pytest.mark.parametrize("extra,problem", [
    ({"checker_ldap_url": "http://dc1"}, "checker_ldap_url"),
    ({"checker_ldap_auth": "digest"}, "checker_ldap_auth"),
    ({"checker_ldap_auth": "kerberos", "ansible_host": "10.0.0.5"}, "DNS name"),
    ({"checker_ldap_auth": "kerberos", "ansible_user": "svc"}, "user@REALM"),
    ({"checker_ldap_auth": "ntlm"}, "DOMAIN"),
    ({"checker_ldap_auth": "ntlm", "ansible_user": "EX\\svc", "checker_ldap_starttls": False},
     "ntlm over plain ldap:// is refused"),
    ({"checker_ldap_starttls": False}, "clear text"),
    ({"checker_ldap_scope": "galaxy"}, "checker_ldap_scope"),
    ({"checker_ldap_keytab": "/no/such.keytab"}, "no such file"),
    ({"checker_ldap_starttls": "maybe"}, "boolean"),
    ({"checker_ldap_url": "ldaps://dc1", "checker_ldap_starttls": True}, "ldaps"),
    ({"checker_ldap_ca_file": "/no/such/ca.pem"}, "no such file"),
    ({"checker_ldap_page_size": 0}, "checker_ldap_page_size"),
    ({"checker_ldap_parallel": "x"}, "checker_ldap_parallel"),
    ({"ansible_password": None}, "both or neither"),
])
def test_check_vars_reports_problems(extra: dict[str, object], problem: str) -> None:
    problems = LdapTransport.check_vars({**BASE, **extra})
    assert any(problem in p for p in problems), problems
    assert not any("S3cret!" in p for p in problems)


def test_defaults_verify_tls_and_build_simple_bind() -> None:
    assert LdapTransport.check_vars(BASE) == []
    s = LdapSettings.from_vars("dc1", {**BASE, "checker_ldap_url": "ldaps://dc1.example.com"})
    assert (s.url, s.port, s.use_ssl, s.validate_certs) == ("ldaps://dc1.example.com:636", 636,
                                                            True, True)
    assert "S3cret!" not in repr(s)
    server = server_args(s, 7.5)
    assert server["tls"].validate == ssl.CERT_REQUIRED and server["connect_timeout"] == 7.5
    conn = connection_args(s, 7.5)
    assert conn["authentication"] == ldap3.SIMPLE and conn["receive_timeout"] == 8


def test_starttls_opt_out_ca_and_server_name(tmp_path: object) -> None:
    s = LdapSettings.from_vars("dc1", {**BASE, "checker_ldap_starttls": "yes",
                                       "checker_ldap_validate_certs": "false",
                                       "checker_ldap_server_name": "dc1.corp.example.com"})
    tls = server_args(s, 5)["tls"]
    assert s.starttls and tls.validate == ssl.CERT_NONE
    assert tls.expected_name == "dc1.corp.example.com" and tls.sni == "dc1.corp.example.com"
    default = LdapSettings.from_vars("dc1", BASE)  # a password: StartTLS before the bind
    assert default.starttls and default.url == "ldap://dc1.example.com:389"
    assert server_args(default, 5, "10.1.2.3")["host"] == "10.1.2.3"  # pinned address
    assert server_args(default, 5)["tls"].expected_name == "dc1.example.com"
    anonymous = LdapSettings.from_vars("dc1", {"ansible_host": "dc1"})
    assert not anonymous.starttls and server_args(anonymous, 5)["tls"] is None


def test_plaintext_needs_an_opt_in_and_is_reported() -> None:
    opt_in = {**BASE, "checker_ldap_starttls": False, "checker_ldap_allow_plaintext": True}
    assert LdapTransport.check_vars(opt_in) == []
    risks = LdapTransport.insecure_settings(opt_in)
    assert len(risks) == 1 and "clear text" in risks[0] and "S3cret!" not in risks[0]
    assert LdapTransport.insecure_settings(BASE) == []
    no_verify = LdapTransport.insecure_settings({**BASE, "checker_ldap_validate_certs": False})
    assert "not verified" in no_verify[0]


def test_page_size_is_clamped_with_a_note() -> None:
    s = LdapSettings.from_vars("dc1", {**BASE, "checker_ldap_page_size": 5000})
    assert s.page_size == 1000
    (note,) = LdapTransport.setting_notes({**BASE, "checker_ldap_page_size": 5000})
    assert "MaxPageSize" in note and "1000" in note
    assert LdapTransport.setting_notes(BASE) == []
    assert connection_args(s, 5)["auto_range"] is True


def test_kerberos_binds_with_sasl_gssapi() -> None:
    s = LdapSettings.from_vars("dc1", {**BASE, "checker_ldap_auth": "kerberos"})
    args = connection_args(s, 5)
    assert args["authentication"] == ldap3.SASL and args["sasl_mechanism"] == ldap3.KERBEROS
    assert args["user"] is None and args["password"] is None  # never sent to ldap3
    assert s.starttls and principal("svc@example.com") == "svc@EXAMPLE.COM"


@pytest.mark.parametrize("result,auth,words", [
    ({"result": 8, "description": "strongerAuthRequired",
      "message": "BindSimple: Transport encryption required."}, "simple",
     ["LDAP server signing requirements", "ldap server require strong auth", "ldaps://"]),
    ({"result": 8, "description": "strongerAuthRequired",
      "message": "SASL:[GSSAPI]: Sign or Seal are required."}, "kerberos",
     ["allow_sasl_over_tls", "inside TLS"]),
    ({"result": 49, "description": "invalidCredentials",
      "message": "80090346: LdapErr: DSID-0C090569, comment: AcceptSecurityContext error, "
                 "data 80090346, v4563"}, "ntlm",
     ["channel binding", "LdapEnforceChannelBinding", "kerberos"]),
    ({"result": 49, "description": "invalidCredentials", "message": "x"}, "simple",
     ["failed: invalidCredentials"]),
])
def test_refused_binds_name_the_dc_setting(result: dict[str, object], auth: str,
                                            words: list[str]) -> None:
    user = "EX\\svc" if auth == "ntlm" else "svc@example.com"
    s = LdapSettings.from_vars("dc1", {**BASE, "ansible_user": user, "checker_ldap_auth": auth})
    text = bind_failure(s, result)
    assert all(w in text for w in words), text
    assert "S3cret!" not in text


def test_ntlm_builds_a_sicily_bind() -> None:
    s = LdapSettings.from_vars("dc1", {**BASE, "ansible_user": "EXAMPLE\\svc",
                                       "checker_ldap_auth": "ntlm"})
    args = connection_args(s, 5)
    assert args["authentication"] == ldap3.NTLM and args["user"] == "EXAMPLE\\svc"


def test_bad_vars_raise_before_connecting() -> None:
    with pytest.raises(TransportError, match="checker_ldap_url"):
        LdapTransport("dc1", {**BASE, "checker_ldap_url": "ldap:/broken"}, 5)


def test_anonymous_when_no_user() -> None:
    s = LdapSettings.from_vars("dc1", {"ansible_host": "dc1"})
    assert connection_args(s, 5)["authentication"] == ldap3.ANONYMOUS


@pytest.mark.parametrize("value,name", [
    (17003, "Exchange 2019 CU10 or later (or Exchange SE)"),
    (15334, "Exchange 2016 CU21 or later"),
    (15312, "Exchange 2013 CU7 or later"),
    (17005, "Exchange 2019 or later (unknown build)"),
    (15320, "Exchange 2016 (unknown build)"),
    (14734, "Exchange 2010"),
    (42, "unknown Exchange schema version 42"),
    (None, None),
])
def test_exchange_version_name(value: int | None, name: str | None) -> None:
    assert exchange_version_name(value) == name


@pytest.mark.parametrize("value,name", [
    (128, "MailUser"), (1, "UserMailbox"), (64, "MailContact"),
    (2147483648, "RemoteUserMailbox"), (34359738368, "RemoteSharedMailbox"),
    (129, "UserMailbox|MailUser"), (1 << 26, "0x4000000"), (None, None),
])
def test_recipient_type_name(value: int | None, name: str | None) -> None:
    assert recipient_type_name(value) == name


def test_helpers() -> None:
    assert dn_to_dns("DC=lab,DC=Example,DC=com") == "lab.example.com"
    assert gentime("20240131120000.0Z").isoformat() == "2024-01-31T12:00:00+00:00"
    result = duplicates([
        {"dn": ["a"], "proxyaddresses": ["SMTP:x@y.z", "smtp:X@y.z"]},
        {"dn": ["b"], "proxyaddresses": ["smtp:x@Y.z"]},
        {"dn": ["c"], "proxyaddresses": ["smtp:c@y.z"]},
    ])
    assert result.objects == 3
    assert [(d.address, d.holders) for d in result.duplicates] == [("smtp:x@y.z", ["a", "b"])]


@pytest.mark.parametrize("details,critical,nickname,dn,sam,synced", [
    (128, False, "alice", "CN=Alice,OU=Mail,DC=x", "alice", True),
    (8388608, False, "FederatedEmail.4c1f4d8b", "CN=F,CN=Users,DC=x", "SM_1", False),
    (536870912, False, "DiscoverySearchMailbox{D919BA05}", "CN=D,CN=Users,DC=x", "SM_2", False),
    (1 << 14, False, "x", "CN=S,DC=x", "s", False),  # SystemMailbox type
    (1, False, "SystemMailbox{1f05a927}", "CN=S,DC=x", "SM_3", False),  # the alias alone
    (1, False, "CAS_{b8c1d2}", "CN=C,DC=x", "c", False),
    (1, True, "admin", "CN=Administrator,CN=Users,DC=x", "Administrator", False),
    (128, False, "mu001", "CN=mu001\\0ACNF:7d3a8e61,OU=Mail,DC=x", "$DUPLICATE-1f4", False),
    (None, False, None, "CN=MSOL_0a1b,CN=Users,DC=x", "MSOL_0a1b", False),
    (549755813888, False, "HealthMailbox0f4b", "CN=H,DC=x", "HealthMailbox0f4bbd1", True),
])
def test_connect_scope(details: int | None, critical: bool, nickname: str | None, dn: str,
                       sam: str, synced: bool) -> None:
    from checker.collectors.ad_recipients import connect_scope

    assert connect_scope(details, critical, nickname, dn, sam) is synced
