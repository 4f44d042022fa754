"""Ansible YAML inventories, read as ansible-core's yaml plugin reads them.

```yaml
all:
  children:
    domain_controllers:
      hosts:
        dc[01:03].contoso.com:          # a range: dc01, dc02, dc03
      vars:
        ansible_connection: ldap
```
A group body may be empty; `hosts`, `children` and `vars` must be mappings (a lone string
is one name); other keys are skipped with a warning, as in ansible-core
(ansible/plugins/inventory/yaml.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.inventory.data import InventoryData, Where
from checker.inventory.hostnames import RangeError, expand
from checker.yamlio import Located

SECTIONS = ("vars", "children", "hosts")


def parse_yaml_inventory(doc: Any, src: str, data: InventoryData) -> None:
    where = Where(src, getattr(doc, "line", 1) or 1)
    if not doc:
        raise where.error("empty YAML inventory")
    if not isinstance(doc, Mapping):
        raise where.error("a YAML inventory must be a mapping of groups (e.g. `all:`), "
                          f"got {type(doc).__name__}")
    if doc.get("plugin"):
        raise where.error(f"an inventory plugin configuration (plugin: {doc['plugin']}), not "
                          "an inventory: export it with `ansible-inventory -i FILE --list -y "
                          "--output inventory.yml` and give checker that file")
    for name, body in doc.items():
        _group(data, name, body, _at(doc, name, where))


def _at(mapping: Any, key: Any, default: Where) -> Where:
    if isinstance(mapping, Located):
        return Where(default.file, mapping.line_of(str(key)))
    return default


def _group(data: InventoryData, name: Any, body: Any, where: Where) -> str:
    if body is not None and not isinstance(body, Mapping):
        data.warnings.append(f"{where.file}:{where.line}: skipping {name!r}: not a valid "
                             "group definition")
        return str(name)
    group = data.add_group(name, where)
    if body is None:
        return group
    sections = {}
    for key in SECTIONS:
        value = body.get(key)
        if isinstance(value, str):
            value = {value: None}
        if value is not None and not isinstance(value, Mapping):
            raise _at(body, key, where).error(
                f"invalid {key!r} entry for group {group!r}: requires a mapping, found "
                f"{type(value).__name__}")
        sections[key] = value
    for key in body:
        if key not in SECTIONS:
            line = _at(body, key, where)
            data.warnings.append(f"{line.file}:{line.line}: skipping unexpected key {key!r} in "
                                 f"group {group!r}: only vars, children and hosts are valid")
    _members(data, group, sections, body, where)
    return group


def _members(data: InventoryData, group: str, sections: Mapping[str, Any], body: Any,
             where: Where) -> None:
    for key in body:  # in the file's order, as ansible-core (it decides the host order)
        section = sections.get(key) or {}
        for name, value in section.items():
            line = _at(section, name, where)
            if key == "vars":
                data.set_group_var(group, name, value, line)
            elif key == "children":
                child = _group(data, name, value, line)
                if child in data.groups:
                    data.add_child(group, child, line)
            else:
                _hosts(data, group, name, value, line)


def _hosts(data: InventoryData, group: str, pattern: Any, hvars: Any, where: Where) -> None:
    if not isinstance(pattern, str):
        raise where.error(f"host pattern {pattern!r} must be a string: enclose integers and "
                          "floats in quotation marks")
    if hvars is not None and not isinstance(hvars, Mapping):
        raise where.error(f"host {pattern!r}: variables must be a mapping, got "
                          f"{type(hvars).__name__}")
    try:
        names, port = expand(pattern)
    except RangeError as e:
        raise where.error(str(e)) from None
    for name in names:
        data.add_host(name, group, port, where)
        for var, value in (hvars or {}).items():
            data.set_host_var(name, var, value, _at(hvars, var, where))
