"""Just enough of MS-NRBF (.NET BinaryFormatter) to write an ExchangeCertificate's
SerializationData the way Exchange does: a class record of primitive, string, enum (a nested
class with `value__`), null and byte-array members. Real layout seen in the CSS-Exchange
HealthChecker export (docs/fidelity.md); read back with the `nrbf` package in the tests."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MGMT = ("Microsoft.Exchange.Management, Version=15.0.0.0, Culture=neutral, "
        "PublicKeyToken=31bf3856ad364e35")
LIBRARY_ID = 2


@dataclass(frozen=True)
class Enum:
    type_name: str
    value: int


def _lps(text: str) -> bytes:
    data = text.encode("utf-8")
    n, out = len(data), bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out) + data


def _i32(n: int) -> bytes:
    return struct.pack("<i", n)


def _class_header(object_id: int, name: str, members: Sequence[str]) -> bytes:
    return (b"\x05" + _i32(object_id) + _lps(name) + _i32(len(members))
            + b"".join(_lps(m) for m in members))


def _member_type(value: Any) -> tuple[bytes, bytes]:
    """(BinaryTypeEnum, additional info) of one member."""
    if isinstance(value, bool):
        return b"\x00", b"\x01"  # Primitive, Boolean
    if isinstance(value, int):
        return b"\x00", b"\x08"  # Primitive, Int32
    if isinstance(value, str):
        return b"\x01", b""  # String
    if isinstance(value, bytes):
        return b"\x07", b"\x02"  # PrimitiveArray of Byte
    if isinstance(value, Enum):
        return b"\x04", _lps(value.type_name) + _i32(LIBRARY_ID)  # Class
    return b"\x02", b""  # Object (null here)


class _Writer:
    def __init__(self) -> None:
        self.next_id = 2
        self.deferred: list[bytes] = []

    def value(self, value: Any) -> bytes:
        if isinstance(value, bool):
            return b"\x01" if value else b"\x00"
        if isinstance(value, int):
            return _i32(value)
        if value is None:
            return b"\x0a"  # ObjectNull
        self.next_id += 1
        if isinstance(value, str):
            return b"\x06" + _i32(self.next_id) + _lps(value)  # BinaryObjectString
        if isinstance(value, bytes):  # MemberReference now, ArraySinglePrimitive at the end
            self.deferred.append(b"\x0f" + _i32(self.next_id) + _i32(len(value)) + b"\x02" + value)
            return b"\x09" + _i32(self.next_id)
        if isinstance(value, Enum):
            return (_class_header(-self.next_id, value.type_name, ["value__"])
                    + b"\x00" + b"\x08" + _i32(LIBRARY_ID) + _i32(value.value))
        raise TypeError(f"cannot write {type(value).__name__}")


def serialize(class_name: str, members: dict[str, Any]) -> bytes:
    """One object of `class_name` (in Microsoft.Exchange.Management) with these members."""
    types = [_member_type(v) for v in members.values()]
    head = (b"\x00" + _i32(1) + _i32(-1) + _i32(1) + _i32(0)
            + b"\x0c" + _i32(LIBRARY_ID) + _lps(MGMT)
            + _class_header(1, class_name, list(members))
            + b"".join(t for t, _ in types) + b"".join(a for _, a in types) + _i32(LIBRARY_ID))
    w = _Writer()
    body = b"".join(w.value(v) for v in members.values())
    return head + body + b"".join(w.deferred) + b"\x0b"
