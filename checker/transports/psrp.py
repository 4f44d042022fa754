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
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from checker.errors import CollectError, TransportError
from checker.facts.model import FactKey
from checker.requests import PsSnippet
from checker.transports import ps_batch
from checker.transports.base import Transport, transports
from checker.transports.psrp_vars import (
    PSRP_VARS,
    WINRM_VARS,
    check_psrp_vars,
    configuration_name,
    wsman_kwargs,
)
from checker.transports.variables import VarTable

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

    @classmethod
    def check_vars(cls, hostvars: Mapping[str, Any]) -> Sequence[str]:
        return check_psrp_vars(hostvars, cls.table())

    @classmethod
    def table(cls) -> VarTable:
        return cls.variables or PSRP_VARS

    def target(self) -> str:
        kw = self._kwargs
        scheme = "https" if kw["ssl"] else "http"
        return f"{scheme}://{kw['server']}:{kw['port']}/{kw['path']}"

    def open(self) -> None:
        from pypsrp.powershell import RunspacePool
        from pypsrp.wsman import WSMan

        with self._errors("connecting"):
            self._wsman = WSMan(**self._kwargs)
            _resolve_environment_once(self._wsman)
            pool = RunspacePool(self._wsman,
                                configuration_name=configuration_name(self.vars, self.table()))
            pool.open()
            self._pool = pool

    def collect(self, requests: Mapping[FactKey, Any]) -> Iterator[tuple[FactKey, Any]]:
        keys = [k for k, r in requests.items() if isinstance(r, PsSnippet)]
        for key, req in requests.items():
            if not isinstance(req, PsSnippet):
                yield key, CollectError(f"{key.collector}: the psrp transport runs PowerShell only")
        if not keys:
            return
        script = ps_batch.build_script([requests[k] for k in keys])
        try:
            replies = self._run(script, len(keys))
        except CollectError as e:
            for key in keys:
                yield key, e
            return
        for key, reply in zip(keys, replies, strict=True):
            yield key, (CollectError(reply.error) if reply.error is not None else reply.value)

    def _invoke(self, script: str, doing: str) -> tuple[Any, list[str]]:
        """One pipeline on the open pool: run `script`, wait, and read the error stream."""
        from pypsrp.powershell import PowerShell

        if self._pool is None:
            raise TransportError(f"{self.target()}: not connected")
        ps = PowerShell(self._pool)
        ps.add_script(script)
        with self._errors(doing):
            ps.begin_invoke()
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

        ps, errors = self._invoke(script, "running a remediation script")
        if ps.state == PSInvocationState.FAILED or errors:
            raise CollectError("the script failed: " + ("; ".join(errors) or "no detail"))
        return "\n".join(self._scrub(str(o)) for o in ps.output)

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

    def _errors(self, doing: str) -> _ErrorMapper:
        return _ErrorMapper(self, doing)


@transports.register("winrm")
class WinrmTransport(PsrpTransport):
    """`ansible_connection: winrm`: the `ansible_winrm_*` variables, the same WSMan/PSRP
    client (pypsrp) and the same collectors as psrp."""

    variables = WINRM_VARS
    serves_as = "psrp"


def _resolve_environment_once(wsman: Any) -> None:
    """pypsrp 0.9 builds its requests session with trust_env on, and requests then re-reads
    the proxy variables of os.environ on every WSMan message (13% of the client's CPU per
    host). The session already holds the resolved proxies and CA bundle: build it now and
    stop the per-message lookups. Skipped quietly if pypsrp's internals differ."""
    transport = getattr(wsman, "transport", None)
    build = getattr(transport, "_build_session", None)
    if transport is None or build is None or getattr(transport, "session", None) is not None:
        return
    transport.session = build()
    transport.session.trust_env = False


class _ErrorMapper:
    """Turns pypsrp/requests/spnego exceptions into a TransportError with a short message."""

    def __init__(self, transport: PsrpTransport, doing: str) -> None:
        self.transport, self.doing = transport, doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is None or isinstance(exc, CollectError) or not isinstance(exc, Exception):
            return
        reason = self.transport._scrub(describe(exc))
        raise TransportError(f"{self.transport.target()}: {self.doing} failed: {reason}") from None


def describe(exc: Exception) -> str:
    """A one-line reason for a pypsrp/requests/spnego exception."""
    import requests
    from pypsrp.exceptions import AuthenticationError, WinRMTransportError, WSManFaultError

    if isinstance(exc, AuthenticationError):
        return "authentication failed (wrong user name or password?)"
    if isinstance(exc, WinRMTransportError):
        if exc.code == 401:
            return "authentication failed (HTTP 401)"
        return f"HTTP {exc.code} from the WinRM service"
    if isinstance(exc, WSManFaultError):
        return f"WSMan fault {exc.code}: {exc.reason or exc.message}".strip()
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "timed out waiting for a reply"
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc)
        return "connection refused" if "refused" in text.lower() else "connection failed"
    return f"{type(exc).__name__}: {str(exc)[:300]}"
