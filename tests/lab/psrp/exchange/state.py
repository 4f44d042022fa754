"""The simulated Exchange organization: a scenario file made into wire objects, and the
changes remediation makes (journaled, like the ADSync lab's)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.lab.psrp import scenario
from tests.lab.psrp.scenario import Clock

from . import objects as O
from .certs import der
from .nrbf_writer import Enum, serialize

SCENARIOS = Path(__file__).parent / "scenarios"
TASKS = "Microsoft.Exchange.Management.SystemConfigurationTasks."
SERVICES = {"None": 0, "IMAP": 1, "POP": 2, "UM": 4, "IIS": 8, "SMTP": 16, "Federation": 32,
            "UMCallRouter": 64}
STATUS = {"Unknown": 0, "Valid": 1, "Revoked": 2, "DateInvalid": 3, "Untrusted": 4,
          "Invalid": 5, "RevocationCheckFailure": 6, "PendingRequest": 7}
ORG_DN = "CN=LAB,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=lab,DC=example,DC=com"
SERVERS_DN = "CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative " \
             "Groups," + ORG_DN


def names() -> list[str]:
    return scenario.names(SCENARIOS)


@dataclass
class Certificate:
    server: str  # FQDN
    subject: str
    issuer: str
    domains: list[str]
    not_before: dt.datetime
    not_after: dt.datetime
    services: list[str]
    status: str
    serial: int
    der: bytes = b""

    def __post_init__(self) -> None:
        self.der = der(self.subject, self.issuer, self.domains, self.not_before, self.not_after,
                       self.serial)

    @property
    def thumbprint(self) -> str:
        import hashlib

        return hashlib.sha1(self.der).hexdigest().upper()


@dataclass
class State:
    sc: dict[str, Any]
    clock: Clock
    local: str  # the server this endpoint runs on (Get-ExchangeCertificate's default)
    certificates: list[Certificate] = field(default_factory=list)
    vdirs: dict[str, bool] = field(default_factory=dict)  # server -> MRSProxyEnabled
    changes: list[str] = field(default_factory=list)
    # recipients built once (the benchmark's 50,000), so each call only serializes them
    prebuilt: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def build(cls, name: str, now: dt.datetime | None = None) -> State:
        sc = scenario.load_raw(name, SCENARIOS)
        now = now or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        st = cls(sc, Clock(now, now), sc.get("local", sc["servers"][0]["name"]))
        serial = 1000
        for server, certs in (sc.get("certificates") or {}).items():
            for c in certs:
                serial += 1
                st.certificates.append(Certificate(
                    st.fqdn(server), c["subject"], c["issuer"], list(c.get("domains", [])),
                    st.clock.at(c["not_before"]), st.clock.at(c["not_after"]),
                    list(c.get("services", [])), c.get("status", "Valid"), serial))
        st.vdirs = {s: bool(v) for s, v in (sc.get("mrs_proxy") or {}).items()}
        return st

    def journal(self, what: str) -> None:
        self.changes.append(what)
        path = os.environ.get("LAB_PSRP_JOURNAL")
        if path:
            with open(path, "a", encoding="utf-8") as f:
                f.write(f"{dt.datetime.now(dt.timezone.utc).isoformat()} {what}\n")

    def servers(self) -> list[dict[str, Any]]:
        return list(self.sc["servers"])

    def fqdn(self, server: str) -> str:
        for s in self.servers():
            if s["name"].lower() == server.lower() or s["fqdn"].lower() == server.lower():
                return str(s["fqdn"])
        raise KeyError(server)

    def server_id(self, server: str) -> Any:
        name = next(s["name"] for s in self.servers() if s["fqdn"] == self.fqdn(server))
        return O.ad_id(name, f"CN={name},{SERVERS_DN}")


def certificate_object(c: Certificate) -> Any:
    """What Get-ExchangeCertificate sends: RawData, and SerializationData for the rest."""
    blob = serialize(TASKS + "ExchangeCertificate", {
        "CertData": c.der, "SelfSigned": c.subject == c.issuer,
        "Status": Enum(TASKS + "CertificateStatus", STATUS[c.status]),
        "RootCAType": Enum(TASKS + "CertificateAuthorityType", 3 if c.subject == c.issuer else 1),
        "Services": Enum(TASKS + "AllowedServices", sum(SERVICES[s] for s in c.services)),
        "IISServices": None, "PrivateKeyExportable": False,
        "Identity": f"{c.server}\\{c.thumbprint}"})
    types = [TASKS + "ExchangeCertificate",
             "System.Security.Cryptography.X509Certificates.X509Certificate2",
             "System.Security.Cryptography.X509Certificates.X509Certificate"]
    text = f"[Subject]\r\n  {c.subject}\r\n\r\n[Issuer]\r\n  {c.issuer}\r\n"
    return O.obj(types, {"RawData": c.der}, text, {"SerializationData": blob})
