"""Fan-out benchmark: playbooks/gate.yml against `checker apply` over the same PSRP fleet.

    python benchmarks/ansible_fanout.py --hosts 200 --latency-ms 50 --forks 10

Both gather the same facts from N hosts spread over --endpoints lab endpoints (reused from
psrp_fleet.py) that add L ms to every WSMan request, with the same forks, in one run.
It prints both wall times and CPU times (each a whole command, start-up included), their
ratio (target: the playbook <= 1.5x checker), where the playbook's time went per task
(Ansible's own profile_tasks callback), and Ansible's floor: the same play shape with a no-op
action (ansible.builtin.debug, delegated to localhost like the gather) instead of checker's,
i.e. what Ansible itself costs per host task at these forks. The two JSON reports must hold
the same result set.

Two rule sets, each measured both ways: the shipped rules, under which every host of this
fleet (Entra Connect servers) waits for the DCs' Mail Users (adsync.connector_space), so
gate.yml gathers it in its play over the waiting hosts (Ansible's fan-out, one connection per
host), after gather_shared has completed its requests, as apply's second wave does; and the
shipped rules whose facts need no other host, under which gate.yml's first per-host task
gathers every host.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from psrp_fleet import start_endpoint  # noqa: E402

BIN = Path(sys.executable).parent


def inventory(hosts: int, ports: list[int]) -> str:
    members = {
        f"aadc{i:03}.fleet.example.com": {
            "ansible_host": "127.0.0.1", "ansible_port": ports[i % len(ports)]}
        for i in range(hosts)}
    group_vars = {"ansible_connection": "psrp", "ansible_user": "bench",
                  "ansible_password": "bench", "ansible_psrp_auth": "basic",
                  "ansible_psrp_protocol": "http", "ansible_psrp_message_encryption": "never"}
    return json.dumps({"all": {"children": {"aadconnect": {"hosts": members,
                                                           "vars": group_vars}}}})


FLOOR = """- name: Ansible's floor
  hosts: all
  gather_facts: false
  tasks:
    - name: A no-op action per host, delegated like the gather
      ansible.builtin.debug:
        msg: "{{ inventory_hostname }}"
      delegate_to: localhost
"""


class Timed:
    def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
        t0, c0 = time.perf_counter(), _children_cpu()
        self.proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                                   timeout=1800)
        self.wall, self.cpu = time.perf_counter() - t0, _children_cpu() - c0

    def __str__(self) -> str:
        return f"{self.wall:6.2f} s wall, {self.cpu:6.2f} s CPU (exit {self.proc.returncode})"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def result_set(path: Path) -> list[tuple[str, str, str]]:
    if not path.is_file():
        return []
    doc = json.loads(path.read_text())
    return sorted((r["rule_id"], r["host"], r["status"]) for r in doc["results"])


def task_times(stdout: str) -> list[str]:
    """profile_tasks' closing table: one line per task with its wall time."""
    lines = [ln.strip() for ln in stdout.splitlines() if re.search(r"-+ \d+\.\d+s$", ln)]
    return lines[:5]


def per_host_rules(inv: Path) -> list[str]:
    """The shipped rules for this fleet whose facts need no other host's (no collector
    `inputs`)."""
    from checker.gather_inputs import needs_inputs
    from checker.inventory.loader import load_inventory
    from checker.ruleset.loader import load_rules

    fleet = load_inventory(inv)
    return [r.id for r in load_rules([ROOT / "rules"]).rules if fleet.select(r.hosts)
            and not any(needs_inputs(ref.key) for ref in (*r.local_facts, *r.remote_facts))]


def measure(label: str, rules: list[str], inv: Path, work: Path, forks: int,
            env: dict[str, str], play_env: dict[str, str]) -> tuple[Timed, Timed]:
    """`checker apply` then gate.yml, over `rules` (all shipped rules when empty)."""
    cli_rules = [arg for rule in rules for arg in ("--rule", rule)]
    play_rules = ["-e", f"checker_rule={','.join(rules)}"] if rules else []
    slug = "-".join(label.split())
    cli_json, play_json = work / f"cli-{slug}.json", work / f"play-{slug}.json"
    cli = Timed([str(BIN / "checker"), "apply", str(inv), "--forks", str(forks), *cli_rules,
                 "--report", f"json:{cli_json}"], env)
    play = Timed([str(BIN / "ansible-playbook"), "-i", str(inv), "-f", str(forks),
                  str(ROOT / "playbooks" / "gate.yml"), *play_rules,
                  "-e", f"checker_report=json:{play_json}"], play_env)
    same = result_set(cli_json) == result_set(play_json)
    errors = sum(1 for _, _, s in result_set(play_json) if s == "error")
    print(f"{label}: {len(result_set(play_json))} results")
    print(f"  checker apply:  {cli}")
    print(f"  gate.yml:       {play}")
    print(f"  ratio gate.yml / checker apply: {play.wall / cli.wall:.2f} (target <= 1.5); "
          f"same result set: {same}; error rows: {errors}")
    print("  gate.yml per task (profile_tasks):")
    for line in task_times(play.proc.stdout):
        print(f"    {line}")
    return cli, play


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--forks", type=int, default=10)
    ap.add_argument("--endpoints", type=int, default=4)
    ap.add_argument("--strategy", default="linear", help="Ansible strategy plugin for the play")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="checker-fanout-"))
    started = [start_endpoint(args.latency_ms) for _ in range(args.endpoints)]
    ports = [port for _, port in started]
    inv = work / "inventory.yml"
    inv.write_text(inventory(args.hosts, ports))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    play_env = {**env, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collections"),
                "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
                "ANSIBLE_STRATEGY": args.strategy, "ANSIBLE_NOCOLOR": "1"}
    (work / "floor.yml").write_text(FLOOR)
    print(f"hosts={args.hosts} forks={args.forks} latency={args.latency_ms:g}ms "
          f"endpoints={args.endpoints} strategy={args.strategy} cores={os.cpu_count()} "
          f"load={os.getloadavg()[0]:.1f}")
    try:
        Timed([sys.executable, "-m", "checker", "apply", str(inv), "--limit", "aadc000*",
               "--report", f"json:{work / 'warm.json'}"], env)  # warm every endpoint once
        measure("shipped rules", [], inv, work, args.forks, env, play_env)
        measure("rules needing no other host", per_host_rules(inv), inv, work, args.forks, env,
                play_env)
        floor = Timed([str(BIN / "ansible-playbook"), "-i", str(inv), "-f", str(args.forks),
                       str(work / "floor.yml")], play_env)
    finally:
        for proc, _ in started:
            proc.terminate()
            proc.wait(10)
    print(f"Ansible floor (one no-op task per host): {floor}; load={os.getloadavg()[0]:.1f}")
    for line in task_times(floor.proc.stdout):
        print(f"  {line}")


if __name__ == "__main__":
    main()
