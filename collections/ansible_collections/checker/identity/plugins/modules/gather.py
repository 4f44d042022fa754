# The checker.identity.gather action plugin does the work; this file documents it (ansible-doc).
from __future__ import annotations

DOCUMENTATION = r"""
module: gather
short_description: Gather one host's identity facts with checker's own transports
description:
  - Runs on the controller for each host. Reads the host's variables as Ansible resolved them
    (inventory, group_vars, vault, extra vars, AWX credentials) and gathers the facts that
    M(checker.identity.plan) planned for it over checker's transport for its
    C(ansible_connection) (C(ldap), C(psrp), C(adsync_export), C(snapshot)).
  - Ansible's own connection to the host is never used; delegate the task to C(localhost) so
    Ansible does not need a connection plugin for C(ldap) hosts.
  - A fact that every DC of a domain (or forest) gives alike, such as the domain's
    recipients, is not read here. Its share key goes into C(checker_shared), and
    M(checker.identity.gather_shared) has it read once, by the first host in inventory order
    that reached that domain, as C(checker apply) does. The other DCs' rules that need it
    are C(skipped), naming that host.
  - A host whose requests are built from other hosts' facts (C(waits) in the plan, e.g. an
    Entra Connect server asked about the Mail Users the DCs report) is gathered by a second
    task of this action, after M(checker.identity.gather_shared) has completed its requests
    (C(waiting) in its registered C(checker_gathered_shared)); the whole host in one
    connection, as C(checker apply)'s second wave. Without that result it is skipped, and
    M(checker.identity.evaluate) gathers it.
  - A fact that cannot be gathered (unreachable, refused bind, timeout) fails the task for that
    host and is kept as an C(error) fact, so M(checker.identity.evaluate) reports its rules as
    C(error); use C(ignore_errors=true) so the host stays in the play.
version_added: 0.1.0
author: checker maintainers
options:
  plan:
    description:
      - The result registered by M(checker.identity.plan) (default the C(checker_plan) variable).
    type: dict
  timeout:
    description: Per-host budget in seconds (default C(checker_timeout), else 60).
    type: float
"""

EXAMPLES = r"""
- name: Gather
  checker.identity.gather:
  register: checker_gathered
  delegate_to: localhost
  ignore_errors: true
"""

RETURN = r"""
checker_facts:
  description: The host's facts as checker's evidence rows (secrets masked).
  returned: always
  type: list
  elements: dict
checker_shared:
  description:
    - The facts left to one host of the domain or forest, each with its C(collector),
      C(params) and C(share) key (for example C(domain lab.example.com)).
  returned: always
  type: list
  elements: dict
"""
