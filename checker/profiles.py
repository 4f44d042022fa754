"""Named selections in rules/profiles.yml, chosen with --profile.

```yaml
pre-migration:
  description: Gate before a mailbox migration wave
  tags: [pre-migration]
  fail_on: high
```
Flags given on the command line win over the profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from checker.errors import InputError, InputErrors
from checker.ruleset.model import RULE_ID_PATTERN, Severity
from checker.yamlio import Located, load_file

PROFILE_FILE = "profiles.yml"
_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}
PROFILES_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "checker profiles file",
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "description": {"type": "string"},
            "tags": _STRINGS,
            "skip_tags": _STRINGS,
            "rules": {"type": "array", "items": {"type": "string", "pattern": RULE_ID_PATTERN}},
            "fail_on": {"type": "string", "enum": [s.value for s in Severity]},
        },
    },
}


@dataclass(frozen=True)
class Profile:
    name: str
    description: str = ""
    tags: tuple[str, ...] = ()
    skip_tags: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    fail_on: Severity | None = None


def profile_file(rules_dirs: Sequence[str]) -> Path | None:
    for d in rules_dirs:
        candidate = Path(d) / PROFILE_FILE if Path(d).is_dir() else Path(d).parent / PROFILE_FILE
        if candidate.is_file():
            return candidate
    return None


def load_profile(name: str, rules_dirs: Sequence[str]) -> Profile:
    path = profile_file(rules_dirs)
    if path is None:
        raise InputError(f"--profile {name}: no {PROFILE_FILE} in {', '.join(rules_dirs)}")
    data = load_file(path)
    if not isinstance(data, Located):
        raise InputError("a profiles file must be a mapping of profile names", str(path), 1)
    validator = jsonschema.Draft202012Validator(PROFILES_SCHEMA)
    problems = [
        InputError(f"profile {e.absolute_path[0] if e.absolute_path else ''}: {e.message}",
                   str(path), data.line_of(str(e.absolute_path[0])) if e.absolute_path else 1)
        for e in validator.iter_errors(data)
    ]
    if problems:
        raise InputErrors(list(problems))
    if name not in data:
        known = ", ".join(sorted(data)) or "none"
        raise InputError(f"--profile: unknown profile {name!r} (defined: {known})", str(path))
    spec = data[name] or {}
    return Profile(
        name=name,
        description=spec.get("description", ""),
        tags=tuple(spec.get("tags", ())),
        skip_tags=tuple(spec.get("skip_tags", ())),
        rules=tuple(spec.get("rules", ())),
        fail_on=Severity(spec["fail_on"]) if "fail_on" in spec else None,
    )
