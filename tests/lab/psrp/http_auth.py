"""HTTP side of the lab endpoint: Basic, or NTLM/Negotiate with WinRM message encryption."""

from __future__ import annotations

import base64
import logging
import struct
from http.server import BaseHTTPRequestHandler
from typing import Any

log = logging.getLogger("lab.psrp")
ENCRYPTED = "application/HTTP-SPNEGO-session-encrypted"
MULTIPART = f'multipart/encrypted;protocol="{ENCRYPTED}";boundary="Encrypted Boundary"'


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like WinRM
    disable_nagle_algorithm = True  # else Nagle + delayed ACK adds ~40 ms per request
    lab: Any
    sec: Any = None  # per-connection NTLM context (NTLM auth is connection-bound)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s", format % args)

    def _reply(self, code: int, body: bytes = b"", extra: dict[str, str] | None = None,
               ctype: str = "application/soap+xml;charset=UTF-8") -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.rstrip("/").lower() != self.lab.path.rstrip("/").lower():
            return self._reply(404, b"", ctype="text/html")  # IIS: no such virtual directory
        if self.lab.auth == "basic":
            return self._basic(body)
        return self._negotiate(body)

    def _basic(self, body: bytes) -> None:
        creds = f"{self.lab.username}:{self.lab.password}".encode()
        if self.headers.get("Authorization", "") != "Basic " + base64.b64encode(creds).decode():
            self.lab.auth_failures += 1
            return self._reply(401, b"", {"WWW-Authenticate": 'Basic realm="WSMAN"'})
        code, out = self.lab.handle(body, self.client_address[0])
        self._reply(code, out)

    def _negotiate(self, body: bytes) -> None:
        import spnego

        authz = self.headers.get("Authorization", "")
        extra: dict[str, str] = {}
        if authz.lower().startswith(("negotiate ", "ntlm ")):
            scheme, token = authz.split(" ", 1)
            if self.sec is None or self.sec.complete:
                self.sec = spnego.server(protocol="negotiate")
            try:
                out = self.sec.step(base64.b64decode(token))
            except spnego.exceptions.SpnegoError as e:
                log.info("auth failed: %s", e)
                self.sec = None
                self.lab.auth_failures += 1
                return self._reply(401, b"", {"WWW-Authenticate": "Negotiate"})
            if out:
                extra["WWW-Authenticate"] = f"{scheme} {base64.b64encode(out).decode()}"
            if not self.sec.complete:
                return self._reply(401, b"", extra)
        if self.sec is None or not self.sec.complete:
            return self._reply(401, b"", {"WWW-Authenticate": "Negotiate"})
        if not body:
            return self._reply(200, b"", extra)
        if self.headers.get("Content-Type", "").startswith("multipart/encrypted"):
            code, out = self.lab.handle(unwrap(self.sec, body), self.client_address[0])
            return self._reply(code, wrap(self.sec, out), extra, MULTIPART)
        code, out = self.lab.handle(body, self.client_address[0])
        self._reply(code, out, extra)


def unwrap(sec: Any, body: bytes) -> bytes:
    """MS-WSMV 2.2.9.1 encrypted message -> SOAP bytes."""
    data = body.split(b"\tContent-Type: application/octet-stream\r\n", 1)[1]
    data = data[: data.rindex(b"--Encrypted Boundary--")]
    hlen = struct.unpack("<i", data[:4])[0]
    return bytes(sec.unwrap_winrm(data[4:4 + hlen], data[4 + hlen:]))


def wrap(sec: Any, msg: bytes) -> bytes:
    header, enc, pad = sec.wrap_winrm(msg)
    head = (f"--Encrypted Boundary\r\n\tContent-Type: {ENCRYPTED}\r\n\tOriginalContent: "
            f"type=application/soap+xml;charset=UTF-8;Length={len(msg) + pad}\r\n"
            "--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n").encode()
    return head + struct.pack("<i", len(header)) + header + enc + b"--Encrypted Boundary--\r\n"
