"""A demo estate whose directory data, host names and secrets are hostile: the recorded demo
facts with a connector name and an Exchange organization that carry Jinja, PowerShell,
Markdown/HTML and every line separator, replayed through the real pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from checker.results import RunReport
from checker.runner import Options, Prepared, prepare, run

ROOT = Path(__file__).parent.parent
DEMO = ROOT / "inventories" / "demo"


def payload(marker: Path) -> str:
    """Jinja that would run a command on the Ansible controller, line breaks PowerShell and
    editors honour (CRLF, lone CR, LF, NEL, LS, PS), a block-comment close, quotes of every
    kind, a subexpression, Markdown and HTML."""
    return ("x{{ lookup('pipe', 'touch " + str(marker) + "') }}{% raw %}\r\n"
            "Remove-Item C:\\x #>\rStop-Computer\n Get-Secret\x85Restart-Computer\u2028Write-Host"
            "\u2029Invoke-Expression $(calc) \u2019; calc; \u2018 `\" <script>alert(1)</script> "
            "``` [link](http://evil) **b** | cell <# <!-- ${{ x }}")


RULES = """\
- id: T-HOSTILE-CONNECTOR
  title: connector names are data
  severity: high
  hosts: aadconnect
  facts:
    connectors: adsync.connectors
  for_each: "{{ connectors | selectattr('type', 'eq', 'AD') | list }}"
  object: "{{ item.name }}"
  expect:
    - key: item.name
      op: eq
      value: never-this
  remediation:
    - name: "Look at {{ item.name }}"
      kind: manual
      steps: "Open the connector {{ item.name }} and check it. Password: {{ vars.sync_note }}"
    - name: "Fix {{ item.name }}"
      kind: powershell
      script: |
        # connector {{ item.name }}
        Write-Output {{ item.name }}
        Write-Output {{ vars.sync_note }}
- id: T-HOSTILE-ORG
  title: organization names are data
  severity: high
  hosts: domain_controllers
  facts:
    exchange: ad.exchange_schema
  expect:
    - key: exchange.organization
      op: eq
      value: never-this
  remediation:
    - name: "Rename {{ exchange.organization }}"
      kind: powershell
      script: "Write-Output {{ exchange.organization }}"
- id: T-SECRET-IN-MESSAGE
  title: a failure message that quotes a secret (repr-escaped)
  severity: low
  hosts: aadconnect
  facts:
    adsync: adsync.global_settings
  expect:
    - key: vars.sync_note
      op: eq
      value: never-this
"""


def build(work: Path, evil: str, secret: str, dc: str, aadc: str) -> tuple[Prepared, RunReport]:
    """Write the estate into `work` and run it: `evil` is the connector and organization
    name, `dc`/`aadc` the two host names."""
    facts = json.loads((DEMO / "facts.json").read_text())
    hosts = facts["hosts"]
    hosts[dc] = hosts.pop("dc01.lab.example.com")
    hosts[aadc] = hosts.pop("aadc01.lab.example.com")
    text = json.dumps(facts).replace('"name": "lab.example.com"', f'"name": {json.dumps(evil)}')
    text = text.replace('"Lab Org"', json.dumps(evil))
    (work / "facts.json").write_text(text)
    inventory = {"all": {
        "vars": {"ansible_connection": "snapshot", "checker_facts_file": "facts.json",
                 "ansible_password": secret, "sync_note": secret},
        "children": {"domain_controllers": {"hosts": {dc: None}},
                     "aadconnect": {"hosts": {aadc: None}}}}}
    (work / "inventory.yml").write_text(yaml.safe_dump(inventory, allow_unicode=True))
    (work / "rules.yml").write_text(RULES)
    prepared = prepare(Options(inventory=str(work / "inventory.yml"),
                               rules=[str(work / "rules.yml")]))
    report, _ = run(prepared)
    return prepared, report
