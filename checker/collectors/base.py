"""The collector interface: a collector states what it needs; the engine runs it.

A collector is a registered class. Its class attributes name the transports that can serve
it and the model of what it returns; `request(params)` builds the transport request (an
`LdapRequest` or a `PsSnippet`); `process(raw, params)` is pure and turns the transport's raw
reply into a typed record. Collectors never do I/O.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from checker.facts.records import from_json, to_json
from checker.registry import Registry


class Collector(ABC):
    """Base class of every collector. Subclasses register with `@collectors.register(name)`.

    Example rule use::

        facts:
          connectors: adsync.connectors
    """

    registry_name: ClassVar[str]
    transports: ClassVar[tuple[str, ...]]  # connection kinds that can gather it
    model: ClassVar[Any]  # record class, or list[record class]
    # The class of what `request()` returns (LdapRequest, PsSnippet, PsCmdlet): the plan asks
    # each host's transport whether its endpoint can take it, before any connection.
    request_type: ClassVar[type | None] = None
    params_schema: ClassVar[Mapping[str, Any]] = {"type": "object", "additionalProperties": False}
    description: ClassVar[str] = ""
    # A request built from other hosts' facts: params key (holding an inventory pattern) ->
    # the collector whose facts on those hosts `select()` reads. Gathered after them
    # (checker/gather_inputs.py).
    inputs: ClassVar[Mapping[str, str]] = {}

    def input_facts(self, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(inventory pattern, collector) of every input this fact's request is built from."""
        return [(str(params[k]), name) for k, name in self.inputs.items() if params.get(k)]

    def select(self, params: Mapping[str, Any], inputs: Mapping[str, Mapping[str, Any]]
               ) -> dict[str, Any]:
        """Pure: the params `request()` needs, from the inputs' values ({params key: {host:
        value}}, the hosts whose fact was read)."""
        return {}

    @abstractmethod
    def request(self, params: Mapping[str, Any]) -> Any:
        """The transport request for these params."""

    @abstractmethod
    def process(self, raw: Any, params: Mapping[str, Any]) -> Any:
        """Pure: the transport's raw reply -> a typed record. Raise CollectError when the
        reply is malformed or says the bind account could not read what was asked."""

    def dump(self, value: Any) -> Any:
        """The JSON form stored in snapshots."""
        return to_json(value)

    def load(self, data: Any) -> Any:
        """Rebuild the typed record from its snapshot JSON."""
        return from_json(self.model, data)


collectors: Registry[type[Collector]] = Registry("collector")

_MODULES = ("checker.collectors.ad", "checker.collectors.ad_recipients",
            "checker.collectors.adsync", "checker.collectors.adsync_runs",
            "checker.collectors.adsync_space",
            "checker.collectors.exchange")


def load_all() -> Registry[type[Collector]]:
    """Import the collector modules (lazily: the CLI's --help must not pay for them)."""
    import importlib

    for name in _MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
    return collectors
