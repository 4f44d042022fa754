"""python -m tests.lab.psrp.exchange serve --scenario NAME [--port 0] ... | list"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from . import make_server, names
from .recipients import remote_mailboxes


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m tests.lab.psrp.exchange")
    sub = ap.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve a scenario until SIGTERM")
    serve.add_argument("--scenario", default="healthy", choices=names())
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--auth", choices=["basic", "negotiate"], default="negotiate")
    serve.add_argument("--user", default="LAB\\svc")
    serve.add_argument("--password", default="pw")
    serve.add_argument("--password-file", help="read the password from this file instead")
    serve.add_argument("--remote-mailboxes", type=int, help="override the scenario's count")
    serve.add_argument("-v", "--verbose", action="store_true")
    sub.add_parser("list", help="list scenarios")
    args = ap.parse_args(argv)
    if args.command == "list":
        print("\n".join(names()))
        return
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    password = args.password
    if args.password_file:
        with open(args.password_file, encoding="utf-8") as f:
            password = f.read().strip()
    srv = make_server(args.scenario, port=args.port, username=args.user, password=password,
                      auth=args.auth)
    if args.remote_mailboxes is not None:  # the benchmark: build them once, before serving
        state = srv.state  # type: ignore[attr-defined]
        state.sc["remote_mailboxes"] = {"count": args.remote_mailboxes}
        state.prebuilt["remote_mailboxes"] = list(remote_mailboxes(state.sc))
    srv.serve_until_terminated()


if __name__ == "__main__":
    main()
