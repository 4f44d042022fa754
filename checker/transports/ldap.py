"""LDAP transport (ldap3): one bound connection per host per run, paged and streamed searches.

Inventory variables (`ansible_connection: ldap`):

    ansible_host / ansible_port     the DC (default port 389, or 636 for ldaps://)
    ansible_user / ansible_password  bind identity; NTLM wants DOMAIN\\user
    checker_ldap_url                ldap[s]://host[:port] (default ldap://ansible_host)
    checker_ldap_auth               simple (default) | ntlm (MS Sicily bind, Windows DCs only)
    checker_ldap_starttls           upgrade ldap:// with StartTLS (default false)
    checker_ldap_validate_certs     verify the server certificate (default true)
    checker_ldap_ca_file            PEM bundle of the CAs to trust (default: system store)
    checker_ldap_server_name        a further name to accept in the certificate (and SNI)
    checker_ldap_page_size          paged-search page size (default 1000)
    checker_ldap_parallel           connections for large subtree searches (default 1)
"""

from __future__ import annotations

import contextlib
import queue
import re
import ssl
import threading
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import ldap3
from ldap3.core import exceptions as lx

from checker.errors import CollectError, TransportError
from checker.facts.model import FactKey
from checker.requests import LdapRequest, LdapSearch
from checker.transports.base import Transport, transports
from checker.transports.ldap_settings import LdapSettings, connection_args, server_args

PAGED_OID = "1.2.840.113556.1.4.319"
SCOPES = {"base": ldap3.BASE, "one": ldap3.LEVEL, "subtree": ldap3.SUBTREE}
ROOTDSE_ATTRS = (
    "defaultNamingContext", "schemaNamingContext", "configurationNamingContext",
    "rootDomainNamingContext", "namingContexts", "dnsHostName", "domainFunctionality",
    "forestFunctionality", "domainControllerFunctionality", "supportedControl",
    "highestCommittedUSN", "supportedSASLMechanisms", "vendorName", "dsServiceName",
)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
NO_SUCH_OBJECT = 32
_ACCESS_CODES = {50: "insufficient access rights", 1: "operations error (not authenticated?)"}


@transports.register("ldap")
class LdapTransport(Transport):
    """A bound ldap3 connection; searches are paged and streamed as generators."""


    def __init__(self, host: str, hostvars: Mapping[str, Any], timeout: float) -> None:
        super().__init__(host, hostvars, timeout)
        self.settings = LdapSettings.from_vars(host, hostvars)
        self._conn: ldap3.Connection | None = None
        self.rootdse: dict[str, list[str]] = {}

    @classmethod
    def check_vars(cls, hostvars: Mapping[str, Any]) -> list[str]:
        return LdapSettings.problems(hostvars)

    def target(self) -> str:
        return self.settings.url

    def open(self) -> None:
        self._conn = self.connect()
        self.rootdse = self._read_rootdse()

    def connect(self) -> ldap3.Connection:
        """A new bound connection, or TransportError naming the reason (never the password)."""
        s = self.settings
        try:
            server = ldap3.Server(**server_args(s, self.timeout))
            conn = ldap3.Connection(server, **connection_args(s, self.timeout))
            conn.open()
            if s.starttls:
                conn.start_tls()
            if not conn.bind():
                raise TransportError(f"{s.url}: bind as {s.user or 'anonymous'} failed: "
                                     f"{_result_text(conn.result)}")
        except lx.LDAPException as e:
            raise TransportError(f"{s.url}: {self.describe(e)}") from None
        except (OSError, ssl.SSLError) as e:
            raise TransportError(f"{s.url}: {self.describe(e)}") from None
        return conn

    def describe(self, error: BaseException) -> str:
        """A one-line reason for an ldap3/socket error with any secret scrubbed."""
        text = f"{_KINDS.get(type(error).__name__, type(error).__name__)}: {error}"
        if self.settings.password:
            text = text.replace(self.settings.password, "********")
        return text.strip().rstrip(":")

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(lx.LDAPException, OSError):
                conn.unbind()

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
        """A lazy stream of entries `{"dn", "attributes": {name: [str]}}` for one search."""
        base = self.fill(search.base)
        if self.settings.parallel > 1 and search.paged and search.scope == "subtree":
            return partitioned(self, search, base)
        return self.pages(self._require(), search, base)

    def fill(self, base: str) -> str:
        """Replace `{schemaNamingContext}`-style placeholders with RootDSE values."""

        def value(m: re.Match[str]) -> str:
            found = self.rootdse.get(m.group(1).lower())
            if not found:
                raise CollectError(f"RootDSE of {self.settings.url} has no {m.group(1)}")
            return found[0]

        return _PLACEHOLDER.sub(value, base)

    def pages(self, conn: ldap3.Connection, search: LdapSearch, base: str,
              extra_filter: str = "") -> Iterator[dict[str, Any]]:
        """Run one (paged) search on `conn`, yielding converted entries page by page."""
        flt = f"(&{search.filter}{extra_filter})" if extra_filter else search.filter
        size = self.settings.page_size if search.paged else 0
        cookie: bytes | None = None
        while True:
            result = self._one_page(conn, search, base, flt, size, cookie)
            for entry in conn.response or ():
                if entry.get("type") == "searchResEntry":
                    yield convert(entry)
            conn.response = None  # drop the page before fetching the next one
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
        if code not in (0, NO_SUCH_OBJECT):
            reason = _ACCESS_CODES.get(code, _result_text(result))
            raise CollectError(f"{self.settings.url}: search {search.describe()} "
                               f"failed: {reason} ({_result_text(result)})")
        return result

    def _read_rootdse(self) -> dict[str, list[str]]:
        search = LdapSearch("", "(objectClass=*)", ROOTDSE_ATTRS, scope="base", paged=False)
        try:
            entries = list(self.pages(self._require(), search, ""))
        except CollectError as e:
            raise TransportError(f"cannot read the RootDSE: {e}") from None
        if not entries:
            raise TransportError(f"{self.settings.url}: the RootDSE is empty or unreadable")
        return {k.lower(): v for k, v in entries[0]["attributes"].items()}

    def _require(self) -> ldap3.Connection:
        if self._conn is None:
            raise TransportError(f"{self.settings.url}: not connected")
        return self._conn


_KINDS = {
    "LDAPSocketOpenError": "cannot connect",
    "LDAPSocketReceiveError": "receive failed or timed out",
    "LDAPResponseTimeoutError": "timed out waiting for the server",
    "LDAPSessionTerminatedByServerError": "the server closed the connection",
    "LDAPSocketSendError": "send failed",
    "LDAPStartTLSError": "StartTLS failed",
    "LDAPCertificateError": "TLS certificate rejected",
    "LDAPBindError": "bind failed",
    "LDAPPackageUnavailableError": "missing package",
}
_BINARY = {"objectguid": lambda b: str(uuid.UUID(bytes_le=b))}


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


def partitioned(t: LdapTransport, search: LdapSearch, base: str) -> Iterator[dict[str, Any]]:
    """One subtree search split into `parallel` disjoint uSNChanged ranges, each paged on its
    own connection in a thread; pages meet in a bounded queue, so memory stays flat.

    Every object has exactly one uSNChanged, so the ranges are disjoint and complete for a
    consistent read; an object changed during the scan may move range (a live directory
    gives no stronger guarantee to one paged search either)."""
    high = int((t.rootdse.get("highestcommittedusn") or ["0"])[0]) + 1
    n = t.settings.parallel
    bounds = [high * i // n for i in range(n + 1)]
    pages: queue.Queue[list[dict[str, Any]] | BaseException | None] = queue.Queue(maxsize=2 * n)
    stop = threading.Event()

    def put(item: list[dict[str, Any]] | BaseException | None) -> None:
        while not stop.is_set():
            try:
                pages.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def work(low: int, up: int) -> None:
        conn: ldap3.Connection | None = None
        try:
            conn = t.connect()
            batch: list[dict[str, Any]] = []
            rng = f"(uSNChanged>={low})" + (f"(uSNChanged<={up - 1})" if up < high else "")
            for entry in t.pages(conn, search, base, extra_filter=rng):
                batch.append(entry)
                if len(batch) >= t.settings.page_size:
                    put(batch)
                    batch = []
            put(batch)
            put(None)
        except CollectError as e:
            put(e)
        finally:
            if conn is not None:
                conn.unbind()

    threads = [threading.Thread(target=work, args=(bounds[i], bounds[i + 1]), daemon=True)
               for i in range(n)]
    for th in threads:
        th.start()
    try:
        done = 0
        while done < n:
            item = pages.get()
            if item is None:
                done += 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield from item
    finally:
        stop.set()
