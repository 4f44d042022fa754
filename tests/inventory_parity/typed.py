"""One JSON form for a variable's value that keeps its Python type, for ansible-core's values
(tagged subclasses reduced to base types) and ours alike."""

from __future__ import annotations

import datetime
from typing import Any


def typed(value: Any) -> Any:
    for base in (bool, int, float, str, list, dict, datetime.date, type(None)):
        if isinstance(value, base):
            break
    if isinstance(value, dict):
        return {"dict": {str(k): typed(v) for k, v in value.items()}}
    if isinstance(value, list):
        return {"list": [typed(v) for v in value]}
    return {base.__name__: value if base in (bool, int, float, str, type(None)) else str(value)}
