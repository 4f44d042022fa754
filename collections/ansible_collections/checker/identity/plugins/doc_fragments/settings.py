# The options that map to `checker apply`'s command line, shared by plan and evaluate.
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  rules:
    description: Rule files or folders (C(checker_rules); default C(./rules) or the bundled rules).
    type: list
    elements: str
  profile:
    description: A named selection from C(profiles.yml) (C(checker_profile)).
    type: str
  tags:
    description: Only rules with one of these tags (C(checker_tags), comma-separated or a list).
    type: list
    elements: str
  skip_tags:
    description: Leave out rules with these tags (C(checker_skip_tags)).
    type: list
    elements: str
  rule_ids:
    description: Only these rule ids (C(checker_rule)).
    type: list
    elements: str
  fail_on:
    description: Lowest severity whose failure fails the gate (C(checker_fail_on); default info).
    type: str
  waivers:
    description: Waivers file (C(checker_waivers)).
    type: str
  strict_waivers:
    description: An expired or unmatched waiver is an error (C(checker_strict_waivers)).
    type: bool
  history:
    description: History store, a SQLite file or a postgresql:// URL (C(checker_history)).
    type: str
  estate:
    description: The estate the history files the run under (C(checker_estate)).
    type: str
  reports:
    description: Reports as C(FORMAT[:PATH]) (C(checker_report), one or a list).
    type: list
    elements: str
  timeout:
    description: Per-host budget in seconds (C(checker_timeout); default 60).
    type: float
  save_facts:
    description: Also save the gathered facts to this file (C(checker_save_facts)).
    type: str
  remediation_out:
    description:
      - Write plan.md, one .ps1 per host and playbook.yml here (C(checker_remediation_out)).
    type: str
"""

    # The run-once actions that read what the gather tasks registered.
    GATHERED = r"""
options:
  gathered:
    description: Name of the variable the gather tasks registered.
    type: str
    default: checker_gathered
"""
