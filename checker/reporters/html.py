"""HTML: one standalone file an admin can open, mail or attach to a change ticket.

No network resources: CSS and vanilla JS are inline, and a Content-Security-Policy lets only
this file's own script run (by hash), so a value that escaped escaping still could not run or
load anything. Every value is escaped by Jinja's autoescape; the report data is embedded as
JSON in `<script type="application/json">` with `<`, `>` and `&` as \\u escapes, so no value
can close the element. Rows are rendered on the server side, so the report reads without
JavaScript; the script only filters and expands.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from checker import __version__
from checker.history.model import DriftReport
from checker.remediation.text import visible
from checker.reporters.base import Reporter, reporters
from checker.reporters.terminal import cleaned
from checker.reporters.view import (
    CHANGE_ORDER,
    CHANGE_TITLES,
    STATUS_ORDER,
    drift_view,
    run_view,
    seconds,
    when,
)
from checker.results import RunReport, Status

TEMPLATES = Path(__file__).parent / "templates"
_JSON_SAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
              0x2028: "\\u2028", 0x2029: "\\u2029"}


def pretty(value: Any) -> str:
    """A value for a <pre>: strings as they are, anything else as indented JSON."""
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def compact(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def embed_json(doc: Any) -> Markup:
    """JSON safe inside <script>: no `</script>`, `<!--` or `&` can appear literally."""
    return Markup(json.dumps(doc, ensure_ascii=False, default=str).translate(_JSON_SAFE))


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, seconds=seconds, pretty=pretty, compact=compact, plural=plural)
    return env


@functools.lru_cache(maxsize=1)
def assets() -> dict[str, Any]:
    """Inline CSS and JS (read as data, not templates) and the CSP hash of the script."""
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    js = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    return {"css": Markup(css), "js": Markup(js), "script_hash": f"sha256-{digest}",
            "version": __version__}


def page(template: str, doc: Mapping[str, Any], **context: Any) -> str:
    # Escaping keeps markup out; hidden characters from directory data (bidirectional
    # overrides that reorder what the reader sees, zero-width and control characters) are
    # shown as U+FFFD, as in plan.md, in the page and in its embedded data alike.
    doc = cleaned(doc, visible)
    body = environment().get_template(template).render(
        doc=doc, data=embed_json(doc), **assets(), **context
    )
    return body if body.endswith("\n") else body + "\n"


def run_reason(report: RunReport) -> str:
    """One sentence under the verdict: why the exit code is what it is."""
    failures = len(report.qualifying_failures())
    errors = report.counts()[Status.ERROR.value]
    if failures:
        return (f"{plural(failures, 'failing result')} at or above severity "
                f"{report.fail_on.value}" + (f", and {errors} not decided" if errors else ""))
    if errors:
        return f"{plural(errors, 'result')} not decided (unreachable host, access or collection)"
    return "Every selected rule passed, was waived, or did not apply."


@reporters.register("html")
class HtmlReporter(Reporter):
    def render(self, report: RunReport) -> str:
        doc = run_view(report, self.redactor)
        counts = [(s, s, doc["summary"][s]) for s in STATUS_ORDER]
        return page("run.html.j2", doc, status_counts=counts, reason=run_reason(report),
                    filename="checker-report.json")

    def render_drift(self, drift: DriftReport) -> str:
        doc = drift_view(drift, self.redactor)
        counts = [(c.value, CHANGE_TITLES[c], doc["summary"][c.value]) for c in CHANGE_ORDER]
        worse = doc["summary"]["worse"]
        since = f"run #{drift.before.id}" if drift.before else "the first stored run"
        reason = (f"{plural(worse, 'change')} for the worse since {since}" if worse
                  else f"Nothing got worse since {since}.")
        return page("drift.html.j2", doc, change_counts=counts, reason=reason,
                    filename="checker-drift.json")
