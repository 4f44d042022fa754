"""Remove secret values from anything that leaves the process (reports, snapshots, logs)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MASK = "********"


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is masked whole; very short values
        # (e.g. "1") would mask unrelated text and are not secrets anyone relies on.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for s in self.secrets:
            if s in value:
                value = value.replace(s, MASK)
        return value

    def scrub(self, value: Any) -> Any:
        """A copy of a JSON-like value with every secret masked."""
        if not self.secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.scrub(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.scrub(v) for v in value]
        return value
