"""Loopback addresses for lab peers whose ports are fixed (Samba: 389/636/3268/3269/88).

Every lab address is 127.<net>.0.<n>. `CHECKER_LAB_NET` (0-255, default 0) picks the second
octet, so two test runs on one machine (two worktrees, a benchmark beside the tests) never
fight over the same address and port.
"""

from __future__ import annotations

import os


def lab_net() -> int:
    raw = os.environ.get("CHECKER_LAB_NET", "0")
    try:
        net = int(raw)
    except ValueError:
        raise ValueError(f"CHECKER_LAB_NET must be 0-255, not {raw!r}") from None
    if not 0 <= net <= 255:
        raise ValueError(f"CHECKER_LAB_NET must be 0-255, not {raw!r}")
    return net


def lab_ip(n: int) -> str:
    """The n-th lab address (1-254) in this run's loopback net."""
    if not 1 <= n <= 254:
        raise ValueError(f"lab address index {n} out of range")
    return f"127.{lab_net()}.0.{n}"
