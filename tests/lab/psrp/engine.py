"""The lab's PowerShell engine: a cmdlet table plus the AST interpreter (`interp.py`).

A cmdlet is a Python function taking an `Invocation`. Non-terminating errors go through
`inv.error()`, which honours -ErrorAction and $ErrorActionPreference like PowerShell does.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable
from typing import Any

from .interp import Interpreter, Scope
from .values import PSError

COMMON = {"erroraction", "warningaction", "informationaction", "verbose", "debug",
          "errorvariable", "warningvariable", "outvariable", "outbuffer", "pipelinevariable"}
SWITCHES = {"compress", "force", "descending", "unique", "asarray", "listavailable", "passthru",
            "all", "verbose", "debug", "whatif", "confirm", "noenumerate", "casesensitive",
            "asstring", "utc"}


class Invocation:
    def __init__(self, interp: Interpreter, name: str, args: list[Any], params: dict[str, Any],
                 input: list[Any], scope: Scope) -> None:
        self.interp, self.name, self.args, self.input, self.scope = interp, name, args, input, scope
        action = params.get("erroraction", scope.lookup("ErrorActionPreference"))
        self.error_action = str(action or "Continue").lower()
        self.params = {k: v for k, v in params.items() if k not in COMMON}
        self.w = interp.writer

    def param(self, name: str, position: int | None = None, default: Any = None) -> Any:
        for key, value in self.params.items():  # an unambiguous prefix binds, as in PowerShell
            if key == name.lower() or (len(key) >= 2 and name.lower().startswith(key)):
                return value
        if position is not None and position < len(self.args):
            return self.args[position]
        return default

    def switch(self, name: str) -> bool:
        return bool(self.param(name, default=False))

    def error(self, err: PSError) -> None:
        """A non-terminating error."""
        if self.error_action == "stop":
            err.terminating = True
            raise err
        if self.error_action == "ignore":
            return
        self.interp.errors.insert(0, err.record())
        if self.error_action != "silentlycontinue":
            self.w.error(err)


Cmdlet = Callable[[Invocation], Iterable[Any] | None]


class Engine:
    def __init__(self) -> None:
        self.cmdlets: dict[str, Cmdlet] = {}
        self.aliases: dict[str, str] = {}
        self.switches = set(SWITCHES)
        self.modules: set[str] = {"microsoft.powershell.utility",
                                  "microsoft.powershell.management"}  # on PSModulePath
        self.files: dict[str, str] = {}  # path (lower case) -> module it holds, "" if none
        self.registry: dict[str, dict[str, Any]] = {}  # key path -> values
        self.timezone: dt.tzinfo = dt.timezone.utc  # the server's local time zone
        self.history: list[str] = []  # cmdlet names, for tests
        self.json_filter: Callable[[str], str] = lambda text: text  # a fault knob hooks here
        self.lock = threading.Lock()
        from .builtins import register_builtins
        from .providers import register_providers

        register_builtins(self)
        register_providers(self)

    def cmdlet(self, name: str, *aliases: str) -> Callable[[Cmdlet], Cmdlet]:
        def deco(fn: Cmdlet) -> Cmdlet:
            self.cmdlets[name.lower()] = fn
            for alias in aliases:
                self.aliases[alias.lower()] = name.lower()
            return fn

        return deco

    def registry_key(self, path: str) -> dict[str, Any] | None:
        wanted = path.replace("/", "\\").rstrip("\\").lower()
        return next((v for k, v in self.registry.items() if k.lower() == wanted), None)

    def has_module(self, interp: Interpreter, name: str) -> bool:
        """Imported in this runspace, or on PSModulePath (auto-loaded on first use)."""
        return name in interp.imported or name in self.modules

    def run(self, text: str, pipeline_input: list[Any], writer: Any) -> list[Any]:
        return Interpreter(self, writer).run(text, pipeline_input)

    def call(self, interp: Interpreter, name: str, args: list[Any], params: dict[str, Any],
             items: list[Any], scope: Scope) -> list[Any]:
        key = self.aliases.get(name.lower(), name.lower())
        with self.lock:
            self.history.append(name)
        fn = self.cmdlets.get(key)
        if fn is None:
            raise not_found(name)
        return list(fn(Invocation(interp, name, args, params, items, scope)) or [])


def not_found(name: str) -> PSError:
    return PSError(f"The term '{name}' is not recognized as the name of a cmdlet, function, "
                   "script file, or operable program. Check the spelling of the name, or if a "
                   "path was included, verify that the path is correct and try again.",
                   "CommandNotFoundException", "ObjectNotFound",
                   "System.Management.Automation.CommandNotFoundException", name)
