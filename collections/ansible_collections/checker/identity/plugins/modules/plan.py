# The checker.identity.plan action plugin does the work; this file documents it (ansible-doc).
from __future__ import annotations

DOCUMENTATION = r"""
module: plan
short_description: Validate checker's rules, waivers and every host's variables; plan the facts
description:
  - Runs on the controller, once (C(run_once=true)). Loads and validates the rules, the
    profile, the waivers, the report specs and every play host's connection variables, and
    plans which facts each host must give, exactly as C(checker apply) does before it opens any
    connection. Nothing is contacted.
  - Bad input fails the task with C(rc=3) and one C(file:line) message per problem.
  - Every option defaults to the C(checker_*) variable named with it.
version_added: 0.1.0
author: checker maintainers
extends_documentation_fragment:
  - checker.identity.settings
notes:
  - Needs the C(checker) Python package in the Python that runs Ansible.
"""

EXAMPLES = r"""
- name: Plan the gate
  checker.identity.plan:
    profile: pre-migration
  register: checker_plan
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
hosts:
  description:
    - Host -> {transport, facts, waits} for every host that gives facts.
    - C(waits) is true for a host whose requests are built from other hosts' facts (an Entra
      Connect server asked about the Mail Users the DCs report). Its C(facts) are empty, and
      M(checker.identity.gather_shared) completes its requests once the others are in.
  returned: success
  type: dict
waiting:
  description:
    - The hosts under test that wait (C(waits)), in inventory order. C(playbooks/gate.yml)
      puts them in the group C(checker_waiting) and gathers them in a play of their own,
      after the others, as C(checker apply)'s second wave. The rules never see that group.
  returned: success
  type: list
  elements: str
rc:
  description: 3 when the input is invalid.
  returned: failure
  type: int
"""
