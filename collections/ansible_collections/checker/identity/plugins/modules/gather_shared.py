# The checker.identity.gather_shared action plugin does the work; this file documents it
# (ansible-doc).
from __future__ import annotations

DOCUMENTATION = r"""
module: gather_shared
short_description: Read each domain's shared facts once; complete the waiting hosts' requests
description:
  - Runs on the controller, once (C(run_once=true)), after M(checker.identity.gather) has
    gathered every host that waits for no other, and before it gathers the hosts that do
    (the C(waits) hosts of M(checker.identity.plan)).
  - Reads, with checker's transports and C(-f) forks at a time, what no per-host task
    gathers, as C(checker apply) does between its two waves. Each fact every DC of a domain
    (or forest) gives alike is read by the first host in inventory order that reached that
    domain; the other DCs get an C(unavailable) fact naming it, so their rules on it are
    C(skipped). Hosts outside C(--limit) whose facts the play needs (C(from:) facts) are
    gathered here.
  - Then completes each waiting host's requests from the facts now in (the collector's pure
    C(select()), nothing contacted), for M(checker.identity.gather) to gather that host
    whole, in one connection.
  - A fact that cannot be read fails the task (use C(ignore_errors=true)); its rules are
    C(error).
  - Every option defaults to the C(checker_*) variable named with it.
version_added: 0.1.0
author: checker maintainers
extends_documentation_fragment:
  - checker.identity.settings
  - checker.identity.settings.gathered
"""

EXAMPLES = r"""
- name: Read shared facts once; complete the waiting hosts' requests
  checker.identity.gather_shared:
  register: checker_gathered_shared
  run_once: true
  delegate_to: localhost
  ignore_errors: true
"""

RETURN = r"""
shared_facts:
  description: Host -> the fact rows read here for it (secrets masked), for the evaluate.
  returned: success
  type: dict
waiting:
  description: Waiting host -> its facts with their requests completed, for its gather task.
  returned: success
  type: dict
gather_errors:
  description: Host -> why facts read here could not be read; their rules are C(error).
  returned: success
  type: dict
"""
