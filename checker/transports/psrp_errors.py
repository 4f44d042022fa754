"""pypsrp plumbing of the PSRP transport: exceptions to one-line reasons, the one-time
resolution of the requests session's environment, and a fix to pypsrp 0.9's deserializer."""

from __future__ import annotations

import re
from typing import Any

from checker.errors import CollectError, TransportError


def resolve_environment_once(wsman: Any) -> None:
    """pypsrp 0.9 builds its requests session with trust_env on, and requests then re-reads
    the proxy variables of os.environ on every WSMan message (13% of the client's CPU per
    host). The session already holds the resolved proxies and CA bundle: build it now and
    stop the per-message lookups. Skipped quietly if pypsrp's internals differ."""
    transport = getattr(wsman, "transport", None)
    build = getattr(transport, "_build_session", None)
    if transport is None or build is None or getattr(transport, "session", None) is not None:
        return
    transport.session = build()
    transport.session.trust_env = False


class ErrorMapper:
    """Turns pypsrp/requests/spnego exceptions into a TransportError with a short message."""

    def __init__(self, transport: Any, doing: str) -> None:
        self.transport, self.doing = transport, doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is None or isinstance(exc, CollectError) or not isinstance(exc, Exception):
            return
        reason = self.transport._scrub(describe(exc))
        raise TransportError(f"{self.transport.target()}: {self.doing} failed: {reason}") from None


def describe(exc: Exception) -> str:
    """A one-line reason for a pypsrp/requests/spnego exception."""
    import requests
    from pypsrp.exceptions import AuthenticationError, WinRMTransportError, WSManFaultError

    if isinstance(exc, AuthenticationError):
        return "authentication failed (wrong user name or password?)"
    if isinstance(exc, WinRMTransportError):
        if exc.code == 401:
            return "authentication failed (HTTP 401)"
        return f"HTTP {exc.code} from the WinRM service"
    if isinstance(exc, WSManFaultError):
        return f"WSMan fault {exc.code}: {exc.reason or exc.message}".strip()
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "timed out waiting for a reply"
    if isinstance(exc, requests.exceptions.SSLError):  # before ConnectionError, its parent
        return tls_failure(str(exc))
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc)
        return "connection refused" if "refused" in text.lower() else "connection failed"
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def tls_failure(text: str) -> str:
    """The TLS reason in urllib3's wrapped message: a certificate the client does not trust
    is named as one, with the fix that keeps verification on."""
    found = re.search(r"certificate verify failed: (.+?)(?: \(_ssl\.c:\d+\))?['\")]", text)
    if found or "CERTIFICATE_VERIFY_FAILED" in text:
        reason = found.group(1) if found else "not trusted"
        return (f"TLS certificate verification failed: {reason} (give the CA that signed "
                "the server's certificate: ansible_psrp_cert_trust_path, "
                "ansible_winrm_ca_trust_path)")
    found = re.search(r"\[SSL: ([A-Z_]+)\] ([^(']+)", text)
    return f"TLS handshake failed: {found.group(2).strip() if found else text[:200]}"


def deserialize_typed_collections(pool: Any) -> None:
    """pypsrp 0.9 returns a collection with its own type name (Exchange's
    MultiValuedProperty`1, ProxyAddressCollection: `<Obj><TN>..</TN><LST>..</LST></Obj>`) as
    raw XML, so type names first defined inside it are unknown when a later object refers to
    them, and the whole reply fails with a KeyError (jborean93/pypsrp#155, #3). Give the pool a
    serializer that reads such a collection as a list, as PowerShell does."""
    from pypsrp.serializer import Serializer

    serializer = _CollectionSerializer()
    serializer.cipher = getattr(pool._serializer, "cipher", None)
    if isinstance(getattr(pool, "_serializer", None), Serializer):
        pool._serializer = serializer
        pool._fragmenter.serializer = serializer


def _collection_serializer() -> Any:
    import xml.etree.ElementTree as ET

    from pypsrp.serializer import Serializer

    class CollectionSerializer(Serializer):
        def deserialize(self, element: Any, metadata: Any = None, clear: bool = True) -> Any:
            if isinstance(element, ET.Element) and element.tag in ("LST", "IE") \
                    and metadata is None:
                return [self.deserialize(e, clear=False) for e in element]
            return super().deserialize(element, metadata, clear)

    return CollectionSerializer


def _CollectionSerializer() -> Any:
    return _collection_serializer()()
