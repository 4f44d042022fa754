"""Write the remediation plan: plan.md, one <host>.ps1 per host, and an Ansible playbook.

Tasks come from `host_plans` (ordered by rule dependencies and each rule's task order,
deduplicated and folded per host). Secrets are masked in every file, in the values before
rendering and in the text after (in every encoding the redactor knows). Nothing here runs
anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import replace
from pathlib import Path

from checker.inventory.model import Host
from checker.redact import Redactor
from checker.remediation.outdir import write_files
from checker.remediation.plan_md import plan_markdown
from checker.remediation.planner import Steps, host_plans, rules_for
from checker.remediation.playbook import MANAGEMENT_VAR, playbook
from checker.remediation.ps1 import host_script
from checker.remediation.text import file_stems
from checker.requests import PsSnippet
from checker.results import RenderedTask, RunReport
from checker.transports.base import get_transport

# Connections that read a host without a shell on it: its tasks run on a management host.
DIRECTORY_CONNECTIONS = frozenset({"ldap"})


def write_remediation(report: RunReport, out_dir: str | Path, redactor: Redactor | None = None,
                      connections: Mapping[str, str] | None = None,
                      restricted: Set[str] = frozenset()) -> list[Path]:
    """Write every file; returns their paths. `connections` maps hosts to their
    `ansible_connection` (hosts read over LDAP hand their tasks to a management host);
    `restricted` names the hosts whose endpoint runs no scripts (`restricted_hosts`)."""
    return write_files(Path(out_dir), render_files(report, redactor or Redactor(),
                                                   connections or {}, restricted))


def restricted_hosts(hosts: Iterable[Host]) -> set[str]:
    """Hosts whose inventory endpoint refuses scripts (Exchange's Microsoft.Exchange, a
    NoLanguage JEA endpoint): the playbook reaches them through their WinRM endpoint."""
    return {h.name for h in hosts
            if get_transport(h.connection).refuses(h.vars, PsSnippet) is not None}


def render_files(report: RunReport, redactor: Redactor, connections: Mapping[str, str],
                 restricted: Set[str] = frozenset()) -> dict[str, str]:
    plans = _steps(report, redactor)
    delegated = {h for h in plans if connections.get(h) in DIRECTORY_CONNECTIONS}
    stems = file_stems(plans, ".ps1")
    scripts = {host: f"{stems[host]}.ps1" for host in plans}
    inventory = redactor.text(report.inventory)
    stamp = report.started_at.strftime("%Y-%m-%d %H:%M UTC")
    files = {"plan.md": plan_markdown(plans, inventory, stamp, scripts)}
    for host, steps in plans.items():
        files[scripts[host]] = host_script(host, steps, inventory, stamp,
                                           _where(host, host in delegated))
    files["playbook.yml"] = playbook(plans, delegated, restricted)
    return {name: redactor.text(text) for name, text in files.items()}


def _steps(report: RunReport, redactor: Redactor) -> dict[str, Steps]:
    """Each host's tasks with the rules they are for, secrets masked in every value."""
    return {
        redactor.text(host): [(_masked(t, redactor), rules_for(t, report.results)) for t in tasks]
        for host, tasks in host_plans(report.results).items()
    }


def _masked(task: RenderedTask, redactor: Redactor) -> RenderedTask:
    def mask(value: str | None) -> str | None:
        return None if value is None else redactor.text(value)

    return replace(task, name=redactor.text(task.name), host=redactor.text(task.host),
                   script=mask(task.script), steps=mask(task.steps))


def _where(host: str, delegated: bool) -> str:
    if delegated:
        return (f"Run it in an elevated Windows PowerShell on a management host with the "
                f"ActiveDirectory module (the playbook uses {MANAGEMENT_VAR}), not on {host}.")
    return f"Run it in an elevated Windows PowerShell on {host}."

