"""Host patterns in inventory files, as ansible-core expands them.

`dc[01:03].contoso.com` -> dc01, dc02, dc03 (zero padding kept), `web[a:c]` -> weba..webc,
`[1:9:2]` takes a stride, several ranges multiply, `host:5986` sets `ansible_port`
(ansible/plugins/inventory/__init__.py expand_hostname_range, parsing/utils/addresses.py).

Names become file paths (`host_vars/<name>`), so a name that could leave the inventory
folder (`../x`, `/etc/passwd`, `C:\\x`) is refused; ansible-core would read outside it.
"""

from __future__ import annotations

import re
import string

MAX_EXPANDED = 1_000_000  # hosts one pattern may expand to

# addresses.py: `[host]:port` and `host:port` where host may hold complete [x:y] ranges
_BRACKETED_PORT = re.compile(r"^\[(.+)\]:([0-9]+)$")
_HOST_PORT = re.compile(r"^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$")
_RANGE = r"\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]"
_LABEL = rf"(?:[\w]|{_RANGE})(?:[\w_-]|{_RANGE})*(?<![_-])"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$", re.I | re.UNICODE)
_IPV4_PART = r"(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|\[[0-9]+:[0-9]+(?::[0-9]+)?\])"
_IPV4 = re.compile(rf"^(?:{_IPV4_PART}\.){{3}}{_IPV4_PART}$")
_PARTS = re.compile(r"[/\\]")
_ABSOLUTE = re.compile(r"^(?:[/\\]|[A-Za-z]:[/\\])")


class RangeError(ValueError):
    pass


def split_port(pattern: str) -> tuple[str, int | None]:
    """(host pattern, port) when the pattern parses as an address with a port (addresses.py);
    anything else is kept whole, as ansible-core does."""
    for rx in (_BRACKETED_PORT, _HOST_PORT):
        m = rx.match(pattern)
        if m:
            host = m.group(1)
            if _HOSTNAME.match(host) or _IPV4.match(host) or rx is _BRACKETED_PORT:
                return host, int(m.group(2))
    return pattern, None


def expand(pattern: str) -> tuple[list[str], int | None]:
    """Host names and port of one inventory host pattern."""
    host, port = split_port(pattern)
    if "[" not in host:
        return [host], port
    names: list[str] = []
    _expand_into(host, names)
    return names, port


def _expand_into(line: str, out: list[str]) -> None:
    head, _, rest = line.partition("[")
    body, sep, tail = rest.partition("]")
    if not sep:
        raise RangeError(f"host range without a closing ]: {line!r}")
    for item in _sequence(body):
        name = f"{head}{item}{tail}"
        if "[" in name:
            _expand_into(name, out)
        else:
            out.append(name)
        if len(out) > MAX_EXPANDED:
            raise RangeError(f"host range expands to more than {MAX_EXPANDED:,} hosts")


def _sequence(body: str) -> list[str]:
    bounds = body.split(":")
    if len(bounds) not in (2, 3):
        raise RangeError("host range must be begin:end or begin:end:step")
    beg, end = bounds[0] or "0", bounds[1]
    step = _int(bounds[2] if len(bounds) == 3 else "1", "step")
    if not end:
        raise RangeError("host range must specify end value")
    if step <= 0:
        raise RangeError("host range step must be a positive number")
    width = len(beg) if beg[0] == "0" and len(beg) > 1 else 0
    if width and width != len(end):
        raise RangeError("host range must specify equal-length begin and end formats")
    if beg in string.ascii_letters and end in string.ascii_letters:
        i, j = string.ascii_letters.index(beg), string.ascii_letters.index(end)
        if i > j:
            raise RangeError("host range must have begin <= end")
        return list(string.ascii_letters[i:j + 1:step])
    first, last = _int(beg, "begin"), _int(end, "end")
    if (last - first) // step > MAX_EXPANDED:
        raise RangeError(f"host range expands to more than {MAX_EXPANDED:,} hosts")
    return [str(n).zfill(width) for n in range(first, last + 1, step)]


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise RangeError(f"host range {what} {text!r} is not a number or a letter") from None


def unsafe_name(name: str) -> str | None:
    """Why a host or group name cannot be used as a file name under host_vars/ or
    group_vars/ (None when it can): it must not climb out of the folder (`..`), name the
    folder itself (`.`), or be an absolute path (`/x`, `C:\\x`)."""
    if "\x00" in name:
        return f"{name!r} contains a NUL character"
    if _ABSOLUTE.match(name) or {".", ".."} & set(_PARTS.split(name)):
        return (f"{name!r} is a path out of the inventory folder: host and group names "
                "become file names in host_vars/ and group_vars/")
    return None
