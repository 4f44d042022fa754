"""The parsed inventory before templating: groups, hosts, membership and raw variables.

Follows ansible-core's InventoryData/Group/Host (ansible/inventory/): `all` and `ungrouped`
exist from the start, `ungrouped` is the first child of `all`, a group with no parent joins
`all`, a host in no group but `all` joins `ungrouped` (and leaves it when it joins another
group; a group of the same name joins it instead, as in ansible-core), depth is the longest
path from `all`. Every structure is an ordered dict, so adding a host or child is O(1) and a
20,000-host inventory loads in linear time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from checker.errors import InventoryError
from checker.inventory.hostnames import unsafe_name


@dataclass(frozen=True)
class Where:
    file: str
    line: int | None = None

    def error(self, message: str) -> InventoryError:
        return InventoryError(message, self.file, self.line)


@dataclass
class Layer:
    """Variables from one place (a group in a file, a vars file) with each one's line."""

    values: dict[str, Any] = field(default_factory=dict, repr=False)  # may hold secrets
    where: dict[str, Where] = field(default_factory=dict)

    def set(self, name: str, value: Any, where: Where) -> None:
        self.values[name] = value
        self.where[name] = where


@dataclass
class Group:
    name: str
    where: Where
    hosts: dict[str, None] = field(default_factory=dict)
    children: dict[str, Where] = field(default_factory=dict)
    parents: dict[str, None] = field(default_factory=dict)
    vars: Layer = field(default_factory=Layer)
    priority: int = 1


@dataclass
class HostEntry:
    name: str
    where: Where
    source: str | None  # the inventory file where the host was first seen
    groups: dict[str, None] = field(default_factory=dict)  # direct groups, in order
    vars: Layer = field(default_factory=Layer)


class InventoryData:
    def __init__(self) -> None:
        self.groups: dict[str, Group] = {}
        self.hosts: dict[str, HostEntry] = {}
        self.warnings: list[str] = []
        self.current_source: str | None = None
        for name in ("all", "ungrouped"):
            self.add_group(name, Where("<implicit>"))
        self.add_child("all", "ungrouped", Where("<implicit>"))
        self._members: dict[str, list[str]] = {}
        self._ancestors: dict[str, frozenset[str]] = {}

    def add_group(self, name: Any, where: Where) -> str:
        if not isinstance(name, str) or not name:
            raise where.error(f"invalid group name {name!r}: expected a non-empty string")
        if name not in self.groups:
            problem = unsafe_name(name)
            if problem:
                raise where.error(f"group {problem}")
            self.groups[name] = Group(name, where)
        return name

    def add_host(self, name: Any, group: str | None, port: int | None, where: Where) -> str:
        if not isinstance(name, str) or not name:
            raise where.error(f"invalid host name {name!r}: expected a non-empty string")
        host = self.hosts.get(name)
        if host is None:
            problem = unsafe_name(name)
            if problem:
                raise where.error(f"host {problem}")
            host = self.hosts[name] = HostEntry(name, where, self.current_source)
            if port is not None:
                host.vars.set("ansible_port", port, where)
        if group is not None and name not in self.groups[group].hosts:
            self.groups[group].hosts[name] = None
            host.groups[group] = None
        return name

    def add_child(self, parent: str, child: str, where: Where) -> None:
        if parent == child:
            raise where.error(f"group {child!r} cannot be a child of itself")
        self.groups[parent].children.setdefault(child, where)
        self.groups[child].parents[parent] = None

    def set_group_var(self, group: str, name: Any, value: Any, where: Where) -> None:
        if name == "ansible_group_priority":
            try:
                self.groups[group].priority = int(value)
            except (TypeError, ValueError):
                raise where.error(f"ansible_group_priority must be an integer, "
                                  f"got {value!r}") from None
            return
        self.groups[group].vars.set(_var_name(name, where), value, where)

    def set_host_var(self, host: str, name: Any, value: Any, where: Where) -> None:
        self.hosts[host].vars.set(_var_name(name, where), value, where)

    def reconcile(self) -> None:
        """ansible-core's reconcile_inventory, then a check for group cycles."""
        for group in self.groups.values():
            if group.name != "all" and not group.parents:
                self.add_child("all", group.name, group.where)
        ungrouped = self.groups["ungrouped"]
        for host in self.hosts.values():
            others = [g for g in host.groups if g not in ("all", "ungrouped")]
            if others and host.name in ungrouped.hosts:
                del ungrouped.hosts[host.name]
                del host.groups["ungrouped"]
            elif not others and "ungrouped" not in host.groups:
                self._to_ungrouped(host)
        self.warnings += [f"Found both group and host with same name: {name}"
                          for name in sorted(self.groups.keys() & self.hosts.keys())]
        self._check_cycles()
        self._members.clear()
        self._ancestors.clear()

    def _to_ungrouped(self, host: HostEntry) -> None:
        # ansible-core's add_child('ungrouped', name) looks the name up as a group first: a
        # group named like the host joins `ungrouped` and the host stays in `all` only
        if host.name in self.groups:
            self.add_child("ungrouped", host.name, host.where)
        else:
            self.add_host(host.name, "ungrouped", None, host.where)

    def _check_cycles(self) -> None:
        state: dict[str, int] = {}
        for root in self.groups:
            if state.get(root):
                continue
            stack: list[tuple[str, Iterator[str]]] = [(root, iter(self.groups[root].children))]
            state[root] = 1
            while stack:
                name, kids = stack[-1]
                child = next(kids, None)
                if child is None:
                    state[name] = 2
                    stack.pop()
                elif state.get(child) == 1:
                    path = [n for n, _ in stack[[n for n, _ in stack].index(child):]]
                    where = self.groups[name].children[child]
                    raise where.error("group cycle: " + " -> ".join([*path, child]))
                elif not state.get(child):
                    state[child] = 1
                    stack.append((child, iter(self.groups[child].children)))

    def depths(self) -> dict[str, int]:
        """Longest path from `all` (ansible-core's Group.depth), in one topological pass."""
        order = self._topological()
        depth = dict.fromkeys(self.groups, 0)
        for name in order:
            for child in self.groups[name].children:
                depth[child] = max(depth[child], depth[name] + 1)
        return depth

    def _topological(self) -> list[str]:
        indegree = {name: len(g.parents) for name, g in self.groups.items()}
        ready = [name for name, d in indegree.items() if d == 0]
        order: list[str] = []
        while ready:
            name = ready.pop()
            order.append(name)
            for child in self.groups[name].children:
                indegree[child] -= 1
                if indegree[child] == 0:
                    ready.append(child)
        return order

    def ancestors(self, group: str) -> frozenset[str]:
        """The group and every group above it (all computed at once, parents first)."""
        if not self._ancestors:
            for name in self._topological():
                up = {name}
                for parent in self.groups[name].parents:
                    up |= self._ancestors[parent]
                self._ancestors[name] = frozenset(up)
        return self._ancestors[group]

    def host_groups(self, host: str) -> frozenset[str]:
        out: set[str] = {"all"}
        for group in self.hosts[host].groups:
            out |= self.ancestors(group)
        return frozenset(out)

    def members(self, group: str) -> list[str]:
        """Hosts of a group and its descendants in ansible-core's order (Group.get_hosts):
        the group's own hosts, then its children's, level by level."""
        found = self._members.get(group)
        if found is None:
            seen: dict[str, None] = {}
            for g in self._descendants(group):
                for host in self.groups[g].hosts:
                    seen.setdefault(host, None)
            found = self._members[group] = list(seen)
        return found

    def _descendants(self, group: str) -> list[str]:
        order, seen, level = [group], {group}, [group]
        while level:
            nxt = []
            for name in level:
                for child in self.groups[name].children:
                    if child not in seen:
                        seen.add(child)
                        order.append(child)
                        nxt.append(child)
            level = nxt
        return order

    def groups_dict(self) -> Mapping[str, list[str]]:
        """The `groups` magic variable: every group's hosts."""
        return {name: self.members(name) for name in self.groups}


def _var_name(name: Any, where: Where) -> str:
    if not isinstance(name, str):
        raise where.error(f"variable name {name!r} is not a string")
    return name
