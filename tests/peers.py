"""Small real peers for fault tests: a TCP listener that accepts and never answers (a hung
service), on loopback or a lab address."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def silent_listener(host: str = "127.0.0.1", port: int = 0) -> Iterator[int]:
    """Accepts every connection and says nothing; yields the port."""
    srv = socket.create_server((host, port))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for s in [*held, srv]:
            s.close()
