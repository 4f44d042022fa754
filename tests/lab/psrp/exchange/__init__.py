"""The Exchange lab endpoint: the same WSMan/PSRP server as the Connect lab, configured as
Exchange's remote PowerShell is: URL path /PowerShell/, configuration Microsoft.Exchange,
NoLanguage mode (commands only, script text refused with PowerShell's ScriptsNotAllowed), and
only Exchange cmdlets, whose objects carry Exchange's type names.

    python -m tests.lab.psrp.exchange serve --scenario healthy --port 0 --user 'LAB\\svc' \\
        --password pw --auth negotiate          # prints "LISTENING <port>"
"""

from __future__ import annotations

import datetime as dt

from ..engine import Engine
from ..server import LabServer
from . import cmdlets
from .state import State, names

PATH = "/PowerShell/"
CONFIGURATION = "Microsoft.Exchange"


def make_server(name: str, *, port: int = 0, username: str = "LAB\\svc", password: str = "pw",
                auth: str = "basic", now: dt.datetime | None = None, latency: float = 0.0,
                max_receive_wait: float = 2.0) -> LabServer:
    """An Exchange endpoint (not started) serving scenario `name`; `server.state` is its
    organization."""
    state = State.build(name, now)
    engine = Engine()
    cmdlets.register(engine, state)
    server = LabServer(engine, port=port, username=username, password=password, auth=auth,
                       latency=latency, max_receive_wait=max_receive_wait, path=PATH,
                       configuration=CONFIGURATION, language_mode="NoLanguage")
    server.state = state  # type: ignore[attr-defined]
    return server


__all__ = ["CONFIGURATION", "PATH", "make_server", "names"]
