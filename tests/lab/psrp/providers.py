"""The registry and file-system providers, as far as scripts that locate a module use them:
Get-ItemProperty on a registry key, Test-Path, Join-Path, and Import-Module by path.

An `Engine` carries what the server has: `registry` maps a key (`HKLM:\\...`) to its values,
`files` maps a file path to the module it holds ("" for any other file). Paths compare
case-insensitively, as on Windows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .values import PSError, PSObj, enumerate_value, to_string

if TYPE_CHECKING:
    from .engine import Engine, Invocation

PROVIDERS = "Microsoft.PowerShell.Core\\"


def _norm(path: str) -> str:
    return path.replace("/", "\\").rstrip("\\").lower()


def _not_found(path: str, cmdlet: str) -> PSError:
    return PSError(f"Cannot find path '{path}' because it does not exist.",
                   f"PathNotFound,Microsoft.PowerShell.Commands.{cmdlet}Command", "ObjectNotFound",
                   "System.Management.Automation.ItemNotFoundException", path)


def _path(inv: Invocation) -> str:
    return to_string(inv.param("LiteralPath") or inv.param("Path", 0))


def get_item_property(inv: Invocation) -> list[Any]:
    path = _path(inv)
    values = inv.interp.engine.registry_key(path)
    if values is None:
        inv.error(_not_found(path, "GetItemProperty"))
        return []
    names = [to_string(n) for n in enumerate_value(inv.param("Name", 1))] or list(values)
    found = {}
    for name in names:
        key = next((k for k in values if k.lower() == name.lower()), None)
        if key is None:
            inv.error(PSError(f"Property {name} does not exist at path {path}.",
                              "System.Management.Automation.PSArgumentException,"
                              "Microsoft.PowerShell.Commands.GetItemPropertyCommand",
                              "InvalidArgument", "System.Management.Automation."
                              "PSArgumentException", name))
            continue
        found[key] = values[key]
    if not found:
        return []
    meta = {"PSPath": f"{PROVIDERS}Registry::{path}", "PSProvider": f"{PROVIDERS}Registry"}
    return [PSObj(["System.Management.Automation.PSCustomObject"], {**found, **meta}, note=True)]


def test_path(inv: Invocation) -> list[Any]:
    engine = inv.interp.engine
    path = _path(inv)
    return [engine.registry_key(path) is not None or _norm(path) in engine.files]


def join_path(inv: Invocation) -> list[Any]:
    parent, child = to_string(inv.param("Path", 0)), to_string(inv.param("ChildPath", 1))
    return [parent.rstrip("\\/") + "\\" + child.lstrip("\\/")]


def import_module(inv: Invocation) -> list[Any]:
    """By name (from PSModulePath: `engine.modules`) or by the path of its manifest."""
    engine = inv.interp.engine
    for spec in enumerate_value(inv.param("Name", 0)):
        text = to_string(spec)
        module = engine.files.get(_norm(text)) if "\\" in text or "/" in text \
            else (text.lower() if text.lower() in engine.modules else None)
        if not module:
            inv.error(PSError(f"The specified module '{text}' was not loaded because no valid "
                              "module file was found in any module directory.",
                              "Modules_ModuleNotFound,Microsoft.PowerShell.Commands."
                              "ImportModuleCommand", "ResourceUnavailable",
                              "System.IO.FileNotFoundException", text))
            continue
        inv.interp.imported.add(module)
    return []


def register_providers(e: Engine) -> None:
    table = {
        ("Get-ItemProperty", "gp"): get_item_property,
        ("Test-Path",): test_path,
        ("Join-Path",): join_path,
        ("Import-Module", "ipmo"): import_module,
    }
    for names, fn in table.items():
        e.cmdlet(*names)(fn)
