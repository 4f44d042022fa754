"""Progress of the gather stage on stderr.

With -v: one line per host as it finishes (fit for logs). Without -v, on a terminal only: one
status line rewritten in place (hosts done out of total, and the host that has been running
longest), refreshed every second and erased when gathering ends. Logs, pipes and a TERM=dumb
terminal (it cannot erase a line: the escape codes would show) get nothing.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from checker.reporters.terminal import line

Progress = Callable[[str, str], None]  # (host, "start" | "done"), from gather threads


class LiveLine:
    """`gathering: 7/12 hosts done; slowest still running: aadc01 (41 s)`."""

    def __init__(self, total: int, stream: TextIO, interval: float = 1.0) -> None:
        self.total, self.stream, self.interval = total, stream, interval
        self.done = 0
        self.running: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.ticker = threading.Thread(target=self._tick, daemon=True, name="progress")

    def __call__(self, host: str, event: str) -> None:
        with self.lock:
            if event == "start":
                self.running[host] = time.monotonic()
            elif event == "done":
                self.running.pop(host, None)
                self.done += 1
            self._draw()

    def start(self) -> LiveLine:
        self.ticker.start()
        return self

    def close(self) -> None:
        self.stopped.set()
        with self.lock:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def line(self) -> str:
        text = f"gathering: {self.done}/{self.total} hosts done"
        if self.running:
            host, since = min(self.running.items(), key=lambda item: item[1])
            text += f"; slowest still running: {line(host)} ({time.monotonic() - since:.0f} s)"
        return text

    def _draw(self) -> None:
        if not self.stopped.is_set():
            self.stream.write(f"\r\033[K{self.line()}")
            self.stream.flush()

    def _tick(self) -> None:
        while not self.stopped.wait(self.interval):
            with self.lock:
                self._draw()


class HostLines:
    """-v: `gathered dc01 (3/12)` per host, as each one finishes."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream, self.done = total, stream, 0
        self.lock = threading.Lock()

    def __call__(self, host: str, event: str) -> None:
        if event == "done":
            with self.lock:
                self.done += 1
                print(f"gathered {line(host)} ({self.done}/{self.total})", file=self.stream)

    def close(self) -> None:
        return None


def progress_for(total: int, verbose: bool,
                 stream: TextIO | None = None) -> LiveLine | HostLines | None:
    """The progress display this run gets, or None (not verbose, and not a terminal)."""
    stream = stream or sys.stderr
    if verbose:
        return HostLines(total, stream)
    if total and stream.isatty() and os.environ.get("TERM") != "dumb":
        return LiveLine(total, stream).start()
    return None
