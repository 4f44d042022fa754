"""Lab values -> psrpcore objects on the wire, and the stream writer cmdlets get."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from psrpcore.types import (
    ErrorCategory,
    ErrorCategoryInfo,
    ErrorRecord,
    NETException,
    PSInvocationState,
    PSNoteProperty,
    PSObject,
)

from .values import Hashtable, KeyedCollection, PSEnum, PSError, PSObj, to_string


def to_wire(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float, dt.datetime, uuid.UUID,
                                           dt.timedelta)):
        return value
    if isinstance(value, PSEnum):
        return value.name
    if isinstance(value, PSObject) or hasattr(value, "PSObject"):
        return value  # already a psrpcore object (an endpoint module built the wire form)
    if isinstance(value, (list, KeyedCollection)):
        return [to_wire(v) for v in (value.items if isinstance(value, KeyedCollection) else value)]
    if isinstance(value, Hashtable):
        value = PSObj(["System.Collections.Hashtable"], dict(value), note=True)
    if isinstance(value, PSObj):
        obj = PSObject()
        obj.PSObject.type_names = [*value.type_names, "System.Object"]
        bag = obj.PSObject.extended_properties if value.note else obj.PSObject.adapted_properties
        for k, v in value.props.items():
            bag.append(PSNoteProperty(str(k), to_wire(v)))
        obj.PSObject.to_string = to_string(value)
        return obj
    return to_string(value)


class ErrorWriter:
    """What the engine writes to PowerShell streams (thread-safe; honours Stop)."""

    class Stopped(Exception):
        pass

    def __init__(self, server: Any, shell: Any, pipe: Any) -> None:
        self.server, self.shell, self.pipe = server, shell, pipe

    def sleep(self, seconds: float) -> None:
        if self.pipe.stop_requested.wait(seconds):
            raise self.Stopped()

    def _write(self, method: str, *args: Any, **kwargs: Any) -> None:
        with self.server.cond:
            if self.pipe.stop_requested.is_set() or \
                    self.pipe.ps.state != PSInvocationState.Running:
                raise self.Stopped()
            getattr(self.pipe.ps, method)(*args, **kwargs)
            self.server._flush(self.shell)

    def output(self, obj: Any) -> None:
        self._write("write_output", obj)

    def warning(self, text: str) -> None:
        self._write("write_warning", text)

    def error(self, err: PSError) -> None:
        rec = self.record(err)
        self._write("write_error", rec.Exception, rec.CategoryInfo,
                    fully_qualified_error_id=rec.FullyQualifiedErrorId)

    @staticmethod
    def record(err: PSError) -> ErrorRecord:
        exc = NETException(Message=err.message, HResult=-2146233087)
        exc.PSObject.type_names = [err.exception_type, "System.Exception", "System.Object"]
        category = getattr(ErrorCategory, err.category, ErrorCategory.NotSpecified)
        info = ErrorCategoryInfo(Category=category, Reason=err.exception_type.rsplit(".", 1)[-1],
                                 TargetName=err.target)
        return ErrorRecord(Exception=exc, CategoryInfo=info, FullyQualifiedErrorId=err.error_id)
