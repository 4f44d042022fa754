"""The bounded sandbox's cost: per-object `that:` expressions and a templated message, in
checker's BoundedSandbox against Jinja's plain ImmutableSandboxedEnvironment, measured in the
same run (best of --repeat). Prints the ratio bounded/plain.

    python benchmarks/sandbox.py [--objects 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checker.lang.sandbox import BoundedSandbox, time_limit

EXPRESSION = "item.mail_nickname is not none and item.recipient_type_details in [128, 2147483648]"
TEMPLATE = "{% for a in item.proxy_addresses %}{{ a | lower }};{% endfor %} of {{ item.name }}"


def objects(n: int) -> list[dict[str, Any]]:
    return [{"name": f"u{i}", "mail_nickname": f"u{i}", "recipient_type_details": 128,
             "proxy_addresses": [f"SMTP:u{i}@contoso.com", f"smtp:u{i}@alt.contoso.com"]}
            for i in range(n)]


def timed(env: jinja2.Environment, items: list[dict[str, Any]], bounded: bool) -> float:
    expr = env.compile_expression(EXPRESSION, undefined_to_none=False)
    template = env.from_string(TEMPLATE)
    started = time.perf_counter()
    for item in items:
        if bounded:  # as checker.lang.expressions runs them: each under its own limit
            with time_limit():
                expr(item=item)
            with time_limit():
                template.render(item=item)
        else:
            expr(item=item)
            template.render(item=item)
    return time.perf_counter() - started


def best(fn: Callable[[], float], repeat: int) -> float:
    return min(fn() for _ in range(repeat))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    items = objects(args.objects)
    plain = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)
    bounded = BoundedSandbox(undefined=jinja2.StrictUndefined)
    base = best(lambda: timed(plain, items, False), args.repeat)
    ours = best(lambda: timed(bounded, items, True), args.repeat)
    print(f"{args.objects:,} objects, one expression and one template each (best of "
          f"{args.repeat})")
    print(f"  jinja ImmutableSandboxedEnvironment: {base:.3f} s")
    print(f"  checker BoundedSandbox:              {ours:.3f} s")
    print(f"  ratio bounded/plain: {ours / base:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
