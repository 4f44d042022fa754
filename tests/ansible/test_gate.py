"""playbooks/gate.yml and the checker.identity collection with the real ansible-playbook, on
the demo estate (recorded facts) and on hosts that refuse or never answer: the same results,
reports, history and gate as `checker apply`."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.ansible.play import (
    BIN,
    COLLECTIONS,
    REPO,
    ansible_env,
    apply,
    assert_same_run,
    gate,
    gate_exit_code,
    playbook,
    result_set,
)
from tests.lab.net import lab_ip

DEMO = REPO / "inventories" / "demo" / "inventory.yml"
HOSTILE = "{{ lookup('pipe', 'touch MARKER') }}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The collection as `ansible-galaxy collection build` makes it, installed from the tarball."""
    out = tmp_path_factory.mktemp("galaxy")
    source = COLLECTIONS / "ansible_collections" / "checker" / "identity"
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", str(source),
                    "--output-path", str(out)], check=True, capture_output=True)
    (tarball,) = out.glob("checker-identity-*.tar.gz")
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", str(tarball), "-p",
                    str(out / "installed")], check=True, capture_output=True)
    return out / "installed"


def test_the_built_collection_gives_checkers_results(built: Path, tmp_path: Path) -> None:
    code, cli = apply(DEMO, tmp_path / "cli.json")
    proc, play = gate(DEMO, tmp_path / "play.json", env=ansible_env(built))
    assert code == 1 and gate_exit_code(proc) == 1
    assert proc.returncode == 2  # ansible-playbook: a task failed
    assert_same_run(cli, play)
    # no host waits here: the play over checker_waiting selects none, without a warning
    assert "Could not match supplied host pattern" not in proc.stdout + proc.stderr
    assert "PLAY [Checker gate - gather the hosts that wait for the others' facts]" in proc.stdout


def test_project_requirements_install_the_collection(tmp_path: Path) -> None:
    """What an AWX project sync runs, from the project's root: collections/requirements.yml."""
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "-r",
                    "collections/requirements.yml", "-p", str(tmp_path)],
                   cwd=REPO, check=True, capture_output=True, env=ansible_env(tmp_path))
    manifest = tmp_path / "ansible_collections" / "checker" / "identity" / "MANIFEST.json"
    assert json.loads(manifest.read_text())["collection_info"]["name"] == "identity"


def test_options_map_to_the_cli(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yml"
    waivers.write_text(yaml.safe_dump([{
        "rule": "AADC-CONNECTOR-SCHEMA-REFRESHED", "justification": "refresh booked in CHG-7",
        "approver": "jane.doe@contoso.com", "ticket": "CHG-7", "expires": "2099-12-31"}]))
    cli_db, play_db = tmp_path / "cli.db", tmp_path / "play.db"
    code, cli = apply(DEMO, tmp_path / "cli.json", "--profile", "nightly", "--fail-on", "critical",
                      "--waivers", str(waivers), "--history", str(cli_db),
                      "--report", f"junit:{tmp_path / 'cli.xml'}")
    extra = {"checker_profile": "nightly", "checker_fail_on": "critical",
             "checker_waivers": str(waivers), "checker_history": str(play_db),
             "checker_report": [f"json:{tmp_path / 'play.json'}",
                                f"junit:{tmp_path / 'play.xml'}"]}
    proc = playbook(DEMO, "-e", json.dumps(extra))
    play = json.loads((tmp_path / "play.json").read_text())
    assert gate_exit_code(proc) == code
    assert_same_run(cli, play)
    assert any(r["status"] == "waived" for r in play["results"])
    assert play["fail_on"] == "critical"
    assert (tmp_path / "play.xml").read_text().count("<testcase") == (
        tmp_path / "cli.xml").read_text().count("<testcase")
    assert stored(play_db) == stored(cli_db) != []


def stored(db: Path) -> list[tuple[str, ...]]:
    """The stored runs (estate, exit code) and rows: the same estate, so drift can compare
    a nightly playbook run with an earlier CLI run."""
    with sqlite3.connect(db) as conn:
        runs = conn.execute("SELECT estate, exit_code FROM runs").fetchall()
        return runs + sorted(conn.execute("SELECT rule_id, host, status FROM results"))


def test_limit_keeps_cross_host_facts(tmp_path: Path) -> None:
    """-l leaves the DC out of the play; the Connect rules that compare with the DC's facts
    (`from: domain_controllers`) still get them, as with `checker apply --limit`."""
    host = "aadc01.lab.example.com"
    code, cli = apply(DEMO, tmp_path / "cli.json", "--limit", host)
    proc, play = gate(DEMO, tmp_path / "play.json", "-l", host)
    assert code == gate_exit_code(proc) == 1
    assert_same_run(cli, play)
    assert {h for _, h, _ in result_set(play)} == {host}
    assert "[dc01.lab.example.com" not in proc.stdout  # no task ran for the DC


def test_hostile_directory_values_stay_data(tmp_path: Path) -> None:
    for f in ("inventory.yml", "facts.json"):
        shutil.copy(DEMO.parent / f, tmp_path / f)
    facts = json.loads((tmp_path / "facts.json").read_text())
    rows = facts["hosts"]["dc01.lab.example.com"]["facts"]
    recipients = next(r for r in rows if r["collector"] == "ad.recipients")["value"]
    recipients[0]["mail_nickname"] = recipients[0]["display_name"] = HOSTILE
    (tmp_path / "facts.json").write_text(json.dumps(facts))
    code, cli = apply(tmp_path / "inventory.yml", tmp_path / "cli.json", cwd=tmp_path)
    proc, play = gate(tmp_path / "inventory.yml", tmp_path / "play.json", cwd=tmp_path)
    assert not (tmp_path / "MARKER").exists()
    assert code == gate_exit_code(proc) == 1
    assert_same_run(cli, play)
    assert HOSTILE in json.dumps(play)  # reported verbatim, as data


class Listener:
    """A TCP port that records what each connection sends, then hangs up (a broken DC)."""

    def __init__(self) -> None:
        self.sock = socket.create_server((lab_ip(251), 0))
        self.ip, self.port = lab_ip(251), self.sock.getsockname()[1]
        self.received: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(4096))
                except OSError:
                    self.received.append(b"")


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.sock.close()


def ldap_inventory(tmp: Path, ip: str, port: int, password: str) -> Path:
    path = tmp / "inventory.yml"
    path.write_text(yaml.safe_dump({"all": {"children": {"domain_controllers": {"hosts": {
        "dc09.lab.example.com": {
            "ansible_connection": "ldap", "ansible_host": ip,
            "checker_ldap_url": f"ldap://{ip}:{port}", "ansible_user": "svc@lab.example.com",
            "ansible_password": password}}}}}}))
    return path


@pytest.mark.parametrize(("bad", "message"), [
    ("checker_profile=no-such-profile", "unknown profile 'no-such-profile'"),
    # an output the run could not write: refused before the gather, as `checker apply` does
    # (it was an error row after every host had been contacted)
    ("checker_save_facts=/no/such/folder/facts.json",
     "--save-facts: cannot write /no/such/folder/facts.json: the folder /no/such/folder "
     "does not exist"),
])
def test_bad_input_fails_with_3_before_any_contact(tmp_path: Path, listener: Listener,
                                                    bad: str, message: str) -> None:
    inv = ldap_inventory(tmp_path, listener.ip, listener.port,
                         "{{ lookup('env', 'CHECKER_TEST_PW') }}")
    proc = playbook(inv, "-e", bad, "-e", f"checker_report=json:{tmp_path / 'r.json'}",
                    env=ansible_env(CHECKER_TEST_PW="not-used-9f"))
    assert gate_exit_code(proc) == 3
    assert message in proc.stdout
    assert "Gather each host" not in proc.stdout  # the play stopped at the plan
    assert listener.received == [] and not (tmp_path / "r.json").exists()


def test_broken_dc_is_error_never_pass_and_vault_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listener: Listener
) -> None:
    """A DC that hangs up on the first request: `error` rows and exit 2 in both. The password
    is a real `ansible-vault` value (tests/lab/test_ansible_gate.py binds with vaulted
    passwords to the real lab); neither it nor the vault password shows at -vvv."""
    secret = "Vaulted-Secret-4417"
    (tmp_path / "vault-pass").write_text("vault-pw-2231\n")
    vaulted = subprocess.run(
        [str(BIN / "ansible-vault"), "encrypt_string", "--vault-password-file",
         str(tmp_path / "vault-pass"), secret, "--name", "ansible_password"],
        check=True, capture_output=True, text=True, env=ansible_env()).stdout
    monkeypatch.setenv("CHECKER_TEST_PW", secret)
    cli_inv = ldap_inventory(tmp_path, listener.ip, listener.port,
                             "{{ lookup('env', 'CHECKER_TEST_PW') }}")
    code, cli = apply(cli_inv, tmp_path / "cli.json")
    (tmp_path / "vaulted").mkdir()
    inv = ldap_inventory(tmp_path / "vaulted", listener.ip, listener.port, "placeholder")
    inv.write_text(inv.read_text().replace("ansible_password: placeholder", _indent(vaulted)))
    listener.received.clear()
    proc, play = gate(inv, tmp_path / "play.json", "-vvv", "--vault-password-file",
                      str(tmp_path / "vault-pass"))
    assert listener.received  # checker's transport did try the DC
    assert code == 2 and gate_exit_code(proc) == 2
    statuses = {s for _, _, s in result_set(play)}
    assert "error" in statuses and not statuses & {"pass", "fail"}
    assert_same_run(cli, play)
    for text in (proc.stdout, proc.stderr, (tmp_path / "play.json").read_text()):
        assert secret not in text and "vault-pw-2231" not in text


def test_each_host_is_contacted_once_as_apply_does(tmp_path: Path, listener: Listener) -> None:
    """A DC and an Entra Connect server that hang up: the Connect server waits for the DC's
    Mail Users, so gate.yml gathers it in its own per-host task after the DC, and neither
    host is contacted more often than `checker apply` contacts it: once. The group gate.yml
    puts it in is not the inventory's: a rule on `checker_waiting` selects no host."""
    sync = Listener()
    extra = tmp_path / "rules"
    extra.mkdir()
    (extra / "waiting.yml").write_text(yaml.safe_dump([{
        "id": "TEST-GATE-GROUP-HIDDEN", "title": "gate.yml's own group is not the inventory's",
        "severity": "low", "hosts": "checker_waiting",
        "facts": {"adsync": "adsync.global_settings"}, "expect": [{"that": "adsync"}]}]))
    try:
        inv = tmp_path / "inventory.yml"
        inv.write_text(yaml.safe_dump({"all": {"children": {
            "domain_controllers": {"hosts": {"dc09.lab.example.com": {
                "ansible_connection": "ldap", "ansible_host": listener.ip,
                "checker_ldap_url": f"ldap://{listener.ip}:{listener.port}",
                "ansible_user": "svc@lab.example.com", "ansible_password": "x"}}},
            "aadconnect": {"hosts": {"aadc09.lab.example.com": {
                "ansible_connection": "psrp", "ansible_host": sync.ip,
                "ansible_port": sync.port, "ansible_user": "svc", "ansible_password": "x",
                "ansible_psrp_auth": "basic", "ansible_psrp_protocol": "http",
                "ansible_psrp_message_encryption": "never"}}}}}}))
        code, cli = apply(inv, tmp_path / "cli.json", "-r", "rules", "-r", str(extra))
        by_apply = len(listener.received), len(sync.received)
        listener.received.clear()
        sync.received.clear()
        proc, play = gate(inv, tmp_path / "play.json", "-e",
                          json.dumps({"checker_rules": ["rules", str(extra)]}))
        assert (len(listener.received), len(sync.received)) == by_apply == (1, 1)
        assert code == gate_exit_code(proc) == 2
        assert_same_run(cli, play)
        assert "TEST-GATE-GROUP-HIDDEN" not in {rule for rule, _, _ in result_set(play)}
        waiting = proc.stdout.split("PLAY [Checker gate - gather the hosts that wait for the")
        assert "fatal: [aadc09.lab.example.com -> localhost]" in waiting[1]
    finally:
        sync.sock.close()


def _indent(vaulted: str) -> str:
    lines = vaulted.strip().splitlines()
    return "\n".join([lines[0], *("            " + line.strip() for line in lines[1:])])


def test_ansible_has_no_ldap_connection_plugin(tmp_path: Path) -> None:
    """Why gate.yml delegates to localhost: Ansible loads the target's connection plugin
    before any action runs, and there is none for `ldap`."""
    inv = ldap_inventory(tmp_path, "127.0.0.1", 1, "x")
    play = tmp_path / "direct.yml"
    play.write_text(yaml.safe_dump([{"name": "Direct", "hosts": "all", "gather_facts": False,
                                     "tasks": [{"name": "Hello",
                                                "ansible.builtin.debug": {"msg": "hi"}}]}]))
    proc = playbook(inv, playbook=play)
    assert proc.returncode != 0
    assert "the connection plugin 'ldap' was not found" in proc.stdout + proc.stderr


def test_ansible_lint_production_profile() -> None:
    """gate.yml and the collection (its galaxy.yml, changelog, runtime.yml) pass ansible-lint's
    production profile; the collection's .ansible-lint says why it skips the one rule it
    skips."""
    config = COLLECTIONS / "ansible_collections" / "checker" / "identity" / ".ansible-lint"
    proc = subprocess.run(
        [str(BIN / "ansible-lint"), "--offline", "--nocolor", "--profile", "production", "-c",
         str(config), "playbooks/gate.yml", str(config.parent.relative_to(REPO))],
        cwd=REPO, env=ansible_env(NO_COLOR="1"), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "'production' was required, and it passed" in proc.stderr, proc.stderr


def test_every_module_documents_itself() -> None:
    """ansible-doc parses every action's documentation (DOCUMENTATION, EXAMPLES, RETURN):
    ansible-lint does not read it, and a stray `: ` in a description breaks it."""
    plugins = COLLECTIONS / "ansible_collections" / "checker" / "identity" / "plugins"
    names = sorted(f"checker.identity.{p.stem}" for p in (plugins / "action").glob("[a-z]*.py"))
    proc = subprocess.run([str(BIN / "ansible-doc"), "--json", *names], env=ansible_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    docs = json.loads(proc.stdout)
    assert sorted(docs) == names and all(d["doc"] and d["return"] for d in docs.values())
