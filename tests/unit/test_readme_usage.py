"""The README's usage block is the argparse definition, printed: every command and option
(`--profile`, `--waivers`, `--history`, `--remediate`, `drift`, ...) and every report format.
When an option changes, print the new block and paste it into the README:

    python -m tests.unit.test_readme_usage
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

from checker.cli import build_parser
from checker.reporters.base import reporter_names

README = Path(__file__).parent.parent.parent / "README.md"
WIDTH = 100


def _commands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """(help, parser) of every command, nested ones (history list|show|prune) included."""
    sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    if sub is None:
        return
    helps = {a.dest: a.help or "" for a in sub._choices_actions}
    for name, child in sub.choices.items():
        nested = any(isinstance(a, argparse._SubParsersAction) for a in child._actions)
        if nested:
            yield from _commands(child)
        else:
            yield helps.get(name, ""), child


def usage_block() -> str:
    lines = []
    for help_text, parser in _commands(build_parser()):
        parser.formatter_class = lambda prog: argparse.HelpFormatter(prog, width=WIDTH + 7)
        usage = parser.format_usage().removeprefix("usage: ").replace(" [-h]", "")
        lines += [f"# {help_text}" if help_text else "#",
                  *(line[7:] if i else line for i, line in enumerate(usage.splitlines()))]
    return "\n".join(lines) + "\n"


def readme_block() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"## Using it\n\n```\n(.*?)```\n", text, re.S)
    assert found, "the README's usage block (## Using it) is missing"
    return found.group(1)


def test_the_readme_usage_block_is_the_argparse_definition() -> None:
    assert readme_block() == usage_block(), (
        "README usage block is stale: run python -m tests.unit.test_readme_usage and paste it")


def test_the_block_names_what_the_issue_found_missing() -> None:
    block = usage_block()
    for option in ("--profile", "--waivers", "--history", "--remediate", "--remediation-out",
                   "--from-facts", "--save-facts", "--fail-on", "checker drift"):
        assert option in block, option


def test_every_report_format_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    reports = text[text.index("Reports: "):text.index("### Exit codes")]
    for name in reporter_names():
        assert f"`{name}`" in reports, name


if __name__ == "__main__":
    print(usage_block(), end="")
