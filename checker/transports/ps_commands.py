"""Cmdlet requests (`PsCmdlet`) over an open runspace pool: commands, never script text.

Small requests share one pipeline, one statement each (PowerShell.AddStatement), and their
objects are told apart by type name (each request names its output type). If that shared
pipeline reports any error, each of its requests is sent again on its own pipeline, so an
error lands on the fact it belongs to. A request with a `result_size` (a large result) gets a
pipeline of its own and is streamed: objects are handed on as WSMan receives bring them, never
all held at once. Exchange cuts a result at -ResultSize and says so with a warning: that is
an error here, never a short list taken for the whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from checker.errors import CollectError
from checker.facts.model import FactKey
from checker.requests import PsCmdlet
from checker.wire.clixml import pick, type_names

Reply = tuple[FactKey, Any]


def batches(requests: Mapping[FactKey, PsCmdlet]) -> list[list[FactKey]]:
    """Small requests grouped so that no two in a group share an output type."""
    groups: list[list[FactKey]] = []
    for key, req in requests.items():
        if req.result_size is not None:
            continue
        for group in groups:
            if all(requests[k].output_type != req.output_type for k in group):
                group.append(key)
                break
        else:
            groups.append([key])
    return groups


def add_commands(ps: Any, calls: Sequence[PsCmdlet]) -> Any:
    """Each call as one statement of `ps` (pypsrp PowerShell): a command and its parameters."""
    for i, call in enumerate(calls):
        if i:
            ps.add_statement()
        ps.add_cmdlet(call.name)
        for name, value in call.arguments().items():
            ps.add_parameter(name, value)
    return ps


def route(output: Sequence[Any], calls: Mapping[FactKey, PsCmdlet]) -> dict[FactKey, list[Any]]:
    """Objects of a shared pipeline -> the request whose output type they are."""
    by_type = {req.output_type.lower(): key for key, req in calls.items()}
    out: dict[FactKey, list[Any]] = {key: [] for key in calls}
    for obj in output:
        names = [n.lower() for n in type_names(obj)]
        key = next((by_type[n] for n in names if n in by_type), None)
        if key is None:
            raise CollectError(f"unexpected object of type {(names or ['?'])[0]} in the reply")
        out[key].append(pick(obj, calls[key].properties))
    return out


def message(record: Any) -> str:
    """The text of a warning (pypsrp InformationalRecord) or error record."""
    return str(getattr(record, "message", None) or record)


def truncation(warnings: Sequence[str]) -> str | None:
    """Exchange's warning that a result stopped at -ResultSize, if any."""
    for text in warnings:
        if "resultsize" in text.replace("-", "").replace(" ", "").lower():
            return text
    return None


class Stream:
    """One request on its own pipeline, its objects handed on as they arrive."""

    def __init__(self, start: Callable[[PsCmdlet], Any], poll: Callable[[Any], bool],
                 finish: Callable[[Any], None], request: PsCmdlet) -> None:
        self._start, self._poll, self._finish, self.request = start, poll, finish, request
        self._ps: Any = None
        self.done = False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self._ps = self._start(self.request)
        wanted = self.request.properties
        running = True
        expected = self.request.output_type.lower()
        while running:
            running = self._poll(self._ps)
            batch, self._ps.output[:] = list(self._ps.output), []
            for obj in batch:
                if expected not in (n.lower() for n in type_names(obj)):
                    raise CollectError(f"{self.request.name} returned an object of type "
                                       f"{(type_names(obj) or ['?'])[0]}, not {expected}")
                yield pick(obj, wanted)
        self.done = True
        self._finish(self._ps)

    def close(self) -> Any:
        """The pipeline, if it was started and not read to the end (to stop it)."""
        return None if self.done else self._ps
