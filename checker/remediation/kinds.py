"""Remediation task kinds: how each kind reads in plan.md, the .ps1, the playbook and the
--remediate listing, and how --remediate runs it. Registered under the rule's `kind:`.

A kind that runs code returns it from `script()` as PowerShell statements; every value
templated into them must already be a literal (`checker.wire.ps_quote.literal`), never
spliced text. Renderers place that script inside a `ShouldProcess` guard and never parse it.
A kind that needs a person returns None from `script()` and its instructions from `steps()`.

    @task_kinds.register("powershell")
    class PowerShell(TaskKind):
        runs = True
        def script(self, task): return task.script or ""
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from checker.registry import Registry
from checker.results import RenderedTask
from checker.wire.ps_quote import quote_string


class ScriptRunner(Protocol):
    def run_script(self, script: str) -> str: ...

    def run_command(self, name: str, parameters: Mapping[str, Any]) -> str: ...


class TaskKind:
    runs: ClassVar[bool] = False  # --remediate runs it (after confirmation)

    def script(self, task: RenderedTask) -> str | None:
        """PowerShell statements that do the task, or None when a person does it."""
        return None

    def steps(self, task: RenderedTask) -> str:
        """What a person reads and does (manual kinds)."""
        return task.steps or ""

    def run(self, transport: ScriptRunner, task: RenderedTask) -> str:
        """Run the task on its host; a kind with its own request type overrides this."""
        return transport.run_script(self.script(task) or "")

    def sent(self, task: RenderedTask) -> str:
        """What `run` sends, as the --remediate listing shows it for confirmation."""
        return self.script(task) or ""


task_kinds: Registry[type[TaskKind]] = Registry("remediation task kind")


@task_kinds.register("manual")
class Manual(TaskKind):
    """A step a person does (a wizard, a decision); plans stop until it is confirmed."""


@task_kinds.register("powershell")
class PowerShell(TaskKind):
    """A script from the rule, with its templated values quoted as PowerShell literals."""

    runs = True

    def script(self, task: RenderedTask) -> str | None:
        return task.script or ""


@task_kinds.register("cmdlet")
class Cmdlet(TaskKind):
    """One cmdlet with parameters (Exchange's `Set-*`). --remediate sends it through the
    host's endpoint as a command, never as script text, so it runs on NoLanguage endpoints
    (Microsoft.Exchange, JEA). In the .ps1 and the playbook it runs as is in the Exchange
    Management Shell, and in any other Windows PowerShell through the host's Exchange endpoint
    (`http://<its FQDN>/PowerShell/`, Kerberos; implicit remoting of just that cmdlet, since that
    endpoint takes no script blocks). A step removes the session and the module it opened, as
    Microsoft asks (Exchange limits each admin's concurrent sessions): a playbook task is a
    process of its own, and a plan may hold a step per object."""

    runs = True

    def script(self, task: RenderedTask) -> str | None:
        name = quote_string(task.cmdlet or "")
        # The step runs on the Exchange server itself (the .ps1's header and the playbook
        # say so): Kerberos needs that server's own FQDN, whatever the inventory calls it.
        return ("$exchange = $null\n$imported = $null\n"
                f"if (-not (Get-Command {name} -ErrorAction SilentlyContinue)) {{\n"
                "    $fqdn = [System.Net.Dns]::GetHostEntry($env:COMPUTERNAME).HostName\n"
                "    $exchange = New-PSSession -ConfigurationName 'Microsoft.Exchange' "
                "-ConnectionUri ('http://{0}/PowerShell/' -f $fqdn) "
                "-Authentication Kerberos\n"
                f"    $imported = Import-PSSession $exchange -CommandName {name} -AllowClobber\n"
                f"}}\ntry {{\n    {task.script or ''}\n}} finally {{\n"
                "    if ($imported) { Remove-Module -ModuleInfo $imported }\n"
                "    if ($exchange) { Remove-PSSession $exchange }\n}")

    def run(self, transport: ScriptRunner, task: RenderedTask) -> str:
        return transport.run_command(task.cmdlet or "", dict(task.parameters))

    def sent(self, task: RenderedTask) -> str:
        return task.script or ""  # the command line of the name and parameters run() sends


def kind_of(task: RenderedTask) -> TaskKind:
    return task_kinds.get(task.kind)()


def script_of(task: RenderedTask) -> str | None:
    return kind_of(task).script(task)


def body(task: RenderedTask) -> tuple[str | None, str]:
    """(script, "") for a task that runs code, (None, steps) for one a person does."""
    kind = kind_of(task)
    script = kind.script(task)
    return (script, "") if script is not None else (None, kind.steps(task))
