"""What reached the AD connector space: Mail Users AD reports, looked up by DN.

The effect of a schema refresh and a full sync, rather than their history (which is purged):
for a bounded sample of the Mail Users the domain controllers report (`ad.recipients`,
msExchRecipientTypeDetails = 128, in Connect's scope), `Get-ADSyncCSObject
-ConnectorIdentifier -DistinguishedName` on the AD connector whose selected partitions hold
the DN, and `Get-ADSyncMVObject -Identifier` on the metaverse object it is joined to: are
the Exchange attributes there? The DNs come from other hosts' facts: the gather stage feeds
them in (`inputs`, see checker/gather_inputs.py) before the Connect server is read.

Example rule use::

    facts:
      space: {collector: adsync.connector_space, params: {mail_users_from: domain_controllers}}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from checker.collectors.adsync_common import IMPORT, TRANSPORTS, AdSync, objects, strings
from checker.collectors.base import collectors
from checker.collectors.records import ConnectorSpaceSample, CsObjectSample, domain_of
from checker.errors import CollectError
from checker.requests import PsSnippet
from checker.wire import ps_json as pj

# What "In from AD - User Exchange" flows for a Mail User, into the metaverse attributes of
# the same names (real export, microsoft/AADConnectConfigDocumenter; mv.dsml of 2.2.8.0).
EXCHANGE_EVIDENCE = ("msExchRecipientTypeDetails", "mailNickname", "targetAddress")
MAIL_USER = 128  # msExchRecipientTypeDetails of a Mail User
# Strings.CSObjectWithDNNotFound of the Cmdlet dll (build 2.2.8.0)
NOT_FOUND = re.compile(r"Connector space object with DN .* was not found in connector space",
                       re.S)
NO_TARGETS = "no Mail User (msExchRecipientTypeDetails = 128) came from the domain controllers"


@collectors.register("adsync.connector_space")
class ConnectorSpaceCollector(AdSync):
    """Get-ADSyncCSObject / Get-ADSyncMVObject for a sample of the Mail Users AD reports.

    ```yaml
    facts:
      space: {collector: adsync.connector_space, params: {mail_users_from: domain_controllers}}
    expect:
      - that: "space.objects | rejectattr('exchange_in_connector_space') | list | length == 0"
    ```
    """

    transports = TRANSPORTS
    model = ConnectorSpaceSample
    description = ("Get-ADSyncCSObject/Get-ADSyncMVObject: did the Exchange attributes of a "
                   "sample of AD's Mail Users reach the connector space and the metaverse")
    params_schema = {
        "type": "object",
        "required": ["mail_users_from"],
        "properties": {
            "mail_users_from": {"type": "string", "minLength": 1,
                                "description": "inventory pattern of the DCs whose "
                                               "ad.recipients name the Mail Users"},
            "per_domain": {"type": "integer", "minimum": 1, "maximum": 200},
        },
        "additionalProperties": False,
    }
    # params key holding an inventory pattern -> the collector whose facts on those hosts
    # feed `select()` (gathered first; see checker/gather_inputs.py)
    inputs: ClassVar[Mapping[str, str]] = {"mail_users_from": "ad.recipients"}
    script = """if (@($Targets).Count -eq 0) {
    [pscustomobject]@{ 'NoTargets' = $true }
} else {
foreach ($connector in @(Get-ADSyncConnector | Where-Object { $_.Type -eq 'AD' })) {
    $suffixes = @($connector.Partitions | Where-Object { $_.Selected } |
        ForEach-Object { ',' + ([string]$_.DN).ToLower() })
    foreach ($dn in @($Targets)) {
        $lower = ([string]$dn).ToLower()
        if (@($suffixes | Where-Object { $lower.EndsWith($_) }).Count -gt 0) {
            try {
                $cs = Get-ADSyncCSObject -ConnectorIdentifier $connector.Identifier `
                    -DistinguishedName $dn -ErrorAction Stop
                $mvNames = $null
                $mvId = [string]$cs.ConnectedMVObjectId
                if ($mvId -and $mvId -ne '00000000-0000-0000-0000-000000000000') {
                    $mv = Get-ADSyncMVObject -Identifier $mvId -ErrorAction Stop
                    $mvNames = @($mv.Attributes | ForEach-Object { [string]$_.Name })
                }
                [pscustomobject]@{
                    'DN' = $dn
                    'ConnectorId' = [string]$connector.Identifier
                    'ConnectorName' = $connector.Name
                    'Found' = ($null -ne $cs)
                    'Attributes' = @($cs.Attributes | ForEach-Object { [string]$_.Name })
                    'MetaverseAttributes' = $mvNames
                }
            } catch {
                [pscustomobject]@{
                    'DN' = $dn
                    'ConnectorId' = [string]$connector.Identifier
                    'ConnectorName' = $connector.Name
                    'Found' = $false
                    'Error' = [string]$_.Exception.Message
                }
            }
        }
    }
}
}
"""

    def select(self, params: Mapping[str, Any], inputs: Mapping[str, Mapping[str, Any]]
               ) -> dict[str, Any]:
        """Pure: the DNs to look up, from the input hosts' `ad.recipients`: the Mail Users in
        Connect's scope, the first `per_domain` (20) of each domain by DN."""
        recipients = [r for values in inputs.get("mail_users_from", {}).values()
                      for r in (values or [])]
        return {"targets": sample_mail_users(recipients, int(params.get("per_domain", 20)))}

    def request(self, params: Mapping[str, Any]) -> PsSnippet:
        targets = list(params.get("targets") or ())
        return PsSnippet(IMPORT + self.script, {"Targets": targets})

    def process(self, raw: Any, params: Mapping[str, Any]) -> ConnectorSpaceSample:
        requested = [str(t) for t in params.get("targets") or ()]
        found = objects(raw)
        if not requested or any(o.get("NoTargets") for o in found):
            return ConnectorSpaceSample(requested=requested, reason=NO_TARGETS)
        return ConnectorSpaceSample(requested=requested, objects=[_sample(o) for o in found])


def sample_mail_users(recipients: Iterable[Any], per_domain: int) -> list[str]:
    """Mail Users in Connect's scope whose Exchange attributes AD holds (so their absence from
    the connector space is Connect's, not AD's), the first `per_domain` of each domain."""
    by_domain: dict[str, list[str]] = {}
    for r in recipients:
        if _evidence(r):
            by_domain.setdefault(domain_of(r.dn) or "", []).append(r.dn)
    return [dn for domain in sorted(by_domain)
            for dn in sorted(set(by_domain[domain]), key=str.lower)[:per_domain]]


def _evidence(r: Any) -> bool:
    return bool(getattr(r, "recipient_type_details", None) == MAIL_USER
                and getattr(r, "in_connect_scope", True)
                and getattr(r, "object_class", "") == "user"
                and getattr(r, "mail_nickname", None) and getattr(r, "target_address", None))


def _sample(o: Mapping[str, Any]) -> CsObjectSample:
    error = pj.as_str(o.get("Error"))
    if error and not NOT_FOUND.search(error):
        raise CollectError(f"Get-ADSyncCSObject/Get-ADSyncMVObject failed for {o.get('DN')}: "
                           f"{error}")
    found = bool(pj.as_bool(o.get("Found"))) and not error
    attributes = strings(o.get("Attributes")) if found else []
    mv = o.get("MetaverseAttributes")
    mv_names = strings(mv) if found and mv is not None else None
    return CsObjectSample(
        dn=str(o["DN"]), connector_id=str(o.get("ConnectorId") or "").strip("{}").lower(),
        connector_name=str(o.get("ConnectorName") or ""), in_connector_space=found,
        attributes=attributes, metaverse_attributes=mv_names,
        exchange_in_connector_space=found and set(EXCHANGE_EVIDENCE) <= set(attributes),
        exchange_in_metaverse=None if mv_names is None else set(EXCHANGE_EVIDENCE) <= set(mv_names),
    )
