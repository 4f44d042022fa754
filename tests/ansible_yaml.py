"""Read a generated playbook as Ansible does: `!unsafe` values load as text (the tag kept)."""

from __future__ import annotations

from typing import Any

import yaml


class UnsafeText(str):
    """A string Ansible loaded from an `!unsafe` tag: never templated."""


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!unsafe", lambda loader, node: UnsafeText(loader.construct_scalar(node)))


def load_playbook(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
