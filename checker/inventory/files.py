"""Reading inventory files: text only, vault-encrypted files decrypted, YAML with Ansible's
`!vault` and `!unsafe` tags, and one bound on alias expansion across the whole inventory.

YAML aliases make a small file stand for a large value. yamlio refuses one document that
expands past a million values; the inventory also counts every file it loads against one
budget (`ExpansionBudget`), so many such files, or a host_vars/ file per host, cannot add up
to an unbounded load either.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from checker.errors import InventoryError
from checker.inventory.vault import VaultSecrets, is_encrypted
from checker.yamlio import MAX_BYTES, Loader, decode_utf8, expanded_size, load_text

MAX_INVENTORY_VALUES = 5_000_000


class Unsafe(str):
    """A `!unsafe` string: data, never a template."""

    __slots__ = ()


@dataclass(frozen=True)
class VaultText:
    """A `!vault` value, decrypted when a host's variable is first used."""

    ciphertext: str
    file: str
    line: int

    def __repr__(self) -> str:
        return "VaultText(<encrypted>)"


class _InventoryLoader(Loader):
    source = "<inventory>"
    vaulted: list[VaultText] = []


def _vault(loader: Any, node: Any) -> VaultText:
    if not isinstance(node, yaml.ScalarNode):
        raise yaml.constructor.ConstructorError(None, None, "!vault must tag a string",
                                                node.start_mark)
    value = VaultText(node.value, loader.source, node.start_mark.line + 1)
    loader.vaulted.append(value)
    return value


def _unsafe(loader: Any, node: Any) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return Unsafe(node.value)
    node.tag = "tag:yaml.org,2002:seq" if isinstance(node, yaml.SequenceNode) \
        else "tag:yaml.org,2002:map"
    return mark_unsafe(loader._build(node, {}))


def mark_unsafe(value: Any) -> Any:
    if isinstance(value, str):
        return Unsafe(value)
    if isinstance(value, list):
        return [mark_unsafe(v) for v in value]
    if isinstance(value, dict):
        return {k: mark_unsafe(v) for k, v in value.items()}
    return value


_InventoryLoader.add_constructor("!vault", _vault)
_InventoryLoader.add_constructor("!unsafe", _unsafe)


class ExpansionBudget:
    """Values (after alias expansion) loaded from every file of one inventory."""

    def __init__(self, limit: int = MAX_INVENTORY_VALUES) -> None:
        self.limit, self.used = limit, 0

    def charge(self, data: Any, source: str) -> None:
        self.used += expanded_size(data)
        if self.used > self.limit:
            raise InventoryError(
                f"the inventory's YAML aliases expand to more than {self.limit:,} values in "
                "all (refusing a possible alias bomb)", source, 1)


def read_text(path: Path, vault: VaultSecrets) -> tuple[str, bool]:
    """A text file's content, and whether it was vault-encrypted (then it is decrypted)."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InventoryError(f"file is larger than {MAX_BYTES // 1024 // 1024} MiB",
                                 str(path))
        raw = path.read_bytes()
    except OSError as e:
        raise InventoryError(f"cannot read: {e.strerror}", str(path)) from None
    if b"\x00" in raw:
        raise InventoryError("a binary file, not an inventory or vars file", str(path))
    text = decode_utf8(raw, str(path))
    if is_encrypted(text):
        return vault.decrypt(text, str(path)), True
    return text, False


def strings(value: Any) -> set[str]:
    """Every string and number in a loaded value (the secrets of a decrypted file); shared
    (aliased) nodes are visited once."""
    out: set[str] = set()
    seen: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.add(item)
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            out.add(str(item))
        elif isinstance(item, (dict, list)) and id(item) not in seen:
            seen.add(id(item))
            stack.extend(item.values() if isinstance(item, dict) else item)
    return out


def parse_yaml(text: str, source: str, budget: ExpansionBudget,
               vaulted: list[VaultText] | None = None) -> Any:
    """One YAML document; its `!vault` values are appended to `vaulted`."""
    loader = type("_Loader", (_InventoryLoader,), {"source": source,
                                                   "vaulted": [] if vaulted is None else vaulted})
    data = load_text(text, source, loader)
    budget.charge(data, source)
    return data


@dataclass
class Loading:
    """What every file of one inventory load shares: the vault passwords, the expansion
    budget, and the `!vault` values met (decrypted up front, so all of them are masked)."""

    vault: VaultSecrets
    budget: ExpansionBudget
    vaulted: list[VaultText]

    def text(self, path: Path) -> tuple[str, bool]:
        return read_text(path, self.vault)

    def yaml(self, text: str, source: str) -> Any:
        return parse_yaml(text, source, self.budget, self.vaulted)

    def decrypt_all(self) -> None:
        """Decrypt every `!vault` value that a given password opens; the others stay
        encrypted and are an error only if a host uses them (as in ansible-core)."""
        for value in self.vaulted:
            try:
                self.vault.decrypt(value.ciphertext)
            except InventoryError:
                continue
