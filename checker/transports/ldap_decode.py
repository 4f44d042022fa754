"""A leaner decoding of search entries for one ldap3 connection.

ldap3 2.9 builds two dictionaries per entry: `raw_attributes` (bytes) and `attributes`
(values formatted by syntax). The transport reads the raw values only (`ldap.convert`), and
building the formatted ones was most of the client's CPU per entry. `LeanSync` is ldap3's
own sync strategy with just the entry decoding replaced; an entry that carries a ranged
attribute (`member;range=0-1499`) goes through ldap3's full decoding, which its auto_range
merge needs. Installed per connection (`use_lean_decoding`), never globally.
"""

from __future__ import annotations

from typing import Any

import ldap3
from ldap3.strategy.sync import SyncStrategy

SEARCH_RES_ENTRY = 4  # LDAPMessage protocolOp of a searchResEntry


class LeanSync(SyncStrategy):
    def decode_response_fast(self, ldap_message: dict[str, Any]) -> dict[str, Any]:
        if ldap_message["protocolOp"] != SEARCH_RES_ENTRY:
            return dict(super().decode_response_fast(ldap_message))
        payload = ldap_message["payload"]
        raw = {bytes(a[3][0][3]).decode("utf-8"): [bytes(v[3]) for v in a[3][1][3]]
               for a in payload[1][3]}
        if any(";range=" in name for name in raw):
            return dict(super().decode_response_fast(ldap_message))
        dn = bytes(payload[0][3])
        return {"raw_dn": dn, "dn": dn.decode("utf-8"), "raw_attributes": raw,
                "attributes": dict(raw), "type": "searchResEntry"}


def use_lean_decoding(conn: ldap3.Connection) -> None:
    """Swap a new (not yet opened) sync connection's strategy for `LeanSync`."""
    strategy = conn.strategy = LeanSync(conn)
    conn.send = strategy.send
    conn.open = strategy.open
    conn.get_response = strategy.get_response
    conn.post_send_single_response = strategy.post_send_single_response
    conn.post_send_search = strategy.post_send_search
