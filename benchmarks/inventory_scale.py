"""Inventory load time grows linearly with its size: a 20,000-host inventory in 2,000 groups
against one ten times smaller (the baseline), measured in the same run.

    python benchmarks/inventory_scale.py [--hosts 20000] [--groups 2000] [--repeat 3]

Each inventory is an Ansible YAML file: regions > sites > groups of hosts, every host in two
groups, group_vars/ for every site, a templated `ansible_host` per host. Timed: loading, then
reading every host's `ansible_host` and `group_names`, then matching a `site*:&tier_1`
pattern (what `checker plan` does before it contacts anything). Linear growth prints a
ratio near 10 (the size ratio). `--literal` writes no variable references, so an older
checkout can be timed too (PYTHONPATH=OLD python benchmarks/inventory_scale.py --literal).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from checker.inventory import load_inventory


def write_inventory(folder: Path, hosts: int, groups: int, literal: bool = False) -> Path:
    sites = max(1, groups // 10)
    lines = ["all:", "  vars:", "    domain: contoso.com", "  children:"]
    per_group = max(1, hosts // groups)
    for r in range(max(1, sites // 10)):
        lines += [f"    region_{r}:", "      children:"]
        for s in range(r * 10, min(sites, r * 10 + 10)):
            lines += [f"        site_{s}:", "          children:"]
            for g in range(s * 10, min(groups, s * 10 + 10)):
                lines += [f"            group_{g}:", "              hosts:"]
                for h in range(g * per_group, (g + 1) * per_group):
                    lines.append(f"                host{h:06d}:")
    lines += ["    tier_1:", "      hosts:"]
    lines += [f"        host{h:06d}:" for h in range(0, hosts, 2)]
    (folder / "group_vars").mkdir()
    host = "dc.contoso.com" if literal else "{{ inventory_hostname }}.{{ domain }}"
    for s in range(sites):
        (folder / "group_vars" / f"site_{s}.yml").write_text(
            f"site_code: S{s:04d}\nansible_host: \"{host}\"\n")
    path = folder / "inventory.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def measure(hosts: int, groups: int, repeat: int, literal: bool) -> float:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        path = write_inventory(Path(tmp), hosts, groups, literal)
        for _ in range(repeat):
            t0 = time.perf_counter()
            inv = load_inventory(path)
            for host in inv.hosts.values():
                host.vars["ansible_host"]
                host.vars["group_names"]
            inv.select("site*:&tier_1")
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=20_000)
    ap.add_argument("--groups", type=int, default=2_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--literal", action="store_true",
                    help="no variable refers to another (the loader before this change "
                         "refused such references): to time an older checkout")
    args = ap.parse_args()
    small = measure(args.hosts // 10, args.groups // 10, args.repeat, args.literal)
    large = measure(args.hosts, args.groups, args.repeat, args.literal)
    print(f"baseline {args.hosts // 10:>6} hosts / {args.groups // 10:>5} groups: {small:7.2f} s")
    print(f"large    {args.hosts:>6} hosts / {args.groups:>5} groups: {large:7.2f} s")
    print(f"ratio {large / small:.1f} for 10x the size (linear: ~10)")


if __name__ == "__main__":
    main()
