# The checker.identity.evaluate action plugin does the work; this file documents it (ansible-doc).
from __future__ import annotations

DOCUMENTATION = r"""
module: evaluate
short_description: Evaluate checker's rules over every gathered host and apply the gate
description:
  - Runs on the controller, once (C(run_once=true)), after M(checker.identity.gather) and
    M(checker.identity.gather_shared). Evaluates every selected rule over the facts they
    registered, writes checker's reports and history, and fails when C(checker apply) would
    exit non-zero.
  - It gathers nothing itself, except as a fallback for a playbook without
    M(checker.identity.gather_shared) or without the gather task of the waiting hosts. What
    is still missing (shared facts, hosts outside C(--limit), waiting hosts) is then gathered
    here, C(-f) forks at a time, as C(checker apply) gathers it.
  - The result carries C(rc) and C(exit_code) with the meaning they have for
    C(checker apply) (0 passed, 1 a fail at or above C(fail_on), 2 an error, e.g. a host
    unreachable, and no qualifying fail, 3 invalid input), and the C(summary) counts.
  - Every option defaults to the C(checker_*) variable named with it.
version_added: 0.1.0
author: checker maintainers
extends_documentation_fragment:
  - checker.identity.settings
  - checker.identity.settings.gathered
"""

EXAMPLES = r"""
- name: Evaluate and gate
  checker.identity.evaluate:
    reports: [json:checker.json, junit:checker.xml]
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
exit_code:
  description: The gate's exit code as C(checker apply) would return it.
  returned: always
  type: int
summary:
  description: Result counts by status and the exit code.
  returned: success
  type: dict
gather_errors:
  description:
    - Host -> why facts this task gathered itself (its fallback for shared facts, hosts that
      wait for other hosts' facts, hosts outside C(--limit)) could not be gathered; their
      rules are C(error). Each also ends the C(msg).
  returned: success
  type: dict
reports:
  description: The report files written.
  returned: success
  type: list
"""
