"""Built-in cmdlets of the lab engine: the pipeline utilities the collectors use."""

from __future__ import annotations

import datetime as dt
import fnmatch
from typing import TYPE_CHECKING, Any

from .expressions import ScriptBlock
from .json51 import to_json
from .values import (
    Hashtable,
    PSError,
    PSObj,
    compare,
    enumerate_value,
    property_of,
    to_string,
    truthy,
    unsupported,
)

if TYPE_CHECKING:
    from .engine import Engine, Invocation

UTILITY = "Microsoft.PowerShell.Commands."


def _block_each(inv: Invocation, block: ScriptBlock) -> list[list[Any]]:
    return [inv.interp.invoke_block(block, inv.scope, current=item, with_current=True)
            for item in inv.input]


def foreach_object(inv: Invocation) -> list[Any]:
    action = inv.param("Process", 0) or inv.param("MemberName")
    if isinstance(action, ScriptBlock):
        return [o for out in _block_each(inv, action) for o in out]
    if isinstance(action, str):
        return [o for item in inv.input for o in enumerate_value(property_of(item, action))]
    raise unsupported("ForEach-Object without a script block or member name")


def where_object(inv: Invocation) -> list[Any]:
    block = inv.param("FilterScript", 0)
    if isinstance(block, ScriptBlock):
        return [item for item, out in zip(inv.input, _block_each(inv, block), strict=True)
                if truthy(out[0] if len(out) == 1 else out)]
    name = inv.param("Property", 0)
    for op in ("eq", "ne", "like", "notlike", "match", "gt", "ge", "lt", "le", "contains"):
        if op in inv.params:
            value = inv.params[op]
            return [i for i in inv.input if truthy(compare(op, property_of(i, str(name)), value))]
    return [i for i in inv.input if truthy(property_of(i, str(name)))]


def _selected(item: Any, spec: Any) -> list[tuple[str, Any]]:
    if isinstance(spec, Hashtable):  # calculated property @{n='X'; e={...}}
        name = spec.get_ci("Name") or spec.get_ci("n") or spec.get_ci("Label") or spec.get_ci("l")
        expr = spec.get_ci("Expression") or spec.get_ci("e")
        if isinstance(expr, ScriptBlock):
            raise unsupported("script blocks in calculated properties; use ForEach-Object")
        return [(str(name), property_of(item, str(expr)))]
    names = item.props if isinstance(item, PSObj) else (item if isinstance(item, Hashtable) else {})
    if any(c in str(spec) for c in "*?["):
        return [(n, property_of(item, n)) for n in names if fnmatch.fnmatch(n.lower(),
                                                                            str(spec).lower())]
    return [(str(spec), property_of(item, str(spec)))]


def select_object(inv: Invocation) -> list[Any]:
    items = list(inv.input)
    if inv.param("Skip") is not None:
        items = items[int(inv.param("Skip")):]
    if inv.param("First") is not None:
        items = items[: int(inv.param("First"))]
    if inv.param("Last") is not None:
        items = items[-int(inv.param("Last")):] if int(inv.param("Last")) else []
    expand, specs = inv.param("ExpandProperty"), inv.param("Property", 0)
    out: list[Any] = []
    for item in items:
        if specs is not None:
            props = dict(p for s in enumerate_value(specs) for p in _selected(item, s))
            source = item.type_names[0] if isinstance(item, PSObj) else "System.Object"
            item = PSObj(["Selected." + source], props, note=True)
        out.extend(enumerate_value(property_of(item, str(expand))) if expand else [item])
    return out


def sort_object(inv: Invocation) -> list[Any]:
    keys = [str(k) for k in enumerate_value(inv.param("Property", 0))]

    def key(item: Any) -> tuple[Any, ...]:
        values = [property_of(item, k) for k in keys] if keys else [item]
        return tuple((v is not None, to_string(v).lower() if isinstance(v, str) else v)
                     for v in values)

    return sorted(inv.input, key=key, reverse=inv.switch("Descending"))


def convertto_json(inv: Invocation) -> list[Any]:
    """5.1: null pipeline items are dropped (ProcessRecord), one item is written as itself,
    several as an array, nothing at all writes nothing."""
    if "inputobject" in {k.lower() for k in inv.params} or inv.args:
        items = [inv.param("InputObject", 0)]
    else:
        items = [i for i in inv.input if i is not None]
    if not items:
        return []
    value = items[0] if len(items) == 1 else items
    engine = inv.interp.engine
    text = to_json(value, int(inv.param("Depth", default=2)), inv.switch("Compress"),
                   engine.timezone)
    return [engine.json_filter(text)]


def get_module(inv: Invocation) -> list[Any]:
    pattern = str(inv.param("Name", 0, "*")).lower()
    return [PSObj(["System.Management.Automation.PSModuleInfo"], {"Name": m}, to_string=m)
            for m in sorted(inv.interp.engine.modules) if fnmatch.fnmatch(m, pattern)]


def get_command(inv: Invocation) -> list[Any]:
    name = str(inv.param("Name", 0, "*"))
    hits = [n for n in sorted(inv.interp.engine.cmdlets) if fnmatch.fnmatch(n, name.lower())]
    if not hits:
        inv.error(PSError(f"The term '{name}' is not recognized as the name of a cmdlet.",
                          "CommandNotFoundException," + UTILITY + "GetCommandCommand",
                          "ObjectNotFound", "System.Management.Automation."
                          "CommandNotFoundException", name))
    return [PSObj(["System.Management.Automation.CmdletInfo"], {"Name": n}, to_string=n)
            for n in hits]


def write_error(inv: Invocation) -> list[Any]:
    inv.error(PSError(to_string(inv.param("Message", 0)), UTILITY + "WriteErrorException",
                      "NotSpecified", UTILITY + "WriteErrorException"))
    return []


def start_sleep(inv: Invocation) -> list[Any]:
    ms = inv.param("Milliseconds")
    inv.w.sleep(float(ms) / 1000 if ms is not None else float(inv.param("Seconds", 0, 0)))
    return []


def register_builtins(e: Engine) -> None:
    table = {
        ("ForEach-Object", "%", "foreach"): foreach_object,
        ("Where-Object", "?", "where"): where_object,
        ("Select-Object", "select"): select_object,
        ("Sort-Object", "sort"): sort_object,
        ("ConvertTo-Json",): convertto_json,
        ("Get-Module",): get_module,
        ("Get-Command", "gcm"): get_command,
        ("Write-Error",): write_error,
        ("Start-Sleep", "sleep"): start_sleep,
        ("Write-Output", "echo"): lambda inv: list(inv.input) + [
            o for a in inv.args for o in enumerate_value(a)],
        ("Out-Null",): lambda inv: [],
        ("Get-Date",): lambda inv: [dt.datetime.now(inv.interp.engine.timezone)],
        ("Measure-Object",): lambda inv: [PSObj([UTILITY + "GenericMeasureInfo"],
                                                {"Count": len(inv.input)})],
    }
    for names, fn in table.items():
        e.cmdlet(*names)(fn)
