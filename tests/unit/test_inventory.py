from __future__ import annotations

from pathlib import Path

import pytest

from checker.errors import InventoryError
from checker.inventory import load_inventory
from checker.inventory.patterns import select

YAML_INV = """\
all:
  vars:
    site: all-inventory
    level: all
  children:
    domain_controllers:
      vars:
        level: dc-inventory
      hosts:
        dc1:
          ansible_host: 10.0.0.1
          level: host-inventory
        dc2:
    aadconnect:
      hosts:
        aadc1:
      children:
        staging:
          hosts:
            aadc2:
"""


def write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def test_yaml_groups_children_and_order(tmp_path: Path) -> None:
    inv = load_inventory(write(tmp_path, "inv.yml", YAML_INV))
    assert list(inv.hosts) == ["dc1", "dc2", "aadc1", "aadc2"]
    assert [h.name for h in inv.select("aadconnect")] == ["aadc1", "aadc2"]
    assert "staging" in inv.hosts["aadc2"].groups and "aadconnect" in inv.hosts["aadc2"].groups


def test_ansible_variable_precedence(tmp_path: Path) -> None:
    write(tmp_path, "group_vars/all.yml", "level: group_vars_all\nsite: gv-all\n")
    write(tmp_path, "group_vars/domain_controllers.yml", "level: group_vars_dc\n")
    write(tmp_path, "host_vars/dc2.yml", "level: host_vars_dc2\n")
    inv = load_inventory(write(tmp_path, "inv.yml", YAML_INV))
    # group_vars files beat inventory group vars; inventory host vars beat group_vars files
    assert inv.hosts["dc1"].vars["level"] == "host-inventory"
    # host_vars/ beats everything
    assert inv.hosts["dc2"].vars["level"] == "host_vars_dc2"
    assert inv.hosts["aadc1"].vars["level"] == "group_vars_all"
    assert inv.hosts["aadc1"].vars["site"] == "gv-all"


def test_child_group_beats_parent(tmp_path: Path) -> None:
    text = YAML_INV.replace("        staging:\n", "        staging:\n          vars: {tier: child}\n")
    text = text.replace("    aadconnect:\n", "    aadconnect:\n      vars: {tier: parent}\n")
    inv = load_inventory(write(tmp_path, "inv.yml", text))
    assert inv.hosts["aadc2"].vars["tier"] == "child"
    assert inv.hosts["aadc1"].vars["tier"] == "parent"


def test_ini_inventory(tmp_path: Path) -> None:
    inv = load_inventory(
        write(
            tmp_path,
            "hosts",
            "[domain_controllers]\ndc1 ansible_host=10.0.0.1 ansible_port=636\n\n"
            "[aadconnect]\naadc1\n\n[aadconnect:vars]\nansible_connection=psrp\n\n"
            "[hybrid:children]\naadconnect\n",
        )
    )
    assert inv.hosts["dc1"].vars["ansible_port"] == 636
    assert inv.hosts["aadc1"].vars["ansible_connection"] == "psrp"
    assert [h.name for h in inv.select("hybrid")] == ["aadc1"]


def test_env_lookup_and_secret_hiding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AD_PASSWORD", "S3cret-Value!")
    text = "all:\n  hosts:\n    dc1:\n      ansible_password: \"{{ lookup('env', 'AD_PASSWORD') }}\"\n"
    host = load_inventory(write(tmp_path, "inv.yml", text)).hosts["dc1"]
    assert host.vars["ansible_password"] == "S3cret-Value!"
    assert "ansible_password" not in host.public_vars()
    assert "S3cret" not in repr(host)


def test_undefined_env_lookup_names_file_and_line(tmp_path: Path) -> None:
    text = "all:\n  hosts:\n    dc1:\n      x: 1\n      ansible_password: \"{{ lookup('env', 'NOPE_X') }}\"\n"
    host = load_inventory(write(tmp_path, "inv.yml", text)).hosts["dc1"]
    assert host.vars["x"] == 1  # variables are rendered when read, as in Ansible
    with pytest.raises(InventoryError) as e:
        host.vars["ansible_password"]
    assert str(e.value).endswith("inv.yml:5: variable ansible_password: environment variable NOPE_X is not set")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("all", ["dc1", "dc2", "aadc1", "aadc2"]),
        ("dc*", ["dc1", "dc2"]),
        ("domain_controllers:!dc2", ["dc1"]),
        ("all:&aadconnect", ["aadc1", "aadc2"]),
        ("aadconnect:&staging", ["aadc2"]),
        ("~^aadc[12]$,dc1", ["aadc1", "aadc2", "dc1"]),  # Ansible: in the order of the terms
        ("!dc1", ["dc2", "aadc1", "aadc2"]),
        ("nothing", []),
    ],
)
def test_limit_patterns(pattern: str, expected: list[str]) -> None:
    hosts = ["dc1", "dc2", "aadc1", "aadc2"]
    groups = {"domain_controllers": ["dc1", "dc2"], "aadconnect": ["aadc1", "aadc2"],
              "staging": ["aadc2"]}
    assert select(pattern, hosts, groups) == expected


BOMB = '''a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]
'''


def test_aliases_are_never_expanded_per_host(tmp_path: Path) -> None:
    """The 216-byte group_vars/all.yml above stands for 531,441 values; 200 hosts read it
    without anyone expanding it (it took 58 s and 3.45 GB when each host copied it)."""
    write(tmp_path, "group_vars/all.yml", BOMB)
    hosts = "".join(f"    h{i}:\n" for i in range(200))
    inv = load_inventory(write(tmp_path, "inv.yml", "all:\n  hosts:\n" + hosts))
    values = [inv.hosts[f"h{i}"].vars["f"] for i in range(200)]
    assert all(v[0] is v[1] for v in values)  # the shared node stays shared


def test_vault_password_scripts(tmp_path: Path) -> None:
    from checker.inventory.vault import load_secrets

    plain = write(tmp_path, "pw.sh", "#!/bin/sh\necho from-script\n")
    client = write(tmp_path, "keyring-client.sh", '#!/bin/sh\necho "$1:$2"\n')
    plain.chmod(0o755)
    client.chmod(0o755)
    vault = load_secrets([f"prod@{client}"], [str(plain)], False)
    assert vault.secrets == [("prod", b"--vault-id:prod"), ("default", b"from-script")]


@pytest.mark.parametrize(("name", "text", "message"), [
    ("plugin.yml", "plugin: microsoft.ad.ldap\n", "inventory plugin configuration"),
    ("inv.toml", "[all]\n", "TOML inventories are not supported"),
    ("hosts", "[dcs]\ndc[01:3]\n", "hosts:2: host range must specify equal-length"),
    ("hosts", "[dcs]\ndc[5:1:0]\n", "hosts:2: host range step must be a positive number"),
    ("inv.yml", "all:\n  hosts:\n    5986:\n", "inv.yml:3: host pattern 5986 must be a string"),
])
def test_inventories_refused_with_a_reason(tmp_path: Path, name: str, text: str,
                                           message: str) -> None:
    with pytest.raises(InventoryError) as e:
        load_inventory(write(tmp_path, name, text))
    assert message in str(e.value)


def test_inventory_scripts_are_never_run(tmp_path: Path) -> None:
    script = write(tmp_path, "ec2.py", f"#!/bin/sh\ntouch {tmp_path}/ran\n")
    script.chmod(0o755)
    with pytest.raises(InventoryError, match="never runs inventory code"):
        load_inventory(script)
    assert not (tmp_path / "ran").exists()


def test_yaml_warnings_are_kept(tmp_path: Path) -> None:
    inv = load_inventory(write(tmp_path, "inv.yml", "all:\n  hostz:\n    dc1:\n"))
    assert inv.warnings == (f"{tmp_path}/inv.yml:2: skipping unexpected key 'hostz' in group "
                            "'all': only vars, children and hosts are valid",)


def test_no_secret_in_a_repr(tmp_path: Path) -> None:
    from checker.inventory import LoadOptions
    from checker.inventory.extravars import parse_extra_vars
    from checker.inventory.vault import load_secrets

    pw = write(tmp_path, "vault.pw", "Vault-Pa55\n")
    vault = load_secrets([], [str(pw)], False)
    vault.plaintexts.add("Decrypted-S3cret")
    options = LoadOptions(vault, parse_extra_vars(["ansible_password=Extra-S3cret"], vault))
    text = repr(options)
    assert "Vault-Pa55" not in text and "Decrypted-S3cret" not in text
    assert "Extra-S3cret" not in text
