"""python -m tests.lab.psrp serve --scenario NAME [--port 0] [--auth basic|negotiate] ..."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from collections.abc import Sequence

from . import make_server, scenario


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m tests.lab.psrp")
    sub = ap.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve a scenario until SIGTERM")
    serve.add_argument("--scenario", default="healthy", choices=scenario.names())
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--auth", choices=["basic", "negotiate"], default="negotiate")
    serve.add_argument("--user", default="LAB\\svc")
    serve.add_argument("--password", default="pw")
    serve.add_argument("--password-file", help="read the password from this file instead")
    serve.add_argument("--anchor", type=dt.datetime.fromisoformat, default=None,
                       help="Exchange schema extension time (ISO 8601; default now - 30 days)")
    serve.add_argument("--timezone", help="the server's time zone (IANA name; default: the "
                       "scenario's, else UTC)")
    serve.add_argument("--directory", help="the AD scenario its connector spaces mirror")
    serve.add_argument("--latency-ms", type=float, default=0.0)
    serve.add_argument("--stats", action="store_true", help="print counters on exit")
    serve.add_argument("-v", "--verbose", action="store_true")
    sub.add_parser("list", help="list scenarios")
    args = ap.parse_args(argv)
    if args.command == "list":
        print("\n".join(scenario.names()))
        return
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    anchor = args.anchor.replace(tzinfo=args.anchor.tzinfo or dt.timezone.utc) \
        if args.anchor else None
    password = args.password
    if args.password_file:
        with open(args.password_file, encoding="utf-8") as f:
            password = f.read().strip()
    srv = make_server(args.scenario, anchor=anchor, port=args.port, username=args.user,
                      password=password, auth=args.auth, latency=args.latency_ms / 1000,
                      timezone=args.timezone, directory=args.directory)
    srv.serve_until_terminated(stats=args.stats)


if __name__ == "__main__":
    main()
