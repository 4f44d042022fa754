"""ansible.cfg and the ANSIBLE_* environment, read as ansible-core reads them.

The first of `$ANSIBLE_CONFIG` (a file, or a folder holding ansible.cfg), `./ansible.cfg`
(skipped, with a warning, when the current folder is world-writable), `~/.ansible.cfg` and
`/etc/ansible/ansible.cfg` is the configuration (ansible/config/manager.py
find_ini_config_file). For each setting an environment variable beats the file, and the
command line beats both. Relative paths in the file are relative to the file's folder;
in the environment, to the current folder.
"""

from __future__ import annotations

import configparser
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.errors import InputError
from checker.inventory.extravars import parse_extra_vars
from checker.inventory.loader import LoadOptions
from checker.inventory.sources import IGNORE_EXTENSIONS
from checker.inventory.vault import load_secrets

_TRUE = ("y", "yes", "on", "1", "true", "t")
DEFAULT_INVENTORY = "/etc/ansible/hosts"


@dataclass(frozen=True)
class AnsibleSettings:
    config_file: str | None = None
    inventory: tuple[str, ...] = (DEFAULT_INVENTORY,)
    vault_password_file: str | None = None
    vault_identity_list: tuple[str, ...] = ()
    ask_vault_pass: bool = False
    nocolor: bool = False
    forks: int | None = None
    inventory_ignore_extensions: tuple[str, ...] | None = None
    warnings: tuple[str, ...] = ()
    origins: dict[str, str] = field(default_factory=dict)  # setting -> where it was set


def find_config_file(env: Mapping[str, str]) -> tuple[str | None, list[str]]:
    candidates, warnings = [], []
    if "ANSIBLE_CONFIG" in env:
        path = _unfrack(env["ANSIBLE_CONFIG"], None)
        candidates.append(os.path.join(path, "ansible.cfg") if os.path.isdir(path) else path)
    cwd_cfg = os.path.join(os.getcwd(), "ansible.cfg")
    if os.stat(os.getcwd()).st_mode & stat.S_IWOTH:
        if os.path.exists(cwd_cfg):
            warnings.append(f"Ansible is being run in a world writable directory "
                            f"({os.getcwd()}), ignoring it as an ansible.cfg source.")
    else:
        candidates.append(cwd_cfg)
    candidates += [os.path.expanduser("~/.ansible.cfg"), "/etc/ansible/ansible.cfg"]
    for path in candidates:
        if os.path.exists(path) and os.access(path, os.R_OK):
            return path, warnings
    return None, warnings


def _unfrack(path: str, base: str | None) -> str:
    path = os.path.expandvars(os.path.expanduser(path))
    return os.path.normpath(os.path.join(base or os.getcwd(), path))


def _read(path: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",), interpolation=None)
    try:
        with open(path, encoding="utf-8") as f:
            parser.read_string(f.read(), source=path)
    except (OSError, UnicodeDecodeError, configparser.Error) as e:
        raise InputError(f"cannot read the Ansible configuration: {e}", path) from None
    return parser


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


# setting: (type, environment variables (the last one set wins), (section, key) in the file)
SETTINGS: dict[str, tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "inventory": ("pathlist", ("ANSIBLE_INVENTORY",), (("defaults", "inventory"),)),
    "vault_password_file": ("path", ("ANSIBLE_VAULT_PASSWORD_FILE",),
                            (("defaults", "vault_password_file"),)),
    "vault_identity_list": ("list", ("ANSIBLE_VAULT_IDENTITY_LIST",),
                            (("defaults", "vault_identity_list"),)),
    "ask_vault_pass": ("bool", ("ANSIBLE_ASK_VAULT_PASS",), (("defaults", "ask_vault_pass"),)),
    "nocolor": ("bool", ("ANSIBLE_NOCOLOR", "NO_COLOR"), (("defaults", "nocolor"),)),
    "forks": ("int", ("ANSIBLE_FORKS",), (("defaults", "forks"),)),
    "inventory_ignore_extensions": ("list", ("ANSIBLE_INVENTORY_IGNORE",),
                                    (("defaults", "inventory_ignore_extensions"),
                                     ("inventory", "ignore_extensions"))),
}


def load_settings(env: Mapping[str, str] | None = None) -> AnsibleSettings:
    env = os.environ if env is None else env
    path, warnings = find_config_file(env)
    parser = _read(path) if path else None
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for name, (kind, env_names, keys) in SETTINGS.items():
        raw, origin, base = _raw(env, env_names, parser, keys, path)
        if raw is not None:
            values[name] = _convert(name, kind, raw, base, origin)
            origins[name] = origin
    return AnsibleSettings(config_file=path, warnings=tuple(warnings), origins=origins,
                           **values)


def _raw(env: Mapping[str, str], names: tuple[str, ...], parser: Any,
         keys: tuple[tuple[str, str], ...], path: str | None
         ) -> tuple[str | None, str, str | None]:
    for name in reversed(names):
        if env.get(name) not in (None, ""):
            return env[name], f"environment {name}", None
    for section, key in keys:
        if parser is not None and parser.has_option(section, key):
            return _unquote(parser.get(section, key)), f"{path} [{section}] {key}", \
                os.path.dirname(str(path))
    return None, "", None


def _convert(name: str, kind: str, raw: str, base: str | None, origin: str) -> Any:
    if kind == "bool":
        return raw.strip().lower() in _TRUE
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise InputError(f"{origin}: {name} must be an integer, got {raw!r}") from None
    if kind == "path":
        return _unfrack(raw, base)
    items = tuple(_unquote(x.strip()) for x in raw.split(",") if x.strip())
    return tuple(_unfrack(x, base) for x in items) if kind == "pathlist" else items


def inventory_sources(given: Sequence[str], settings: AnsibleSettings) -> list[str]:
    """The command line's inventories, else ANSIBLE_INVENTORY or ansible.cfg's, else
    /etc/ansible/hosts when it exists (ansible-core's default)."""
    if given:
        return list(given)
    sources = [s for s in settings.inventory
               if s != DEFAULT_INVENTORY or os.path.exists(DEFAULT_INVENTORY)]
    if not sources:
        raise InputError("no inventory: give one (INVENTORY or -i), or set ANSIBLE_INVENTORY "
                         "or `inventory` in ansible.cfg")
    return sources


def load_options(settings: AnsibleSettings, vault_ids: Sequence[str],
                 password_files: Sequence[str], ask_vault_pass: bool,
                 extra_vars: Sequence[str]) -> LoadOptions:
    """Vault passwords as ansible-core gathers them (vault_identity_list, --vault-id,
    --vault-password-file, vault_password_file, --ask-vault-pass), and the extra vars."""
    files = list(password_files)
    if settings.vault_password_file:
        files.append(settings.vault_password_file)
    vault = load_secrets([*settings.vault_identity_list, *vault_ids], files,
                         ask_vault_pass or settings.ask_vault_pass)
    ignore = settings.inventory_ignore_extensions
    return LoadOptions(vault, parse_extra_vars(extra_vars, vault),
                       IGNORE_EXTENSIONS if ignore is None else ignore)


def color_wanted(is_tty: bool, no_color_flag: bool = False,
                 env: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal, and never with --no-color, NO_COLOR (any value,
    no-color.org), TERM=dumb, or ANSIBLE_NOCOLOR / `nocolor` in ansible.cfg."""
    env = os.environ if env is None else env
    if not is_tty or no_color_flag or env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    try:
        return not load_settings(env).nocolor
    except InputError:
        return False
