"""CLI start-up benchmark: `checker --help` and `checker validate` on N generated rules,
as ratios to `python -c pass` measured in the same run.

    python benchmarks/cli.py [--rules 1000] [--repeat 5]

Targets: --help <= 0.3 s, validate of 1,000 rules <= 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

RULE = {
    "title": "generated rule {i}",
    "severity": "medium",
    "tags": ["bench"],
    "hosts": "aadconnect",
    "facts": {"connectors": "adsync.connectors", "adsync": "adsync.global_settings"},
    "for_each": "{{{{ connectors | selectattr('type', 'eq', 'AD') | list }}}}",
    "expect": [
        {"key": "item.schema.attributes", "op": "contains", "value": "attr{i}"},
        {"that": "adsync.version is version('1.1.105.0', '>=')", "msg": "rule {i}"},
    ],
    "remediation": [{"name": "fix {i}", "kind": "powershell", "script": "Start-Thing {i}"}],
}


def generate(folder: Path, count: int) -> Path:
    rules = []
    for i in range(count):
        text = yaml.safe_dump(RULE).format(i=i)
        rules.append({"id": f"BENCH-{i:05d}", **yaml.safe_load(text)})
    path = folder / "rules.yml"
    path.write_text(yaml.safe_dump(rules, sort_keys=False))
    return path


def timed(cmd: list[str], repeat: int, expect_rc: int = 0) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode != expect_rc:
            raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-500:]}")
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rules", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        rules = generate(Path(tmp), args.rules)
        base = timed([py, "-c", "pass"], args.repeat)
        helptime = timed([py, "-m", "checker", "--help"], args.repeat)
        validate = timed([py, "-m", "checker", "validate", str(rules)], args.repeat)
    print(f"python -c pass           {base:7.3f} s  (baseline)")
    print(f"checker --help           {helptime:7.3f} s  {helptime / base:5.1f}x baseline  "
          f"target <= 0.300 s: {'ok' if helptime <= 0.3 else 'MISSED'}")
    print(f"checker validate {args.rules:>5}  {validate:7.3f} s  {validate / base:5.1f}x baseline  "
          f"target <= 1.000 s: {'ok' if validate <= 1.0 else 'MISSED'}")


if __name__ == "__main__":
    main()
