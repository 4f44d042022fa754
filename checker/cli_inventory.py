"""The inventory options every command shares, read as Ansible reads them: the sources
(positional, -i, else ANSIBLE_INVENTORY or ansible.cfg), vault passwords, extra vars,
forks from ansible.cfg, --tags lists, colour switches and Ansible-worded warnings."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from checker.inventory import Inventory, LoadOptions
    from checker.inventory.config import AnsibleSettings


def ansible_settings(args: argparse.Namespace) -> AnsibleSettings:
    """ansible.cfg and ANSIBLE_* (read once per command)."""
    from checker.inventory.config import load_settings

    if not hasattr(args, "_settings"):
        args._settings = load_settings()
        for warning in args._settings.warnings:
            warn(warning)
    return args._settings


def sources_and_options(args: argparse.Namespace) -> tuple[list[str], LoadOptions]:
    """The inventory sources (positional, -i, else ANSIBLE_INVENTORY/ansible.cfg) and how to
    load them (vault passwords, extra vars)."""
    from checker.inventory.config import inventory_sources, load_options

    settings = ansible_settings(args)
    given = [*([args.inventory] if getattr(args, "inventory", None) else []), *args.inventories]
    sources = inventory_sources(given, settings)
    options = load_options(settings, args.vault_id, args.vault_password_files,
                           args.ask_vault_pass, args.extra_vars)
    if args.verbose >= 2:
        _describe(settings, sources)
    return sources, options


def load(args: argparse.Namespace) -> Inventory:
    from checker.inventory import load_inventory

    sources, options = sources_and_options(args)
    loaded = load_inventory(sources, options)
    for warning in loaded.warnings:
        warn(warning)
    return loaded


def _describe(settings: AnsibleSettings, sources: list[str]) -> None:
    print(f"config file = {settings.config_file or 'none'}", file=sys.stderr)
    for name, origin in sorted(settings.origins.items()):
        print(f"  {name} from {origin}", file=sys.stderr)
    print(f"inventory = {', '.join(sources)}", file=sys.stderr)


def split(values: list[str]) -> list[str]:
    """Ansible's comma-separated, repeatable --tags/--skip-tags."""
    return [t.strip() for v in values for t in v.split(",") if t.strip()]


def forks(args: argparse.Namespace) -> int:
    from checker.errors import InputError

    if getattr(args, "forks", None) is not None:
        return int(args.forks)
    configured = ansible_settings(args).forks
    if configured is not None and configured < 1:
        raise InputError(f"forks must be 1 or more (got {configured} from "
                         f"{ansible_settings(args).origins.get('forks')})")
    return configured or 10


def warn(message: str) -> None:
    """Ansible's own warnings keep Ansible's wording and prefix."""
    print(f"[WARNING]: {message}", file=sys.stderr)


def color(args: argparse.Namespace) -> bool:
    from checker.inventory.config import color_wanted

    return color_wanted(sys.stdout.isatty(), args.no_color)
