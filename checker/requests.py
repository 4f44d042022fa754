"""The requests a collector hands to a transport: what to read, never how.

They sit below both collectors and transports, so a transport serves a request without
importing any collector. A collector names the transports that can serve it; the plan checks
that before any connection opens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LdapSearch:
    """One LDAP search. `base` may name a RootDSE naming context in braces, e.g.
    "{schemaNamingContext}" or "CN=Microsoft Exchange,CN=Services,{configurationNamingContext}";
    the transport fills it in. Values inside `filter` are escaped (RFC 4515) by the collector
    with `checker.wire.ldap_filter.escape` before this object is built."""

    base: str
    filter: str
    attributes: tuple[str, ...]
    scope: str = "subtree"  # "base" | "one" | "subtree"
    paged: bool = True
    # a base that must exist: noSuchObject on it is an error, never an empty result
    base_required: bool = False
    # under a forest scope (checker_ldap_scope: forest) the transport runs this search on the
    # Global Catalog with base "" instead; every attribute it uses must then be in the
    # partial attribute set
    forest_wide: bool = False
    # attributes a Global Catalog search may go without (dropped when the GC does not hold
    # them); every other attribute it uses must be in the partial attribute set
    gc_optional: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.scope} {self.base} {self.filter} [{','.join(self.attributes)}]"


@dataclass(frozen=True)
class LdapRequest:
    """Named searches. The raw reply is `{name: iterable of entries}` where an entry is
    `{"dn": str, "attributes": {name: [str, ...]}}` (values as strings, as LDAP sends them),
    or a search reference `{"ref": [url, ...]}` (a part of the tree another naming context
    holds, e.g. a child domain). The iterables may be lazy generators over paged results:
    consume each once.

    `shared`: "domain" when the reply is the same from every DC of a domain (directory
    objects, not one DC's own state), "forest" when it is the same from every DC of the
    forest (configuration), "" when it is this DC's own. The gather stage reads shared facts
    from one DC per domain or forest; domain facts whose forest-wide searches run on the
    Global Catalog are read once per forest."""

    searches: Mapping[str, LdapSearch]
    shared: str = ""

    def describe(self) -> str:
        return "; ".join(f"{n}: {s.describe()}" for n, s in self.searches.items())


@dataclass(frozen=True)
class PsSnippet:
    """A PowerShell snippet whose output (objects) is the fact's raw data.

    The PSRP transport batches all of one host's snippets into one script and one pipeline,
    and converts each snippet's output with `ConvertTo-Json` (Windows PowerShell 5.1 dialect:
    dates as "\\/Date(ms)\\/", enums as ints, a lone object instead of a one-item array).
    Parameters are passed as PowerShell variables quoted by the transport, never spliced.
    """

    script: str
    params: Mapping[str, Any] | None = None

    def describe(self) -> str:
        return self.script


@dataclass(frozen=True)
class PsCmdlet:
    """One cmdlet call, for endpoints that take commands but no scripts (Exchange's
    `Microsoft.Exchange` endpoint and JEA endpoints run in NoLanguage mode).

    The transport sends `name` with `parameters` as a command (never as script text), reads
    the deserialized objects back and keeps only `properties` of each: the raw reply is an
    iterable of `{property: plain value}` (see `checker.wire.clixml`), lazy when the result
    is large, so consume it once. `output_type` is the .NET type the cmdlet returns (as the
    server serializes it, without the client's "Deserialized." prefix): objects of any other
    type in the reply are an error. `result_size` is passed as `-ResultSize` (Exchange's
    default is 1000, with a warning); "Unlimited" streams every object.
    """

    name: str
    output_type: str
    properties: tuple[str, ...]
    parameters: tuple[tuple[str, Any], ...] = ()
    result_size: int | str | None = None

    def arguments(self) -> dict[str, Any]:
        """The parameters as sent, -ResultSize included."""
        args = dict(self.parameters)
        if self.result_size is not None:
            args["ResultSize"] = self.result_size
        return args

    def describe(self) -> str:
        args = "".join(f" -{k} {v!r}" for k, v in self.arguments().items())
        return f"{self.name}{args} [{','.join(self.properties)}]"
