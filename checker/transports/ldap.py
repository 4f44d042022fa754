"""LDAP transport (ldap3): one bound connection per host per run, paged and streamed searches.

Inventory variables (`ansible_connection: ldap`): declared once in `LDAP_VARS`
(checker/transports/ldap_settings.py), listed in docs/transport-variables.md.
"""

from __future__ import annotations

import contextlib
import re
import ssl
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import ldap3
from ldap3.core import exceptions as lx

from checker.errors import CollectError, TransportError
from checker.facts.model import FactKey
from checker.requests import LdapRequest, LdapSearch
from checker.transports.base import Transport, transports
from checker.transports.ldap_bind import bind_failure, describe_error
from checker.transports.ldap_decode import use_lean_decoding
from checker.transports.ldap_parallel import partitioned, prefetched
from checker.transports.ldap_settings import (
    LDAP_VARS,
    LdapSettings,
    connection_args,
    insecure,
    notes,
)
from checker.transports.ldap_tls import kerberos_credentials, pin, server_args

PAGED_OID = "1.2.840.113556.1.4.319"
SCOPES = {"base": ldap3.BASE, "one": ldap3.LEVEL, "subtree": ldap3.SUBTREE}
ROOTDSE_ATTRS = (
    "defaultNamingContext", "schemaNamingContext", "configurationNamingContext",
    "rootDomainNamingContext", "namingContexts", "dnsHostName", "domainFunctionality",
    "forestFunctionality", "domainControllerFunctionality", "supportedControl",
    "highestCommittedUSN", "supportedSASLMechanisms", "vendorName", "dsServiceName",
)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_FILTER_ATTR = re.compile(r"\(([A-Za-z][\w-]*)(?::[^=]*)?[~<>]?=")
NO_SUCH_OBJECT = 32
_ACCESS_CODES = {50: "insufficient access rights", 1: "operations error (not authenticated?)"}


@transports.register("ldap")
class LdapTransport(Transport):
    """A bound ldap3 connection; searches are paged and streamed as generators."""

    variables = LDAP_VARS

    def __init__(self, host: str, hostvars: Mapping[str, Any], timeout: float) -> None:
        super().__init__(host, hostvars, timeout)
        self.settings = LdapSettings.from_vars(host, hostvars)
        self._conn: ldap3.Connection | None = None
        self._gc: ldap3.Connection | None = None
        self._address: str | None = None
        self._creds: Any = None
        self._pas: dict[str, bool] = {}  # isMemberOfPartialAttributeSet by attribute
        self._pas_read: set[str] = set()
        self.rootdse: dict[str, list[str]] = {}

    @classmethod
    def check_vars(cls, hostvars: Mapping[str, Any]) -> list[str]:
        return LdapSettings.problems(hostvars)

    @classmethod
    def insecure_settings(cls, hostvars: Mapping[str, Any]) -> Sequence[str]:
        settings, _ = LdapSettings._parse("host", hostvars)
        return insecure(settings) if settings else ()

    @classmethod
    def setting_notes(cls, hostvars: Mapping[str, Any]) -> Sequence[str]:
        settings, _ = LdapSettings._parse("host", hostvars)
        return notes(settings) if settings else ()

    def target(self) -> str:
        return self.settings.url

    def open(self) -> None:
        self._address = pin(self.settings, self.timeout)
        if self.settings.auth == "kerberos":
            self._creds = kerberos_credentials(self.settings)
        self._conn = self.connect()
        self.rootdse = self._read_rootdse(self._conn)

    def connect(self, gc: bool = False) -> ldap3.Connection:
        """A new bound connection to the pinned address (the Global Catalog port with `gc`),
        or TransportError naming the reason (never the password)."""
        s = self.settings
        port = s.gc_port if gc else s.port
        where = f"{s.url}" + (f" (Global Catalog port {port})" if gc else "")
        try:
            server = ldap3.Server(**server_args(s, self.timeout, self._address, port))
            extra = {"sasl_credentials": (s.name, None, self._creds)} if self._creds else {}
            conn = ldap3.Connection(server, **connection_args(s, self.timeout), **extra)
            use_lean_decoding(conn)
            conn.open()
            if s.starttls:
                conn.start_tls()
            if not conn.bind():
                raise TransportError(f"{where}: {bind_failure(s, conn.result)}")
        except (lx.LDAPException, OSError, ssl.SSLError) as e:
            raise TransportError(f"{where}: {self.describe(e)}") from None
        except Exception as e:  # gssapi raises its own GSSError tree during the SASL bind
            if type(e).__module__.split(".")[0] != "gssapi":
                raise
            raise TransportError(f"{where}: Kerberos bind failed: {self.describe(e)}") from None
        return conn

    def describe(self, error: BaseException) -> str:
        return describe_error(self.settings, error)

    def close(self) -> None:
        for conn in (self._gc, self._conn):
            if conn is not None:
                with contextlib.suppress(lx.LDAPException, OSError):
                    conn.unbind()
        self._conn = self._gc = None

    def share_key(self, request: Any) -> str | None:
        """Which DCs give the same reply: one domain, or the forest when its forest-wide
        searches run on the Global Catalog."""
        if not isinstance(request, LdapRequest) or not request.shared:
            return None
        if request.shared == "forest" or self._forest(request):
            return f"forest {_dns(self._root('rootDomainNamingContext'))}"
        return f"domain {_dns(self._root('defaultNamingContext'))}"

    def _forest(self, request: LdapRequest) -> bool:
        return self.settings.scope == "forest" and any(
            s.forest_wide for s in request.searches.values())

    def collect(self, requests: Mapping[FactKey, Any]) -> Iterator[tuple[FactKey, Any]]:
        for key, request in requests.items():
            if not isinstance(request, LdapRequest):
                yield key, CollectError(f"{key}: the ldap transport cannot serve {request!r}")
                continue
            try:
                yield key, {n: self.search(s) for n, s in request.searches.items()}
            except CollectError as e:
                yield key, e

    def search(self, search: LdapSearch) -> Iterator[dict[str, Any]]:
        """A lazy stream of entries `{"dn", "attributes": {name: [str]}}` (and search
        references `{"ref": [url]}`) for one search."""
        gc = search.forest_wide and self.settings.scope == "forest"
        base = "" if gc else self.fill(search.base)
        if gc:
            search = self._check_partial_attribute_set(search)
        if self.settings.parallel > 1 and search.paged and search.scope == "subtree":
            return partitioned(self, search, base, gc)
        conn = self._gc_conn() if gc else self._require()
        if search.paged:
            return prefetched(self.page_lists(conn, search, base))
        return self.pages(conn, search, base)

    def fill(self, base: str) -> str:
        """Replace `{schemaNamingContext}`-style placeholders with RootDSE values."""
        return _PLACEHOLDER.sub(lambda m: self._root(m.group(1)), base)

    def _root(self, name: str) -> str:
        found = self.rootdse.get(name.lower())
        if not found:
            raise CollectError(f"RootDSE of {self.settings.url} has no {name}")
        return found[0]

    def pages(self, conn: ldap3.Connection, search: LdapSearch, base: str,
              extra_filter: str = "") -> Iterator[dict[str, Any]]:
        """Run one (paged) search on `conn`, yielding converted entries page by page."""
        for page in self.page_lists(conn, search, base, extra_filter):
            yield from page

    def page_lists(self, conn: ldap3.Connection, search: LdapSearch, base: str,
                   extra_filter: str = "") -> Iterator[list[dict[str, Any]]]:
        """One list of converted entries (and search references) per page."""
        flt = f"(&{search.filter}{extra_filter})" if extra_filter else search.filter
        size = self.settings.page_size if search.paged else 0
        cookie: bytes | None = None
        while True:
            result = self._one_page(conn, search, base, flt, size, cookie)
            page = [convert(e) if e.get("type") == "searchResEntry"
                    else {"ref": list(e.get("uri") or ())}
                    for e in conn.response or () if e.get("type") in _KEPT]
            conn.response = None  # drop the page before fetching the next one
            yield page
            cookie = _cookie(result) if size else None
            if not cookie:
                return

    def _one_page(self, conn: ldap3.Connection, search: LdapSearch, base: str, flt: str,
                  size: int, cookie: bytes | None) -> dict[str, Any]:
        try:
            conn.search(base, flt, SCOPES[search.scope], attributes=list(search.attributes),
                        paged_size=size or None, paged_cookie=cookie)
        except lx.LDAPException as e:
            raise TransportError(f"{self.settings.url}: search {search.describe()} failed: "
                                 f"{self.describe(e)}") from None
        result: dict[str, Any] = conn.result or {}
        code = result.get("result", 0)
        if code == NO_SUCH_OBJECT and search.base_required:
            raise CollectError(f"{self.settings.url}: the search base {base!r} does not exist "
                               f"(noSuchObject): check the base parameter")
        if code not in (0, NO_SUCH_OBJECT):
            reason = _ACCESS_CODES.get(code, _result_text(result))
            raise CollectError(f"{self.settings.url}: search {search.describe()} "
                               f"failed: {reason} ({_result_text(result)})")
        return result

    def _read_rootdse(self, conn: ldap3.Connection) -> dict[str, list[str]]:
        search = LdapSearch("", "(objectClass=*)", ROOTDSE_ATTRS, scope="base", paged=False)
        try:
            entries = [e for e in self.pages(conn, search, "") if "dn" in e]
        except CollectError as e:
            raise TransportError(f"cannot read the RootDSE: {e}") from None
        if not entries:
            raise TransportError(f"{self.settings.url}: the RootDSE is empty or unreadable")
        return {k.lower(): v for k, v in entries[0]["attributes"].items()}

    def same_dc(self, conn: ldap3.Connection) -> None:
        """CollectError unless `conn` reached the DC this transport opened (dsServiceName)."""
        theirs = self._read_rootdse(conn).get("dsservicename")
        if theirs != self.rootdse.get("dsservicename"):
            raise CollectError(
                f"{self.settings.url}: a parallel connection reached another DC ({theirs} "
                f"instead of {self.rootdse.get('dsservicename')}); uSNChanged is local to "
                "each DC, so the partitions would not add up: set checker_ldap_parallel: 1")

    def _gc_conn(self) -> ldap3.Connection:
        if self._gc is None:
            self._gc = self.connect(gc=True)
            self.same_dc(self._gc)
        return self._gc

    def _check_partial_attribute_set(self, search: LdapSearch) -> LdapSearch:
        """Every attribute a Global Catalog search reads or filters on must be replicated to
        the GC (isMemberOfPartialAttributeSet), else the GC silently leaves it out (IdFix
        checks the same). Optional ones the GC lacks are dropped from the search."""
        used = {a.lower(): a for a in (*search.attributes, *_FILTER_ATTR.findall(search.filter))}
        unknown = [a for a in used if a not in self._pas and a not in self._pas_read]
        if unknown:
            self._pas.update(self._read_pas(unknown))
            self._pas_read.update(unknown)
        optional = {a.lower() for a in search.gc_optional}
        missing = sorted(used[a] for a in used if self._pas.get(a) is False and a not in optional)
        if missing:
            raise CollectError(
                f"{self.settings.url}: checker_ldap_scope forest reads the Global Catalog, "
                f"which does not hold {', '.join(missing)} (isMemberOfPartialAttributeSet is "
                "not TRUE): use checker_ldap_scope: domain with a DC of every domain")
        kept = tuple(a for a in search.attributes
                     if self._pas.get(a.lower()) is not False or a.lower() not in optional)
        return replace(search, attributes=kept)

    def _read_pas(self, names: Sequence[str]) -> dict[str, bool]:
        from checker.wire.ldap_filter import any_of

        search = LdapSearch("{schemaNamingContext}", any_of("lDAPDisplayName", names),
                            ("lDAPDisplayName", "isMemberOfPartialAttributeSet"), scope="one")
        found: dict[str, bool] = {}  # an attribute the schema lacks is absent everywhere
        for entry in self.pages(self._require(), search, self.fill(search.base)):
            attrs = {k.lower(): v for k, v in entry.get("attributes", {}).items()}
            name = (attrs.get("ldapdisplayname") or [""])[0].lower()
            found[name] = (attrs.get("ismemberofpartialattributeset") or [""])[0] == "TRUE"
        return found

    def _require(self) -> ldap3.Connection:
        if self._conn is None:
            raise TransportError(f"{self.settings.url}: not connected")
        return self._conn

    @property
    def address(self) -> str | None:
        return self._address


_BINARY = {"objectguid": lambda b: str(uuid.UUID(bytes_le=b))}
_KEPT = ("searchResEntry", "searchResRef")


def _dns(dn: str) -> str:
    """DC=lab,DC=example,DC=com -> lab.example.com (how an admin names a domain)."""
    return ".".join(p.split("=", 1)[1] for p in dn.split(",") if "=" in p).lower()


def _result_text(result: Mapping[str, Any] | None) -> str:
    if not result:
        return "no result"
    message = str(result.get("message") or "").strip()
    return f"{result.get('description')}" + (f": {message}" if message else "")


def _cookie(result: Mapping[str, Any]) -> bytes | None:
    try:
        value: bytes | None = result["controls"][PAGED_OID]["value"]["cookie"]
    except (KeyError, TypeError):
        return None
    return value or None


def convert(entry: Mapping[str, Any]) -> dict[str, Any]:
    """ldap3's entry -> the contract form: values as strings (objectGUID as a GUID string)."""
    attrs: dict[str, list[str]] = {}
    for name, values in entry.get("raw_attributes", {}).items():
        decode = _BINARY.get(name.lower())
        if decode is not None:
            attrs[name] = [decode(v) for v in values]
        else:
            attrs[name] = [v.decode("utf-8", "replace") for v in values]
    return {"dn": entry["dn"], "attributes": attrs}
