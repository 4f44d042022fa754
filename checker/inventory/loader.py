"""Load an Ansible inventory (YAML or INI) with group_vars/ and host_vars/ beside it.

Variable precedence follows Ansible, lowest first: inventory-file group vars (by group
depth, then `ansible_group_priority`, then name; `all` first), group_vars/ files in the same
order, inventory-file host vars, host_vars/ files. Variables are then templated
(`{{ lookup('env', 'AD_PASSWORD') }}`, other variables) in a sandbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.errors import InventoryError
from checker.inventory.ini import parse_ini
from checker.inventory.model import Host, Inventory
from checker.inventory.templating import render_vars
from checker.yamlio import Located, load_file


@dataclass
class Where:
    file: str
    line: int


@dataclass
class RawGroup:
    name: str
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)
    where: dict[str, Where] = field(default_factory=dict)


@dataclass
class RawInventory:
    source: str
    groups: dict[str, RawGroup] = field(default_factory=dict)
    host_order: list[str] = field(default_factory=list)
    host_vars: dict[str, dict[str, Any]] = field(default_factory=dict)
    host_where: dict[str, dict[str, Where]] = field(default_factory=dict)

    def group(self, name: str) -> RawGroup:
        return self.groups.setdefault(name, RawGroup(name))

    def add_host(self, group: str, host: str, hvars: Mapping[str, Any], where: Where) -> None:
        if host not in self.host_vars:
            self.host_order.append(host)
            self.host_vars[host] = {}
            self.host_where[host] = {}
        self.host_vars[host].update(hvars)
        self.host_where[host].update({k: where for k in hvars})
        members = self.group(group).hosts
        if host not in members:
            members.append(host)


def load_inventory(path: str | Path) -> Inventory:
    p = Path(path)
    if not p.is_file():
        raise InventoryError("inventory file not found", str(p))
    raw = _parse_file(p)
    _check_cycles(raw)
    gvars = _load_vars_dir(p.parent / "group_vars", raw.groups)
    hvars = _load_vars_dir(p.parent / "host_vars", raw.host_vars)
    return _build(raw, gvars, hvars)


def _parse_file(p: Path) -> RawInventory:
    if p.suffix in (".yml", ".yaml", ".json"):
        return _parse_yaml(p)
    text = p.read_text(encoding="utf-8", errors="replace")
    if text.lstrip().startswith(("all:", "---")):
        return _parse_yaml(p)
    return parse_ini(text, str(p), RawInventory(str(p)))


def _parse_yaml(p: Path) -> RawInventory:
    data = load_file(p)
    src = str(p)
    if not isinstance(data, dict):
        raise InventoryError("an inventory must be a mapping of groups (e.g. `all:`)", src, 1)
    raw = RawInventory(src)
    raw.group("all")
    for name, body in data.items():
        _yaml_group(raw, str(name), body, data, src)
        if name != "all" and name not in raw.group("all").children:
            raw.group("all").children.append(str(name))
    return raw


def _yaml_group(raw: RawInventory, name: str, body: Any, parent: Any, src: str) -> None:
    line = parent.line_of(name) if isinstance(parent, Located) else 1
    group = raw.group(name)
    if body is None:
        return
    if not isinstance(body, dict):
        raise InventoryError(f"group {name!r} must be a mapping", src, line)
    for key in body:
        if key not in ("hosts", "vars", "children"):
            raise InventoryError(
                f"group {name!r}: unknown key {key!r} (expected hosts, vars, children)",
                src,
                body.line_of(key) if isinstance(body, Located) else line,
            )
    _yaml_vars(group, body.get("vars"), src, line)
    hosts = body.get("hosts") or {}
    if not isinstance(hosts, dict):
        raise InventoryError(f"group {name!r}: hosts must be a mapping", src, line)
    for host, hv in hosts.items():
        hline = hosts.line_of(host) if isinstance(hosts, Located) else line
        if hv is not None and not isinstance(hv, dict):
            raise InventoryError(f"host {host!r}: variables must be a mapping", src, hline)
        raw.add_host(name, str(host), hv or {}, Where(src, hline))
        if isinstance(hv, Located):
            raw.host_where[str(host)].update({k: Where(src, hv.line_of(k)) for k in hv})
    children = body.get("children") or {}
    if not isinstance(children, dict):
        raise InventoryError(f"group {name!r}: children must be a mapping", src, line)
    for child, cbody in children.items():
        if child not in group.children:
            group.children.append(str(child))
        _yaml_group(raw, str(child), cbody, children, src)


def _yaml_vars(group: RawGroup, values: Any, src: str, line: int) -> None:
    if values is None:
        return
    if not isinstance(values, dict):
        raise InventoryError(f"group {group.name!r}: vars must be a mapping", src, line)
    group.vars.update(values)
    for k in values:
        group.where[k] = Where(src, values.line_of(k) if isinstance(values, Located) else line)


def _check_cycles(raw: RawInventory) -> None:
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 1:
            raise InventoryError(f"group cycle: {' -> '.join([*path, name])}", raw.source)
        if state.get(name) == 2:
            return
        state[name] = 1
        for child in raw.groups.get(name, RawGroup(name)).children:
            visit(child, [*path, name])
        state[name] = 2

    for g in list(raw.groups):
        visit(g, [])


VarFiles = dict[str, tuple[dict[str, Any], dict[str, Where]]]


def _load_vars_dir(folder: Path, names: Mapping[str, Any]) -> VarFiles:
    """group_vars/NAME(.yml|.yaml|.json) or group_vars/NAME/*.yml for every known name."""
    out: VarFiles = {}
    if not folder.is_dir():
        return out
    for name in names:
        files = [folder / f"{name}{ext}" for ext in ("", ".yml", ".yaml", ".json")]
        files = [f for f in files if f.is_file()]
        if (folder / name).is_dir():
            files += sorted(f for f in (folder / name).iterdir() if f.suffix in (".yml", ".yaml"))
        for f in files:
            data = load_file(f)
            if data is None:
                continue
            if not isinstance(data, Located):
                raise InventoryError("a vars file must be a mapping of variables", str(f), 1)
            values, where = out.setdefault(name, ({}, {}))
            values.update(data)
            where.update({k: Where(str(f), data.line_of(k)) for k in data})
    return out


def _depths(raw: RawInventory) -> dict[str, int]:
    depth = {"all": 0}
    frontier = ["all"]
    while frontier:
        nxt = []
        for g in frontier:
            for c in raw.groups[g].children:
                if depth.get(c, -1) < depth[g] + 1:
                    depth[c] = depth[g] + 1
                    nxt.append(c)
        frontier = nxt
    for g in raw.groups:
        depth.setdefault(g, 1)
    return depth


def _ancestors(raw: RawInventory, host: str) -> list[str]:
    parents: dict[str, set[str]] = {}
    for g in raw.groups.values():
        for c in g.children:
            parents.setdefault(c, set()).add(g.name)
    stack = [g.name for g in raw.groups.values() if host in g.hosts]
    seen: set[str] = set()
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(parents.get(name, ()))
    seen.add("all")
    return list(seen)


def _build(raw: RawInventory, gfiles: VarFiles, hfiles: VarFiles) -> Inventory:
    depth = _depths(raw)
    hosts: dict[str, Host] = {}
    for name in raw.host_order:
        groups = _ancestors(raw, name)

        def order(g: str, _gfiles: VarFiles = gfiles) -> tuple[int, int, str]:
            prio = raw.groups[g].vars.get("ansible_group_priority", 1)
            return (depth[g], int(prio) if str(prio).isdigit() else 1, g)

        groups.sort(key=order)
        merged: dict[str, Any] = {}
        where: dict[str, Where] = {}
        for g in groups:
            merged.update(raw.groups[g].vars)
            where.update(raw.groups[g].where)
        for g in groups:
            values, w = gfiles.get(g, ({}, {}))
            merged.update(values)
            where.update(w)
        merged.update(raw.host_vars[name])
        where.update(raw.host_where[name])
        values, w = hfiles.get(name, ({}, {}))
        merged.update(values)
        where.update(w)
        merged.setdefault("inventory_hostname", name)
        merged.setdefault("inventory_file", str(Path(raw.source).resolve()))
        merged.setdefault("inventory_dir", str(Path(raw.source).resolve().parent))
        merged["group_names"] = sorted(g for g in groups if g != "all")
        rendered = render_vars(merged, {k: (v.file, v.line) for k, v in where.items()})
        hosts[name] = Host(name, rendered, tuple(groups))
    members = {g: tuple(h for h in raw.host_order if g in hosts[h].groups) for g in raw.groups}
    children = {g.name: tuple(g.children) for g in raw.groups.values()}
    return Inventory(raw.source, hosts, members, children)
