"""python -m tests.lab up --scenario NAME --dir DIR | down --dir DIR | list | refresh-schema --dir DIR"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.lab import estate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.lab", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the Samba DC and the PSRP endpoint for a scenario")
    up.add_argument("--scenario", required=True, choices=estate.names())
    up.add_argument("--dir", type=Path, required=True)
    up.add_argument("--templates", type=Path, help="reuse template DCs built in this folder")
    up.add_argument("--timezone", help="the Connect server's time zone (IANA name)")
    down = sub.add_parser("down", help="stop everything `up` started in DIR")
    down.add_argument("--dir", type=Path, required=True)
    sub.add_parser("list", help="name the scenarios")
    refresh = sub.add_parser("refresh-schema",
                             help="simulate the wizard's Refresh directory schema (manual step)")
    refresh.add_argument("--dir", type=Path, required=True)
    args = ap.parse_args(argv)
    if args.command == "list":
        for name in estate.names():
            print(f"{name:32} {estate.load(name).get('description', '')}")
    elif args.command == "up":
        lab = estate.up(args.scenario, args.dir, args.templates, args.timezone)
        print(f"lab {args.scenario} is up; inventory: {lab.inventory}")
        print(f"  checker apply {lab.inventory}")
        print(f"  python -m tests.lab down --dir {lab.dir}")
    elif args.command == "down":
        estate.down(args.dir)
    else:
        print(estate.refresh_schema(args.dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
