"""The Exchange lab endpoint behaves as Exchange's remote PowerShell does (NoLanguage, its own
configuration and path, -ResultSize, Exchange type names), and checker's PSRP transport
reaches it with commands only: one runspace pool, pipelines <= distinct cmdlets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from checker.collectors.base import load_all
from checker.errors import CollectError, TransportError
from checker.facts.model import FactKey
from checker.requests import PsCmdlet, PsSnippet
from checker.transports.psrp import PsrpTransport
from checker.transports.psrp_errors import deserialize_typed_collections
from tests.lab.psrp.exchange import CONFIGURATION, make_server
from tests.lab.psrp.exchange.cmdlets import DEFAULT_WARNING

from .conftest import PASSWORD, USER

pytestmark = pytest.mark.lab
REMOTE_MAILBOX = "Microsoft.Exchange.Data.Directory.Management.RemoteMailbox"


@pytest.fixture
def exchange() -> Iterator[Callable[..., Any]]:
    servers: list[Any] = []

    def get(scenario: str = "healthy", **kw: Any) -> Any:
        servers.append(make_server(scenario, username=USER, password=PASSWORD, **kw).start())
        return servers[-1]

    yield get
    for srv in servers:
        srv.stop()


def hostvars(port: int, **extra: Any) -> dict[str, Any]:
    return {"ansible_host": "127.0.0.1", "ansible_port": port, "ansible_user": USER,
            "ansible_password": PASSWORD, "ansible_psrp_auth": "basic",
            "ansible_psrp_protocol": "http", "ansible_psrp_message_encryption": "never",
            "ansible_psrp_configuration_name": CONFIGURATION, "ansible_psrp_path": "PowerShell/",
            "ansible_psrp_operation_timeout": 2, **extra}


def pool(port: int, configuration: str = CONFIGURATION, path: str = "PowerShell/",
         fixed: bool = True) -> Any:
    """A raw pypsrp pool; `fixed` gives it the transport's deserializer fix."""
    wsman = WSMan("127.0.0.1", port=port, path=path, ssl=False, auth="basic",
                  encryption="never", username=USER, password=PASSWORD)
    p = RunspacePool(wsman, configuration_name=configuration)
    if fixed:
        deserialize_typed_collections(p)
    return p


def test_a_script_is_refused_with_no_language_error(exchange: Any) -> None:
    srv = exchange()
    with pool(srv.port) as p:
        ps = PowerShell(p).add_script("Get-ExchangeServer | ConvertTo-Json")
        assert ps.invoke() == []
        assert ps.had_errors
        error = ps.streams.error[0]
        assert str(error).startswith("The syntax is not supported by this runspace. This might "
                                     "be because it is in no-language mode.")
        assert error.fq_error == "ScriptsNotAllowed"
        ps = PowerShell(p).add_cmdlet("ConvertTo-Json").add_parameter("InputObject", 1)
        ps.invoke()
        assert "is not recognized as the name of a cmdlet" in str(ps.streams.error[0])


def test_only_its_configuration_and_path(exchange: Any) -> None:
    srv = exchange()
    with pytest.raises(Exception, match=r"Cannot find the Microsoft\.PowerShell session"), \
            pool(srv.port, configuration="Microsoft.PowerShell"):
        pass
    with pytest.raises(Exception, match="404"), pool(srv.port, path="wsman"):
        pass


def test_objects_carry_exchange_type_names_and_result_size(exchange: Any) -> None:
    srv = exchange()
    srv.state.sc["remote_mailboxes"] = {"count": 1005}
    with pool(srv.port) as p:
        ps = PowerShell(p).add_cmdlet("Get-RemoteMailbox")
        ps.invoke()  # no -ResultSize: Exchange's default 1000, and its warning
        assert len(ps.output) == 1000
        assert [w.message for w in ps.streams.warning] == [DEFAULT_WARNING]
        assert ps.output[0].types[0] == REMOTE_MAILBOX  # the wire has no "Deserialized."
        ps = PowerShell(p).add_cmdlet("Get-RemoteMailbox").add_parameter("ResultSize", 10)
        assert len(ps.invoke()) == 10 and "more results" in ps.streams.warning[0].message


def test_pypsrp_alone_fails_on_typed_collections(exchange: Any) -> None:
    """The quirk the transport works around (jborean93/pypsrp#155): plain pypsrp 0.9 cannot
    read an Exchange recipient, whose EmailAddresses collection defines types reused later."""
    srv = exchange()
    with pool(srv.port, fixed=False) as p, pytest.raises(KeyError):
        PowerShell(p).add_cmdlet("Get-RemoteMailbox").invoke()


def _gather(port: int, names: list[str], **extra: Any) -> dict[str, Any]:
    registry = load_all()
    transport = PsrpTransport("ex01.lab.example.com", hostvars(port, **extra), 30)
    transport.open()
    try:
        requests = {FactKey.of(n, {}): registry.get(n)().request({}) for n in names}
        out = {}
        for key, raw in transport.collect(requests):
            out[key.collector] = raw if isinstance(raw, Exception) \
                else registry.get(key.collector)().process(raw, {})
        return out
    finally:
        transport.close()


def test_one_pool_commands_only_pipelines_at_most_distinct_cmdlets(exchange: Any) -> None:
    srv = exchange()
    names = [n for n in load_all().names() if n.startswith("exchange.")]
    facts = _gather(srv.port, names)
    assert not [n for n, v in facts.items() if isinstance(v, Exception)]
    stats = srv.stats()
    cmdlets = {c.cmdlet for c in (load_all().get(n) for n in names)}
    assert stats["pools"] == 1 and stats["scripts"] == 0
    assert stats["pipelines"] <= len(cmdlets)
    assert stats["pipelines"] == 3  # the small ones share one; the two big ones stream
    assert sorted(srv.engine.history) == sorted(cmdlets)


def test_an_error_lands_on_its_own_fact(exchange: Any) -> None:
    srv = exchange()
    srv.engine.cmdlets.pop("get-authserver")  # e.g. a role without the right to run it
    facts = _gather(srv.port, ["exchange.auth_servers", "exchange.servers",
                               "exchange.accepted_domains"])
    assert isinstance(facts["exchange.auth_servers"], CollectError)
    assert "Get-AuthServer" in str(facts["exchange.auth_servers"])
    assert facts["exchange.servers"][0].name == "EX01"
    assert facts["exchange.accepted_domains"]


def test_a_cut_result_is_an_error(exchange: Any) -> None:
    srv = exchange()
    transport = PsrpTransport("ex01", hostvars(srv.port), 30)
    transport.open()
    key = FactKey.of("exchange.remote_mailboxes", {})
    call = PsCmdlet("Get-RemoteMailbox", REMOTE_MAILBOX, ("Alias",), result_size=10)
    try:
        ((_, stream),) = list(transport.collect({key: call}))
        with pytest.raises(CollectError, match="cut short: There are more results"):
            list(stream)
    finally:
        transport.close()


def test_a_script_is_never_sent(exchange: Any) -> None:
    srv = exchange()
    transport = PsrpTransport("ex01", hostvars(srv.port), 30)
    transport.open()
    try:
        ((_, reply),) = list(transport.collect({FactKey.of("x", {}): PsSnippet("Get-Date")}))
        assert isinstance(reply, CollectError) and "NoLanguage" in str(reply)
        with pytest.raises(CollectError, match="NoLanguage"):
            transport.run_script("Set-WebServicesVirtualDirectory -Identity x")
    finally:
        transport.close()
    assert srv.stats()["scripts"] == 0


def test_remediation_runs_as_a_command(exchange: Any) -> None:
    srv = exchange("mrsproxy-off")
    transport = PsrpTransport("ex01", hostvars(srv.port), 30)
    transport.open()
    try:
        transport.run_command("Set-WebServicesVirtualDirectory", {
            "Identity": "EX01\\EWS (Default Web Site)", "MRSProxyEnabled": True})
        with pytest.raises(CollectError, match="cannot be found that matches parameter"):
            transport.run_command("Set-WebServicesVirtualDirectory", {"Bogus": 1})
    finally:
        transport.close()
    assert srv.state.vdirs["EX01"] is True
    assert srv.stats()["scripts"] == 0


def test_wrong_password_is_a_transport_error(exchange: Any) -> None:
    srv = exchange()
    transport = PsrpTransport("ex01", hostvars(srv.port, ansible_password="nope"), 30)
    with pytest.raises(TransportError, match="authentication"):
        transport.open()


def test_enable_certificate_for_smtp_as_a_command(exchange: Any) -> None:
    srv = exchange()
    cert = srv.state.certificates[0]
    cert.services = ["IIS"]
    transport = PsrpTransport("ex01", hostvars(srv.port), 30)
    transport.open()
    try:
        transport.run_command("Enable-ExchangeCertificate", {
            "Thumbprint": cert.thumbprint, "Services": "SMTP", "Force": True})
        key = FactKey.of("exchange.certificates", {})
        ((_, raw),) = list(transport.collect({key: load_all().get(key.collector)().request({})}))
        first = load_all().get(key.collector)().process(raw, {})[0]
    finally:
        transport.close()
    assert first.services == ["IIS", "SMTP"] and srv.stats()["scripts"] == 0


def test_a_stream_past_its_budget_is_an_error(exchange: Any) -> None:
    srv = exchange(latency=0.3)  # every WSMan message takes 0.3 s
    srv.state.sc["remote_mailboxes"] = {"count": 400}
    transport = PsrpTransport("ex01", hostvars(srv.port), 1.0)
    transport.open()
    key = FactKey.of("exchange.remote_mailboxes", {})
    try:
        ((_, stream),) = list(transport.collect({key: load_all().get(key.collector)().request({})}))
        with pytest.raises(TransportError, match="timed out after 1s streaming"):
            list(stream)
    finally:
        transport.close()


def test_route_a_remote_mailbox_as_a_command(exchange: Any) -> None:
    """EXSRV-REMOTE-MAILBOX-ROUTING's step as --remediate sends it: Set-RemoteMailbox with the
    identity Get-RemoteMailbox reported and alias@<tenant routing domain>."""
    srv = exchange("remote-mailboxes-no-routing")
    transport = PsrpTransport("ex01", hostvars(srv.port), 30)
    transport.open()
    key = FactKey.of("exchange.remote_mailboxes", {})
    collector = load_all().get(key.collector)()
    try:
        transport.run_command("Set-RemoteMailbox", {
            "Identity": "lab.example.com/Users/user00000",
            "RemoteRoutingAddress": "user00000@contoso.mail.onmicrosoft.com"})
        ((_, stream),) = list(transport.collect({key: collector.request({})}))
        routes = {m.alias: m.remote_routing_address
                  for m in collector.process(list(stream), {})}
    finally:
        transport.close()
    assert routes["user00000"] == "user00000@contoso.mail.onmicrosoft.com"
    assert routes["user00001"] is None  # the others are as they were
    assert srv.stats()["scripts"] == 0
