"""One PowerShell script per host: manual steps stop until confirmed, every scripted step
runs inside `ShouldProcess` (so `-WhatIf` shows the plan without changing anything).

Values reach the script only as single-quoted literals (`quote_string`) or inside `#` line
comments with every line break removed (`ps_comment`): a task name, host name or step can
never become a statement of its own.
"""

from __future__ import annotations

from checker.remediation.kinds import body
from checker.remediation.planner import Steps
from checker.remediation.text import ps_comment
from checker.results import RenderedTask
from checker.wire.ps_quote import quote_string

_HEADER = """\
#Requires -Version 5.1
# checker remediation for {host}
# Generated {stamp} from {inventory}. Review before running.
# {where} -WhatIf shows what would run.
# Manual steps stop the script until you type DONE.
[CmdletBinding(SupportsShouldProcess = $true)]
param([switch]$SkipManualConfirmation)
$ErrorActionPreference = 'Stop'

function Confirm-ManualStep([string]$Name, [string]$Steps) {
    Write-Host "MANUAL STEP: $Name" -ForegroundColor Yellow
    Write-Host $Steps
    if ($SkipManualConfirmation -or $WhatIfPreference) { return }
    $answer = Read-Host 'Type DONE when the step is finished (anything else stops here)'
    if ($answer -ne 'DONE') { throw "Stopped: '$Name' was not confirmed." }
}
"""


def host_script(host: str, tasks: Steps,
                inventory: str, stamp: str, where: str) -> str:
    """`tasks` pairs each task with the rules it is for; `where` says where to run it."""
    parts = [_HEADER.replace("{host}", ps_comment(host)).replace("{stamp}", ps_comment(stamp))
             .replace("{inventory}", ps_comment(inventory)).replace("{where}", ps_comment(where))]
    for i, (task, rules) in enumerate(tasks, 1):
        parts.append(f"# Step {i} [{ps_comment(task.kind)}] {ps_comment(task.name)}\n"
                     f"# For: {ps_comment(', '.join(rules))}")
        parts.append(_step(host, task))
    parts.append("Write-Host 'Done. Run checker again to confirm the rules pass.'\n")
    return "\n".join(parts)


def _step(host: str, task: RenderedTask) -> str:
    script, steps = body(task)
    if script is None:
        return f"Confirm-ManualStep {quote_string(task.name)} {quote_string(steps)}\n"
    # The script goes in verbatim (not indented): re-indenting would change multi-line string
    # literals and break here-strings, whose terminator must start its line.
    return (f"if ($PSCmdlet.ShouldProcess({quote_string(host)}, {quote_string(task.name)})) {{\n"
            f"{script.rstrip()}\n}}\n")
