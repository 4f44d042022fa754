"""One exception root, caught only at boundaries (runner per fact, CLI at the top)."""

from __future__ import annotations


class CheckerError(Exception):
    """Root of every error checker raises on purpose.

    `file` and `line` (1-based) locate bad input; `str()` gives `file:line: message`.
    """

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}: {self.message}"
        if self.file:
            return f"{self.file}: {self.message}"
        return self.message


class InputError(CheckerError):
    """Invalid input (inventory, rules, waivers, command line): exit 3, nothing contacted."""


class InventoryError(InputError):
    pass


class RuleError(InputError):
    pass


class CollectError(CheckerError):
    """A fact could not be gathered or interpreted: the rules that need it are `error`."""


class FactUnavailable(CollectError):
    """The source cannot provide this fact at all (e.g. an export has no run history): `skipped`."""


class TransportError(CollectError):
    """Connecting, authenticating or talking to a host failed."""


class OutputError(CheckerError):
    """A report, a facts file or a plan could not be written (disk full, I/O error): the run's
    verdict stands, and the failure is an `error` of its own."""


class ExpressionError(CheckerError):
    """A template or operator could not be evaluated against the facts: `error` for that row."""


class InputErrors(InputError):
    """Several input problems found in one pass; each is reported on its own line."""

    def __init__(self, problems: list[CheckerError]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
