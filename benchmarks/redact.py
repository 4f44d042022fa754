"""Redaction cost: masking every encoding of a secret (checker.redact) against masking its
plain text only (the redactor before it knew encodings), on the strings of a large report,
measured in the same run.

    python benchmarks/redact.py [--strings 200000] [--secrets 3] [--repeat 3]

The strings are what a 100k-object run scrubs (names, DNs, messages); one in a thousand
holds a secret in some encoding. The ratio is the price of the encodings (mostly the
base64 fragments, a handful of substring tests per string and secret).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from checker.redact import ENCODINGS, Redactor


class PlainOnly:
    """The old redactor: the secret's text, nothing else."""

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = sorted(secrets, key=len, reverse=True)

    def text(self, value: str) -> str:
        for s in self.secrets:
            if s in value:
                value = value.replace(s, "********")
        return value


def corpus(count: int, secrets: list[str]) -> list[str]:
    rng = random.Random(7)
    encoders = list(ENCODINGS.values())
    out = []
    for i in range(count):
        text = f"CN=user{i:06d},OU=Users,DC=lab,DC=example,DC=com: mail u{i}@lab.example.com"
        if i % 1000 == 0:
            text += " " + rng.choice(encoders)(rng.choice(secrets))
        out.append(text)
    return out


def best(fn: Callable[[str], str], strings: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for s in strings:
            fn(s)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--strings", type=int, default=200_000)
    ap.add_argument("--secrets", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    secrets = [f"Pa$$w0rd\\{i}'&<x>\"{i * 7}" for i in range(args.secrets)]
    strings = corpus(args.strings, secrets)
    plain = best(PlainOnly(secrets).text, strings, args.repeat)
    every = best(Redactor(secrets).text, strings, args.repeat)
    print(f"{args.strings} strings, {args.secrets} secrets: plain only {plain:.3f} s, "
          f"every encoding {every:.3f} s, ratio {every / plain:.2f}x")


if __name__ == "__main__":
    main()
