"""A WinRM/WSMan + PSRP endpoint on loopback that runs scripts through the lab engine.

Each WSMan shell is one psrpcore ServerRunspacePool; each Command is one ServerPipeline run
in a worker thread by `Engine`. The server counts runspace pools and pipelines so tests can
assert round trips. Adapted from the prototype in shared/reference/psrp-lab.md.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections import deque
from http.server import ThreadingHTTPServer
from typing import Any

import psrpcore
from psrpcore import PSRPPayload, StreamType
from psrpcore.types import PSInvocationState

from . import wsman as W
from .engine import Engine
from .http_auth import Handler
from .interp import Interpreter
from .values import PSError
from .wire import ErrorWriter, to_wire

log = logging.getLogger("lab.psrp")


class LabServer:
    def __init__(self, engine: Engine, host: str = "127.0.0.1", port: int = 0,
                 username: str = "user", password: str = "pass", auth: str = "basic",
                 max_receive_wait: float = 2.0, latency: float = 0.0, path: str = "/wsman",
                 configuration: str = "Microsoft.PowerShell",
                 language_mode: str = "FullLanguage") -> None:
        self.engine, self.username, self.password, self.auth = engine, username, password, auth
        # The URL path (IIS hosts Exchange's endpoint at /PowerShell/), the one session
        # configuration it serves, and its language mode (NoLanguage refuses script text).
        self.path, self.configuration, self.language_mode = path, configuration, language_mode
        self.max_receive_wait, self.latency = max_receive_wait, latency
        self.shells: dict[str, W.Shell] = {}
        self.cond = threading.Condition()
        self.stopping = False
        self.pools_opened = self.pipelines_run = self.auth_failures = self.scripts_received = 0
        self._ntlm_file: str | None = None
        if auth == "negotiate":  # pyspnego's NTLM acceptor reads this process-wide variable
            fd, self._ntlm_file = tempfile.mkstemp(prefix="lab-psrp-ntlm-")
            domain, _, user = username.rpartition("\\")
            with os.fdopen(fd, "w") as f:
                f.write(f"{domain}:{user}:{password}\n")
            os.environ["NTLM_USER_FILE"] = self._ntlm_file
        handler = type("LabHandler", (Handler,), {"lab": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self._thread: threading.Thread | None = None

    def start(self) -> LabServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._ntlm_file:
            os.unlink(self._ntlm_file)
            self._ntlm_file = None

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def serve_until_terminated(self, stats: bool = False) -> None:
        """`python -m ... serve`: print LISTENING <port>, serve until SIGTERM or ^C."""
        import signal

        signal.signal(signal.SIGTERM,
                      lambda *_: threading.Thread(target=self.httpd.shutdown).start())
        print(f"LISTENING {self.port}", flush=True)
        try:
            self.httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self.stopping = True
            self.httpd.server_close()
            if stats:
                print("STATS " + " ".join(f"{k}={v}" for k, v in self.stats().items()),
                      flush=True)

    def stats(self) -> dict[str, int]:
        return {"pools": self.pools_opened, "pipelines": self.pipelines_run,
                "auth_failures": self.auth_failures, "scripts": self.scripts_received}

    # ------------------------------------------------------------------ WSMan dispatch
    def handle(self, body: bytes, client_ip: str) -> tuple[int, bytes]:
        env = ET.fromstring(body)
        hdr = env.find("s:Header", W.NS)
        assert hdr is not None
        action = hdr.findtext("wsa:Action", namespaces=W.NS) or ""
        msg_id = hdr.findtext("wsa:MessageID", namespaces=W.NS) or ""
        ruri = hdr.findtext("wsman:ResourceURI", namespaces=W.NS) or ""
        sel = {s.get("Name"): s.text for s in hdr.findall("wsman:SelectorSet/wsman:Selector", W.NS)}
        max_env = int(hdr.findtext("wsman:MaxEnvelopeSize", namespaces=W.NS) or 153600)
        m = re.match(r"PT([\d.]+)S", hdr.findtext("wsman:OperationTimeout", namespaces=W.NS) or "")
        op_timeout = float(m.group(1)) if m else 20.0
        req = env.find("s:Body", W.NS)
        name = action.rsplit("/", 1)[-1]
        if self.latency:
            time.sleep(self.latency)
        try:
            out = self._dispatch(name, req, sel, ruri, client_ip, op_timeout, max_env, action)
            return 200, W.envelope(action + "Response", msg_id, out)
        except W.WSManFault as f:
            return 500, W.envelope(W.A_FAULT, msg_id, W.fault_xml(f))

    def _dispatch(self, name: str, req: Any, sel: dict[Any, Any], ruri: str, client_ip: str,
                  op_timeout: float, max_env: int, action: str) -> str:
        if name == "Create":
            return self._create(req, ruri, client_ip)
        shell = self._shell(sel)
        if name == "Delete":
            return self._delete(shell)
        if name == "Command":
            return self._command(req, shell)
        if name == "Send":
            return self._send(req, shell)
        if name == "Receive":
            return self._receive(req, shell, op_timeout, max_env)
        if name == "Signal":
            return self._signal(req, shell)
        if name == "Get":
            return shell.xml()
        raise W.WSManFault(W.ACTION_NOT_SUPPORTED, f"Action {action} is not supported",
                           "wsa:ActionNotSupported")

    def _shell(self, sel: dict[Any, Any]) -> W.Shell:
        sid = (sel.get("ShellId") or "").upper()
        shell = self.shells.get(sid)
        if shell is None or shell.closed:
            raise W.WSManFault(W.UNEXPECTED_SELECTORS, f"The shell {sid} was not found.",
                               "w:InvalidSelectors")
        return shell

    def _create(self, req: Any, ruri: str, client_ip: str) -> str:
        if ruri.rsplit("/", 1)[-1].lower() != self.configuration.lower():
            raise W.WSManFault(W.CONFIGURATION_NOT_FOUND, "The WS-Management service cannot "
                               "process the request. Cannot find the "
                               f"{ruri.rsplit('/', 1)[-1]} session configuration in the WSMan: "
                               "drive on the lab computer.", "w:InvalidResourceURI")
        shell_el = req.find("rsp:Shell", W.NS)
        sid = (shell_el.get("ShellId") or str(uuid.uuid4())).upper()
        shell = W.Shell(sid, ruri, self.username, client_ip)
        creation = shell_el.find("pwsh:creationXml", W.NS)
        with self.cond:
            self.shells[sid] = shell
            self.pools_opened += 1
            self._feed(shell, base64.b64decode(creation.text or ""), StreamType.default, None)
        return ('<wst:ResourceCreated><wsa:Address>http://127.0.0.1/wsman</wsa:Address>'
                '<wsa:ReferenceParameters><wsman:ResourceURI>' + ruri + '</wsman:ResourceURI>'
                '<wsman:SelectorSet><wsman:Selector Name="ShellId">' + sid +
                '</wsman:Selector></wsman:SelectorSet></wsa:ReferenceParameters>'
                '</wst:ResourceCreated>' + shell.xml())

    def _delete(self, shell: W.Shell) -> str:
        with self.cond:
            shell.closed = True
            self.shells.pop(shell.id, None)
            self.cond.notify_all()
        return ""

    def _command(self, req: Any, shell: W.Shell) -> str:
        cl = req.find("rsp:CommandLine", W.NS)
        cid = (cl.get("CommandId") or str(uuid.uuid4())).upper()
        pid = uuid.UUID(cid)
        with self.cond:
            shell.pipes[pid] = W.Pipe(shell.pool, pid)
            shell.queues[pid] = deque()
            for arg in cl.findall("rsp:Arguments", W.NS):
                self._feed(shell, base64.b64decode(arg.text or ""), StreamType.default, pid)
        return f"<rsp:CommandResponse><rsp:CommandId>{cid}</rsp:CommandId></rsp:CommandResponse>"

    def _send(self, req: Any, shell: W.Shell) -> str:
        with self.cond:
            for st in req.findall("rsp:Send/rsp:Stream", W.NS):
                cid = st.get("CommandId")
                stype = StreamType.prompt_response if st.get("Name") == "pr" else StreamType.default
                self._feed(shell, base64.b64decode(st.text or ""), stype,
                           uuid.UUID(cid) if cid else None)
        return "<rsp:SendResponse/>"

    def _signal(self, req: Any, shell: W.Shell) -> str:
        sig = req.find("rsp:Signal", W.NS)
        code = sig.findtext("rsp:Code", namespaces=W.NS) or ""
        pid = uuid.UUID(sig.get("CommandId"))
        with self.cond:
            pipe = shell.pipes.get(pid)
            if pipe is not None:
                pipe.stop_requested.set()
                if pipe.ps.state == PSInvocationState.Running:
                    pipe.ps.stop()
                pipe.done = True
                if code.endswith("Terminate"):
                    pipe.ps.close()
                    shell.pipes.pop(pid, None)
                    shell.queues.pop(pid, None)
                self._flush(shell)
        return "<rsp:SignalResponse/>"

    def _receive(self, req: Any, shell: W.Shell, op_timeout: float, max_env: int) -> str:
        cid = req.find("rsp:Receive/rsp:DesiredStream", W.NS).get("CommandId")
        pid = uuid.UUID(cid) if cid else None
        deadline = time.monotonic() + min(op_timeout, self.max_receive_wait)
        with self.cond:
            while True:
                if shell.closed or self.stopping:
                    raise W.WSManFault(W.OPERATION_ABORTED, "The I/O operation has been aborted.")
                q = shell.queues.get(pid)
                pipe = shell.pipes.get(pid) if pid else None
                if q is None:
                    raise W.WSManFault(W.UNEXPECTED_SELECTORS, f"Command {cid} not found",
                                       "w:InvalidSelectors")
                if q or (pipe and pipe.done):
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise W.WSManFault(W.TIMED_OUT, "The WS-Management service cannot complete "
                                       "the operation within the time specified in "
                                       "OperationTimeout.", "w:TimedOut")
                self.cond.wait(remaining)
            streams: list[str] = []
            budget = max_env - 2048  # never exceed the client's MaxEnvelopeSize
            attr = f' CommandId="{cid}"' if cid else ""
            while q and (not streams or budget >= len(q[0]) * 4 // 3 + 100):
                b64 = base64.b64encode(q.popleft()).decode()
                budget -= len(b64) + 100
                streams.append(f'<rsp:Stream Name="stdout"{attr}>{b64}</rsp:Stream>')
            state = ""
            if pipe is not None:
                done = W.DONE if pipe.done and not q else W.RUNNING
                state = f'<rsp:CommandState CommandId="{cid}" State="{done}"/>'
        return f"<rsp:ReceiveResponse>{''.join(streams)}{state}</rsp:ReceiveResponse>"

    # ------------------------------------------------------------------ PSRP
    def _feed(self, shell: W.Shell, data: bytes, stype: StreamType, pid: Any) -> None:
        """Feed PSRP fragments to the pool and react to its events. Caller holds self.cond."""
        pool = shell.pool
        pool.receive_data(PSRPPayload(data, stype, pid))
        while (ev := pool.next_event()) is not None:
            if isinstance(ev, psrpcore.CreatePipelineEvent):
                pipe = shell.pipes[ev.pipeline_id]
                pipe.meta = ev.pipeline
                if pipe.meta.no_input:
                    self._start(shell, pipe)
            elif isinstance(ev, psrpcore.PipelineInputEvent):
                shell.pipes[ev.pipeline_id].input.append(ev.data)
            elif isinstance(ev, psrpcore.EndOfPipelineInputEvent):
                self._start(shell, shell.pipes[ev.pipeline_id])
            elif isinstance(ev, (psrpcore.SetMaxRunspacesEvent, psrpcore.SetMinRunspacesEvent,
                                 psrpcore.ResetRunspaceStateEvent)):
                pool.runspace_availability_response(W.call_id(ev), True)
            elif isinstance(ev, psrpcore.GetAvailableRunspacesEvent):
                pool.runspace_availability_response(W.call_id(ev), max(pool.max_runspaces, 1))
        self._flush(shell)

    def _flush(self, shell: W.Shell) -> None:
        while (payload := shell.pool.data_to_send(32_768)) is not None:
            q = shell.queues.get(payload.pipeline_id)
            if q is not None:
                q.append(payload.data)
        self.cond.notify_all()

    def _start(self, shell: W.Shell, pipe: W.Pipe) -> None:
        self.pipelines_run += 1
        pipe.ps.start()
        threading.Thread(target=self._exec, args=(shell, pipe), daemon=True).start()

    def _exec(self, shell: W.Shell, pipe: W.Pipe) -> None:
        writer = ErrorWriter(self, shell, pipe)
        error: PSError | None = None
        try:
            for obj in self._invoke(pipe, writer):
                writer.output(to_wire(obj))
        except writer.Stopped:
            pass
        except PSError as e:
            error = e
        with self.cond:
            if pipe.ps.state == PSInvocationState.Running:
                if error is None:
                    pipe.ps.complete()
                else:
                    pipe.ps._change_state(PSInvocationState.Failed, error=writer.record(error))
            pipe.done = True
            self._flush(shell)

    def _invoke(self, pipe: W.Pipe, writer: ErrorWriter) -> list[Any]:
        """Each statement (commands up to end_of_statement) is its own pipeline; their
        outputs share the one output stream, as PowerShell.AddStatement() does."""
        interp = Interpreter(self.engine, writer)
        out: list[Any] = []
        items: list[Any] = list(pipe.input)
        for cmd in pipe.meta.commands:
            items = self._run_command(interp, cmd, items)
            if cmd.end_of_statement:
                out += items
                items = []
        return out + items

    def _run_command(self, interp: Interpreter, cmd: Any, items: list[Any]) -> list[Any]:
        if cmd.is_script:
            self.scripts_received += 1
            if self.language_mode.lower() == "nolanguage":
                raise scripts_not_allowed(str(cmd.command_text))
            return interp.run(str(cmd.command_text), items)
        params = {str(k).lower(): v for k, v in cmd.parameters if k is not None}
        args = [v for k, v in cmd.parameters if k is None]
        return self.engine.call(interp, str(cmd.command_text), args, params, items,
                                interp.global_scope)


def scripts_not_allowed(text: str) -> PSError:
    """What a NoLanguage runspace says to script text (PowerShell's Command.cs, message from
    ParserStrings.ScriptsNotAllowed, as documented in about_Language_Modes)."""
    return PSError("The syntax is not supported by this runspace. This might be because it "
                   "is in no-language mode.", "ScriptsNotAllowed", "ParserError",
                   "System.Management.Automation.ParseException", text[:50], terminating=True)
