"""adsync.connector_space: which Mail Users are looked up (pure selection from the DCs'
recipients), how the replies read (found, not found, a failed lookup), and how the gather
stage feeds the DCs' facts into the Connect server's request."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.collectors.ad_records import Recipient
from checker.collectors.adsync_space import ConnectorSpaceCollector, sample_mail_users
from checker.errors import CollectError
from checker.facts.model import Fact, FactKey, FactStatus
from checker.gather_inputs import _completed
from checker.inventory import load_inventory
from checker.plan import build_plan
from checker.ruleset.loader import load_rules

LAB = "OU=Mail,DC=lab,DC=example,DC=com"
FAB = "OU=Mail,DC=fabrikam,DC=example,DC=com"


def mail_user(dn: str, **over: object) -> Recipient:
    base = {"dn": dn, "object_class": "user", "recipient_type_details": 128,
            "mail_nickname": dn[3:6], "target_address": "SMTP:x@contoso.mail.onmicrosoft.com"}
    return Recipient(**{**base, **over})  # type: ignore[arg-type]


def test_a_bounded_sample_per_domain_of_mail_users_ad_holds_attributes_for() -> None:
    recipients = [mail_user(f"CN=mu{i:03d},{LAB}") for i in range(30)]
    recipients += [mail_user(f"CN=fab{i},{FAB}") for i in range(3)]
    recipients += [mail_user(f"CN=box,{LAB}", recipient_type_details=1),  # a mailbox
                   mail_user(f"CN=sys,{LAB}", in_connect_scope=False),
                   mail_user(f"CN=contact,{LAB}", object_class="contact"),
                   mail_user(f"CN=nonick,{LAB}", mail_nickname=None)]
    picked = sample_mail_users(recipients, per_domain=5)
    assert picked == [f"CN=fab{i},{FAB}" for i in range(3)] + \
        [f"CN=mu{i:03d},{LAB}" for i in range(5)]


def test_replies_read_as_found_absent_or_failed() -> None:
    c = ConnectorSpaceCollector()
    params = {"mail_users_from": "dcs", "targets": (f"CN=a,{LAB}", f"CN=b,{LAB}")}
    found = {"DN": f"CN=a,{LAB}", "ConnectorId": "{7A3C2D58-1C9E-4A5F-9F0B-3D2E6C1B8A01}",
             "ConnectorName": "lab.example.com", "Found": True,
             "Attributes": ["cn", "msExchRecipientTypeDetails", "mailNickname", "targetAddress"],
             "MetaverseAttributes": ["cn", "mailNickname"]}
    absent = {"DN": f"CN=b,{LAB}", "ConnectorId": "7a3c2d58-1c9e-4a5f-9f0b-3d2e6c1b8a01",
              "Found": False, "Error": f"Connector space object with DN CN=b,{LAB} was not "
                                       "found in connector space lab.example.com."}
    sample = c.process([found, absent], params)
    a, b = sample.objects
    assert a.in_connector_space and a.exchange_in_connector_space
    assert a.exchange_in_metaverse is False  # no Full Synchronization since
    assert a.connector_id == "7a3c2d58-1c9e-4a5f-9f0b-3d2e6c1b8a01"
    assert not b.in_connector_space and b.metaverse_attributes is None
    with pytest.raises(CollectError, match="Access is denied"):
        c.process([{**absent, "Error": "Access is denied."}], params)
    nothing = c.process({"NoTargets": True}, {"mail_users_from": "dcs"})
    assert nothing.objects == [] and "domain controllers" in (nothing.reason or "")


def test_the_gather_stage_plans_and_feeds_the_dcs_recipients(tmp_path: Path) -> None:
    inv = tmp_path / "inventory.yml"
    inv.write_text("all:\n  children:\n    domain_controllers:\n      hosts:\n        dc1:\n"
                   "          ansible_connection: ldap\n          checker_ldap_url: ldaps://dc1\n"
                   "    aadconnect:\n      hosts:\n        aadc1:\n"
                   "          ansible_connection: psrp\n")
    inventory = load_inventory(str(inv))
    rules = load_rules([str(Path(__file__).resolve().parents[2] / "rules")])
    only = type(rules)(tuple(r for r in rules.rules
                             if r.id == "AADC-EXCHANGE-ATTRIBUTES-IN-CONNECTOR-SPACE"))
    plan = build_plan(only, inventory, ["aadc1"])
    dc = next(hp for hp in plan.hosts if hp.host.name == "dc1")
    assert FactKey.of("ad.recipients") in dc.facts  # planned on the DC, for the input
    key = FactKey.of("adsync.connector_space", {"mail_users_from": "domain_controllers"})
    recipients = [mail_user(f"CN=mu{i},{LAB}") for i in range(3)]
    store = {"dc1": {FactKey.of("ad.recipients"):
                     Fact(FactKey.of("ad.recipients"), FactStatus.OK, recipients)}}
    done = _completed(key, inventory, store)
    assert done.param_dict["targets"] == tuple(f"CN=mu{i},{LAB}" for i in range(3))
    assert _completed(key, inventory, {}).param_dict["targets"] == ()  # no DC fact: none
