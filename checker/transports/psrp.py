"""PowerShell remoting (WinRM/WSMan + PSRP, pypsrp 0.9) transport.

One runspace pool and one pipeline per host per run: `collect()` gets all of a host's fact
requests, batches their snippets into one script (`ps_batch`) and reads one JSON document
back. A snippet's own failure is an error on that fact only; losing the host (refused,
bad credentials, timeout, a reply that is not the document) is an error on every fact.

Host variables (Ansible names)::

    ansible_connection: psrp
    ansible_host: aadc01.contoso.com
    ansible_user: CONTOSO\\svc-checker
    ansible_password: "{{ lookup('env', 'AADC_PASSWORD') }}"
    ansible_psrp_auth: negotiate          # basic | ntlm | negotiate | kerberos | credssp
    ansible_psrp_protocol: http           # http (5985) | https (5986)
    ansible_psrp_message_encryption: auto # auto | always | never
    ansible_psrp_configuration_name: Microsoft.Exchange   # Exchange, or a JEA endpoint
    ansible_psrp_path: PowerShell/        # Exchange's IIS virtual directory (port 80/443)

Two request types share the one pool: PowerShell scripts (`PsSnippet`, batched into one
script) and cmdlet calls (`PsCmdlet`, sent as commands: `ps_commands`). A NoLanguage endpoint
(Microsoft.Exchange, or `checker_psrp_language_mode: NoLanguage`) never receives a script.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from checker.errors import CollectError, TransportError
from checker.facts.model import FactKey
from checker.requests import PsCmdlet, PsSnippet
from checker.transports import ps_batch, ps_commands
from checker.transports.base import Transport, transports
from checker.transports.psrp_errors import (
    ErrorMapper,
    deserialize_typed_collections,
    resolve_environment_once,
)
from checker.transports.psrp_vars import (
    PSRP_VARS,
    WINRM_VARS,
    check_language_mode,
    check_psrp_vars,
    configuration_name,
    insecure,
    psrp_settings,
    takes_scripts,
    wsman_kwargs,
)
from checker.transports.variables import VarTable
from checker.wire.clixml import plain

log = logging.getLogger(__name__)


@transports.register("psrp")
class PsrpTransport(Transport):
    runs_scripts = True
    variables = PSRP_VARS

    def __init__(self, host: str, hostvars: Mapping[str, Any], timeout: float) -> None:
        super().__init__(host, hostvars, timeout)
        self._pool: Any = None
        self._wsman: Any = None
        self._kwargs = wsman_kwargs(host, hostvars, timeout, self.table())
        self._stream_deadline = 0.0

    @classmethod
    def check_vars(cls, hostvars: Mapping[str, Any]) -> Sequence[str]:
        return check_psrp_vars(hostvars, cls.table()) + check_language_mode(hostvars)

    @classmethod
    def table(cls) -> VarTable:
        return cls.variables or PSRP_VARS

    @classmethod
    def insecure_settings(cls, hostvars: Mapping[str, Any]) -> Sequence[str]:
        return insecure(psrp_settings(cls.table(), hostvars)[0], cls.table())

    @classmethod
    def refuses(cls, hostvars: Mapping[str, Any], request_type: type | None) -> str | None:
        if request_type is PsSnippet and not takes_scripts(hostvars, cls.table()):
            name = configuration_name(hostvars, cls.table())
            return (f"the {name} endpoint is in NoLanguage mode: it "
                    "runs commands with parameters, never a PowerShell script")
        return None

    @classmethod
    def preload(cls) -> None:
        import pypsrp.powershell
        import pypsrp.wsman  # noqa: F401

    def target(self) -> str:
        kw = self._kwargs
        scheme = "https" if kw["ssl"] else "http"
        return f"{scheme}://{kw['server']}:{kw['port']}/{kw['path']}"

    def open(self) -> None:
        from pypsrp.powershell import RunspacePool
        from pypsrp.wsman import WSMan

        with self._errors("connecting"):
            self._wsman = WSMan(**self._kwargs)
            resolve_environment_once(self._wsman)
            pool = RunspacePool(self._wsman,
                                configuration_name=configuration_name(self.vars, self.table()))
            deserialize_typed_collections(pool)
            pool.open()
            self._pool = pool

    def collect(self, requests: Mapping[FactKey, Any]) -> Iterator[tuple[FactKey, Any]]:
        snippets = {k: r for k, r in requests.items() if isinstance(r, PsSnippet)}
        cmdlets = {k: r for k, r in requests.items() if isinstance(r, PsCmdlet)}
        for key in requests.keys() - snippets.keys() - cmdlets.keys():
            yield key, CollectError(f"{key.collector}: the psrp transport runs PowerShell only")
        yield from self._scripts(snippets)
        yield from self._commands(cmdlets)

    def _scripts(self, requests: Mapping[FactKey, PsSnippet]) -> Iterator[tuple[FactKey, Any]]:
        if not requests:
            return
        refused = self.refuses(self.vars, PsSnippet)
        if refused:  # the plan refuses this first; never send script text to such an endpoint
            yield from ((k, CollectError(refused)) for k in requests)
            return
        keys = list(requests)
        try:
            replies = self._run(ps_batch.build_script([requests[k] for k in keys]), len(keys))
        except CollectError as e:
            yield from ((k, e) for k in keys)
            return
        for key, reply in zip(keys, replies, strict=True):
            yield key, (CollectError(reply.error) if reply.error is not None else reply.value)

    def _commands(self, requests: Mapping[FactKey, PsCmdlet]) -> Iterator[tuple[FactKey, Any]]:
        for group in ps_commands.batches(requests):
            yield from self._shared({k: requests[k] for k in group})
        for key, req in requests.items():
            if req.result_size is not None:
                stream = ps_commands.Stream(self._start, self._poll, self._finish, req)
                yield key, stream
                self._abandon(stream.close())

    def _shared(self, calls: Mapping[FactKey, PsCmdlet]) -> Iterator[tuple[FactKey, Any]]:
        """Several small requests in one pipeline; on any error, each on its own."""
        ps = self._pipeline(list(calls.values()), "running commands")
        errors = self._failure(ps)
        if errors is None:
            try:
                yield from ps_commands.route(ps.output, calls).items()
                return
            except CollectError as e:
                errors = str(e)
        if len(calls) == 1:
            yield from ((k, CollectError(errors)) for k in calls)
            return
        for key, call in calls.items():
            yield from self._shared({key: call})

    def _pipeline(self, calls: Sequence[PsCmdlet], doing: str) -> Any:
        ps = self._start_calls(calls, doing)
        with self._errors(doing):
            self._wait(ps)
        return ps

    def _start_calls(self, calls: Sequence[PsCmdlet], doing: str) -> Any:
        return self._begin(lambda p: ps_commands.add_commands(p, calls), doing)

    def _begin(self, fill: Callable[[Any], Any], doing: str) -> Any:
        """A new pipeline on the open pool, filled by `fill` (script or commands), started."""
        from pypsrp.powershell import PowerShell

        if self._pool is None:
            raise TransportError(f"{self.target()}: not connected")
        ps = PowerShell(self._pool)
        fill(ps)
        with self._errors(doing):
            ps.begin_invoke()
        return ps

    def _start(self, call: PsCmdlet) -> Any:
        self._stream_deadline = time.monotonic() + self.timeout
        return self._start_calls([call], f"running {call.name}")

    def _poll(self, ps: Any) -> bool:
        """One WSMan receive; False once the pipeline has finished. A stream gets the same
        budget as any pipeline (--timeout): past it the pipeline is stopped, an error."""
        from pypsrp.powershell import PSInvocationState

        if ps.state != PSInvocationState.RUNNING:
            return False
        if time.monotonic() > self._stream_deadline:
            self._stop(ps)
            raise TransportError(f"{self.target()}: timed out after {self.timeout:g}s "
                                 "streaming the cmdlet's output")
        with self._errors("receiving output"):
            ps.poll_invoke(timeout=int(self._kwargs["operation_timeout"]))
        return ps.state == PSInvocationState.RUNNING or bool(ps.output)

    def _finish(self, ps: Any) -> None:
        failure = self._failure(ps)
        if failure is not None:
            raise CollectError(failure)

    def _failure(self, ps: Any) -> str | None:
        """Why a finished pipeline's result cannot be used, or None."""
        from pypsrp.powershell import PSInvocationState

        errors = [self._scrub(str(e)) for e in ps.streams.error]
        if ps.state == PSInvocationState.FAILED or errors:
            return "PowerShell failed: " + ("; ".join(errors) or "no detail")
        cut = ps_commands.truncation([ps_commands.message(w) for w in ps.streams.warning])
        return f"the result was cut short: {cut}" if cut else None

    def _abandon(self, ps: Any) -> None:
        from pypsrp.powershell import PSInvocationState

        if ps is not None and ps.state == PSInvocationState.RUNNING:
            self._stop(ps)

    def _invoke(self, script: str, doing: str) -> tuple[Any, list[str]]:
        """One pipeline on the open pool: run `script`, wait, and read the error stream."""
        ps = self._begin(lambda p: p.add_script(script), doing)
        with self._errors(doing):
            self._wait(ps)
        return ps, [self._scrub(str(e)) for e in ps.streams.error]

    def _run(self, script: str, count: int) -> list[ps_batch.FactReply]:
        from pypsrp.powershell import PSInvocationState

        ps, errors = self._invoke(script, "running the batch")
        if ps.state == PSInvocationState.FAILED or not ps.output:
            raise CollectError("PowerShell failed: " + ("; ".join(errors) or "no output"))
        replies = ps_batch.parse_document(ps.output, count)
        if errors:  # pypsrp 0.9 sets had_errors only for terminating errors: read the stream
            stray = "PowerShell reported errors outside any fact: " + "; ".join(errors)
            replies = [r if r.error else ps_batch.FactReply(error=stray) for r in replies]
        return replies

    def run_script(self, script: str) -> str:
        """One remediation task: its own pipeline on the open pool (only with --remediate)."""
        from pypsrp.powershell import PSInvocationState

        refused = self.refuses(self.vars, PsSnippet)
        if refused:
            raise CollectError(refused)
        ps, errors = self._invoke(script, "running a remediation script")
        if ps.state == PSInvocationState.FAILED or errors:
            raise CollectError("the script failed: " + ("; ".join(errors) or "no detail"))
        return "\n".join(self._scrub(str(o)) for o in ps.output)

    def run_command(self, name: str, parameters: Mapping[str, Any]) -> str:
        """One remediation cmdlet, sent as a command (works on NoLanguage endpoints too)."""
        call = PsCmdlet(name, "", (), tuple(parameters.items()))
        ps = self._pipeline([call], f"running {name}")
        failure = self._failure(ps)
        if failure is not None:
            raise CollectError(failure)
        return "\n".join(self._scrub(str(plain(o))) for o in ps.output)

    def _wait(self, ps: Any) -> None:
        from pypsrp.powershell import PSInvocationState

        deadline = time.monotonic() + self.timeout
        op_timeout = int(self._kwargs["operation_timeout"])
        while ps.state == PSInvocationState.RUNNING:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._stop(ps)
                raise TransportError(f"{self.target()}: timed out after {self.timeout:g}s "
                                     "waiting for the PowerShell pipeline")
            ps.poll_invoke(timeout=max(1, min(int(remaining + 0.999), op_timeout)))

    def _stop(self, ps: Any) -> None:
        try:
            ps.stop()
        except Exception as e:  # best effort: the host is already lost
            log.debug("stopping the pipeline on %s failed: %s", self.host, type(e).__name__)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                pool.close()
            except Exception as e:  # close must not raise
                log.debug("closing the runspace pool on %s failed: %s", self.host, type(e).__name__)

    def _scrub(self, text: str) -> str:
        password = self._kwargs["password"]
        return text.replace(str(password), "********") if password else text

    def _errors(self, doing: str) -> ErrorMapper:
        return ErrorMapper(self, doing)


@transports.register("winrm")
class WinrmTransport(PsrpTransport):
    """`ansible_connection: winrm`: the `ansible_winrm_*` variables, the same WSMan/PSRP
    client (pypsrp) and the same collectors as psrp."""

    variables = WINRM_VARS
    serves_as = "psrp"
