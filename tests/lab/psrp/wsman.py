"""WS-Management pieces of the lab endpoint: SOAP envelopes, faults, and shell state."""

from __future__ import annotations

import threading
import uuid
from collections import deque
from typing import Any
from xml.sax.saxutils import escape

import psrpcore

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "wsman": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "wst": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "pwsh": "http://schemas.microsoft.com/powershell",
}
A_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
A_FAULT = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
DONE = A_SHELL + "CommandState/Done"
RUNNING = A_SHELL + "CommandState/Running"
TIMED_OUT = 0x80338029  # pypsrp's poll_invoke ignores it and polls again
UNEXPECTED_SELECTORS = 0x8033805B  # shell not found
OPERATION_ABORTED = 0x3E3
ACTION_NOT_SUPPORTED = 0x803381A6
CONFIGURATION_NOT_FOUND = 0x80338000  # unverified: the lab's code for an unknown configuration


class WSManFault(Exception):
    def __init__(self, code: int, reason: str, subcode: str = "w:InternalError") -> None:
        super().__init__(reason)
        self.code, self.reason, self.subcode = code, reason, subcode


def _prop(event: Any, name: str) -> Any:
    """Case-insensitive property of the message behind a psrpcore event."""
    obj = event._ps_object
    props = obj.PSObject.extended_properties + obj.PSObject.adapted_properties
    return next(p.get_value(obj) for p in props if p.name.lower() == name.lower())


def call_id(event: Any) -> int:
    """pypsrp 0.9 sends 'CI' where psrpcore 0.3 reads 'ci' case-sensitively."""
    return int(_prop(event, "ci"))


class Pool(psrpcore.ServerRunspacePool):
    """Reads runspace-availability requests case-insensitively (real PowerShell does)."""

    def _remember(self, event: Any, handler: Any = None) -> None:
        self._ci_events[call_id(event)] = event
        self._ci_handlers[call_id(event)] = handler

    def _process_SetMaxRunspaces(self, event: Any) -> None:
        self._remember(event, lambda e: setattr(self, "_max_runspaces", _prop(e, "MaxRunspaces")))

    def _process_SetMinRunspaces(self, event: Any) -> None:
        self._remember(event, lambda e: setattr(self, "_min_runspaces", _prop(e, "MinRunspaces")))

    _process_GetAvailableRunspaces = _process_ResetRunspaceState = _remember


class Pipe:
    def __init__(self, pool: psrpcore.ServerRunspacePool, pid: uuid.UUID) -> None:
        self.ps = psrpcore.ServerPipeline(pool, pid)
        self.meta: Any = None
        self.input: list[Any] = []
        self.done = False
        self.stop_requested = threading.Event()


class Shell:
    def __init__(self, shell_id: str, resource_uri: str, owner: str, client_ip: str) -> None:
        self.id, self.resource_uri, self.owner, self.client_ip = (
            shell_id, resource_uri, owner, client_ip)
        self.pool = Pool()
        self.pipes: dict[uuid.UUID, Pipe] = {}
        self.queues: dict[uuid.UUID | None, deque[bytes]] = {None: deque()}
        self.closed = False

    def xml(self) -> str:
        return (f"<rsp:Shell><rsp:ShellId>{self.id}</rsp:ShellId><rsp:Name>lab</rsp:Name>"
                f"<rsp:ResourceUri>{escape(self.resource_uri)}</rsp:ResourceUri>"
                f"<rsp:Owner>{escape(self.owner)}</rsp:Owner>"
                f"<rsp:ClientIP>{self.client_ip}</rsp:ClientIP><rsp:ProcessId>4242</rsp:ProcessId>"
                "<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut>"
                "<rsp:InputStreams>stdin pr</rsp:InputStreams>"
                "<rsp:OutputStreams>stdout</rsp:OutputStreams>"
                "<rsp:Locale>en-US</rsp:Locale><rsp:DataLocale>en-US</rsp:DataLocale>"
                "<rsp:State>Connected</rsp:State></rsp:Shell>")


def envelope(action: str, relates_to: str, body: str) -> bytes:
    return (
        '<s:Envelope xmlns:s="{s}" xmlns:wsa="{wsa}" xmlns:wsman="{wsman}" xmlns:rsp="{rsp}" '
        'xmlns:wst="{wst}" xmlns:pwsh="{pwsh}" xml:lang="en-US"><s:Header>'
        "<wsa:Action>{action}</wsa:Action><wsa:MessageID>uuid:{mid}</wsa:MessageID>"
        "<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>"
        "<wsa:RelatesTo>{rel}</wsa:RelatesTo></s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).format(action=action, mid=str(uuid.uuid4()).upper(), rel=escape(relates_to), body=body,
             **NS).encode()


def fault_xml(f: WSManFault) -> str:
    return (
        '<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value xmlns:w="{wsman}">'
        '{sub}</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">{r}</s:Text>'
        '</s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/'
        'wsmanfault" Code="{c}" Machine="lab"><f:Message>{r}</f:Message></f:WSManFault>'
        "</s:Detail></s:Fault>"
    ).format(wsman=NS["wsman"], sub=f.subcode, r=escape(f.reason), c=f.code)
