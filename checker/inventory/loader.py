"""Load an Ansible inventory: one or more sources, group_vars/ and host_vars/, Ansible's
precedence, lazy templating.

Precedence, lowest first (ansible-core's VariableManager with the default
VARIABLE_PRECEDENCE): the `all` group's inventory vars; the other groups' inventory vars
(by depth, then `ansible_group_priority`, then name); group_vars/all of each source;
group_vars/<group> of each source (groups in the same order); the host's inventory vars;
host_vars/<host> of each source; extra vars (`-e`). Variables are templated when read.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.inventory.data import InventoryData, Layer, Where
from checker.inventory.files import ExpansionBudget, Loading
from checker.inventory.model import Host, Inventory
from checker.inventory.sources import IGNORE_EXTENSIONS, SourceReader, vars_folder
from checker.inventory.templating import Resolver
from checker.inventory.varsfiles import VarsDir, VarsLoader
from checker.inventory.vault import VaultSecrets


@dataclass(frozen=True)
class LoadOptions:
    vault: VaultSecrets = field(default_factory=VaultSecrets)
    extra_vars: Layer = field(default_factory=Layer)
    ignore_extensions: tuple[str, ...] = IGNORE_EXTENSIONS


def load_inventory(sources: str | Path | Sequence[str | Path],
                   options: LoadOptions | None = None) -> Inventory:
    opts = options or LoadOptions()
    names = [str(sources)] if isinstance(sources, (str, Path)) else [str(s) for s in sources]
    loading = Loading(opts.vault, ExpansionBudget(), [])
    data = SourceReader(loading, opts.ignore_extensions).read(names)
    folders = [f for f in (vars_folder(s) for s in names) if f is not None]
    precedence = _Precedence(data, folders, VarsLoader(loading), opts.extra_vars)
    precedence.load_all()
    loading.decrypt_all()
    groups = GroupsView(data)
    resolver = Resolver(precedence.merge, _Magic(data, groups), opts.vault, data.hosts)
    hosts = {name: Host(name, resolver.view(name), precedence.groups_of(name))
             for name in data.hosts}
    children = {g.name: tuple(g.children) for g in data.groups.values()}
    return Inventory(",".join(names), hosts, groups, children, tuple(data.warnings),
                     lambda: set(opts.vault.plaintexts))


class _Precedence:
    def __init__(self, data: InventoryData, folders: Sequence[Path], loader: VarsLoader,
                 extra: Layer) -> None:
        self.data, self.loader, self.extra = data, loader, extra
        self.group_dirs = [VarsDir(f / "group_vars") for f in folders]
        self.host_dirs = [VarsDir(f / "host_vars") for f in folders]
        self.depth = data.depths()
        self._files: dict[tuple[int, str], Layer] = {}

    def load_all(self) -> None:
        """Read every vars file now, so a broken one is reported before anything runs."""
        for i, d in enumerate(self.group_dirs):
            for group in self.data.groups:
                self._layer(d, i, group)
        for i, d in enumerate(self.host_dirs, len(self.group_dirs)):
            for host in self.data.hosts:
                self._layer(d, i, host)

    def _layer(self, folder: VarsDir, index: int, name: str) -> Layer:
        key = (index, name)
        if key not in self._files:
            self._files[key] = self.loader.layer(folder.files(name))
        return self._files[key]

    def sorted_groups(self, host: str) -> list[str]:
        groups = self.data.host_groups(host) - {"all"}
        prio = self.data.groups
        return sorted(groups, key=lambda g: (self.depth[g], prio[g].priority, g))

    def groups_of(self, host: str) -> tuple[str, ...]:
        return ("all", *self.sorted_groups(host))

    def merge(self, host: str) -> Layer:
        groups = self.sorted_groups(host)
        layers = [self.data.groups["all"].vars, *(self.data.groups[g].vars for g in groups)]
        layers += [self._layer(d, i, "all") for i, d in enumerate(self.group_dirs)]
        layers += [self._layer(d, i, g) for i, d in enumerate(self.group_dirs) for g in groups]
        layers += [_source_vars(self.data, host), self.data.hosts[host].vars]
        layers += [self._layer(d, i, host)
                   for i, d in enumerate(self.host_dirs, len(self.group_dirs))]
        layers.append(self.extra)
        out = Layer()
        for layer in layers:
            out.values.update(layer.values)
            out.where.update(layer.where)
        return out


def _source_vars(data: InventoryData, host: str) -> Layer:
    entry = data.hosts[host]
    where = Where(entry.source or "<inventory>")
    layer = Layer()
    layer.set("inventory_file", entry.source, where)
    layer.set("inventory_dir", os.path.dirname(entry.source) if entry.source else None, where)
    return layer


class GroupsView(Mapping[str, Sequence[str]]):
    """The `groups` magic variable and pattern groups: each group's hosts on demand."""

    def __init__(self, data: InventoryData) -> None:
        self._data = data

    def __getitem__(self, group: str) -> list[str]:
        if group not in self._data.groups:
            raise KeyError(group)
        return self._data.members(group)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data.groups)

    def __len__(self) -> int:
        return len(self._data.groups)

    def own(self, group: str) -> list[str]:
        return list(self._data.groups[group].hosts)


class _Magic:
    """ansible-core's magic variables of a host (Host.get_magic_vars and the inventory's)."""

    def __init__(self, data: InventoryData, groups: GroupsView) -> None:
        self._data, self._groups = data, groups
        self._cwd = os.getcwd()

    def __call__(self, host: str) -> dict[str, Any]:
        return {
            "inventory_hostname": host,
            "inventory_hostname_short": host if _is_ip(host) else host.split(".")[0],
            "group_names": sorted(self._data.host_groups(host) - {"all"}),
            "groups": self._groups,
            "playbook_dir": self._cwd,
        }


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
