"""The transport interface: one open connection per host per run.

The gather stage hands a transport all of one host's fact requests at once, so a transport
can batch them (PSRP: one runspace pool and one pipeline per host per run; LDAP: one
connection, one search per distinct fact).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from checker.errors import CollectError
from checker.facts.model import FactKey
from checker.registry import Registry
from checker.transports.variables import VarTable


class Transport(ABC):
    """Subclasses register with `@transports.register("ldap")`; the name is the value of
    `ansible_connection` that selects it."""

    registry_name: ClassVar[str]
    # True when `collect` yields stored facts in their JSON form (snapshot replay) rather
    # than raw replies for `Collector.process`.
    replays: ClassVar[bool] = False
    runs_scripts: ClassVar[bool] = False  # can run remediation scripts (--remediate)
    # The connection variables this transport reads, declared once (checker/transports/
    # variables.py): checks, `checker schema inventory` and the docs come from it.
    variables: ClassVar[VarTable | None] = None
    # Collectors that run over `serves_as` run over this transport too (winrm -> psrp).
    serves_as: ClassVar[str | None] = None

    def __init__(self, host: str, hostvars: Mapping[str, Any], timeout: float) -> None:
        self.host = host
        self.vars = hostvars
        self.timeout = timeout

    @classmethod
    def check_vars(cls, hostvars: Mapping[str, Any]) -> Sequence[str]:
        """Problems with this host's connection variables, found before any connection."""
        return cls.variables.read(hostvars)[1] if cls.variables else ()

    @classmethod
    def protocol(cls) -> str:
        """The name collectors use for what this transport speaks."""
        return cls.serves_as or cls.registry_name

    @classmethod
    def refuses(cls, hostvars: Mapping[str, Any], request_type: type | None) -> str | None:
        """Why this host's endpoint can never serve requests of this type (a script sent to
        a NoLanguage endpoint), found before any connection; None when it can."""
        return None

    @classmethod
    def insecure_settings(cls, hostvars: Mapping[str, Any]) -> Sequence[str]:
        """Settings of this host that weaken security (no TLS verification, a password sent in
        clear, no message encryption). Each one is a sentence naming the variable and the risk.
        They never stop a run: the runner warns about them on every run, on stderr and in every
        report."""
        return ()

    @classmethod
    def preload(cls) -> None:
        """Import what `open` imports lazily. An engine that forks a worker per host (Ansible)
        calls it once in its main process, so no worker imports the client library again."""
        return None

    @classmethod
    def setting_notes(cls, hostvars: Mapping[str, Any]) -> Sequence[str]:
        """Settings this transport adjusted to what the server allows (e.g. a page size above
        the DC's maximum); reported with the warnings, never stopping a run."""
        return ()

    def share_key(self, request: Any) -> str | None:
        """After `open`: a key naming every host that gives the same reply to `request` (e.g.
        "domain dc=lab,dc=example,dc=com"), so the gather stage asks only one of them; None
        when the reply belongs to this host alone."""
        return None

    def target(self) -> str:
        """What the provenance names as the peer, e.g. "ldaps://dc1.example.com:636"."""
        return str(self.vars.get("ansible_host", self.host))

    @abstractmethod
    def open(self) -> None:
        """Connect and authenticate. Raise TransportError (never return half-open)."""

    @abstractmethod
    def collect(self, requests: Mapping[FactKey, Any]) -> Iterator[tuple[FactKey, Any]]:
        """Run the requests; yield (key, raw) per fact, or (key, CollectError) for a fact
        that failed on its own. Raise TransportError when the whole host is lost."""

    def run_script(self, script: str) -> str:
        """Run one remediation script (only with --remediate); return its output as text.
        Raise CollectError when it fails. Read-only transports cannot run anything."""
        raise CollectError(f"the {self.registry_name} connection cannot run remediation scripts")

    def run_command(self, name: str, parameters: Mapping[str, Any]) -> str:
        """Run one remediation cmdlet as a command (only with --remediate)."""
        raise CollectError(f"the {self.registry_name} connection cannot run cmdlets")

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the connection. Must not raise."""


transports: Registry[type[Transport]] = Registry("transport", {
    "snapshot": "checker.transports.snapshot",
    "ldap": "checker.transports.ldap",
    "psrp": "checker.transports.psrp",
    "winrm": "checker.transports.psrp",
    "adsync_export": "checker.transports.export",
})

# Fully qualified names Ansible accepts for the same connection plugins.
CONNECTION_ALIASES = {
    "ansible.builtin.psrp": "psrp", "ansible.legacy.psrp": "psrp",
    "ansible.builtin.winrm": "winrm", "ansible.legacy.winrm": "winrm",
}


def canonical_connection(name: str) -> str:
    return CONNECTION_ALIASES.get(name, name)


def get_transport(name: str) -> type[Transport]:
    """The transport class for an `ansible_connection` value, imported on first use."""
    return transports.get(canonical_connection(name))


def known_transports() -> list[str]:
    return transports.names()


def connection_names() -> list[str]:
    """Every accepted `ansible_connection` value (registered names and Ansible's FQCNs)."""
    return sorted({*transports.names(), *CONNECTION_ALIASES})
