"""``myco token``: the auth plugin's command (new tenant tokens, closed-mode registration,
session tokens)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from myco.cli import CommandError
from myco.cli.registry import Command

USAGE = "usage: myco token new | myco token add TOKEN | myco token session TOKEN SESSION"


def configure(parser: argparse.ArgumentParser) -> None:
    tsub = parser.add_subparsers(dest="token_command", metavar="ACTION")
    tsub.add_parser("new", help="print a new strong token")
    ta = tsub.add_parser(
        "add",
        help="allow TOKEN on a daemon with --tenants closed",
        description="Register TOKEN in the data directory of the daemon that will accept "
        "it: pass the daemon's --data-dir (or set MYCO_DATA_DIR).",
    )
    ta.add_argument("token", help="the tenant token to register (from `myco token new`)")
    ta.add_argument("--label", default="", help="a note kept next to the token's hash")
    ta.add_argument(
        "--data-dir",
        default=None,
        help="the daemon's data directory (default $MYCO_DATA_DIR or the per-user one)",
    )
    ts = tsub.add_parser("session", help="print a token that can act only as SESSION")
    ts.add_argument("token", metavar="TENANT_TOKEN", help="the tenant token it derives from")
    ts.add_argument("session", help="the only session the new token may act as")


def run(args: argparse.Namespace) -> int:
    from myco.auth.tokens import new_token

    if args.token_command == "new":
        print(new_token())
        return 0
    if args.token_command == "add":
        return _add(args.token, args.label, args.data_dir)
    if args.token_command == "session":
        from myco.auth.session_tokens import session_token
        from myco.names import InvalidName

        try:
            print(session_token(args.token, args.session))
        except InvalidName as exc:
            raise CommandError(str(exc)) from None
        return 0
    raise CommandError(USAGE)


def _add(token: str, label: str, data_dir_arg: str | None) -> int:
    from myco.auth.session_tokens import SESSION_KEYS_FILE, SessionKeyStore
    from myco.auth.tokens import TOKENS_FILE, TokenStore, strength_problem
    from myco.config import default_data_dir
    from myco.storage import lock

    problem = strength_problem(token)
    if problem:
        raise CommandError(f"token rejected: {problem}")
    data_dir = Path(data_dir_arg).expanduser() if data_dir_arg else default_data_dir()
    try:
        tenant = TokenStore(data_dir / TOKENS_FILE).add(token, label)
        # so its session tokens work even before the tenant token's first request
        SessionKeyStore(data_dir / SESSION_KEYS_FILE).register(token, tenant)
    except OSError as exc:
        raise CommandError(f"cannot write to {data_dir}: {exc.strerror}") from None
    print(f"token registered for tenant {tenant[:8]}… in {data_dir / TOKENS_FILE}")
    if not lock.in_use(data_dir):
        given = "--data-dir" if data_dir_arg else ("MYCO_DATA_DIR" if _env_dir() else "default")
        print(
            f"note: no myco daemon is using {data_dir} ({given}) right now; a daemon only "
            "accepts the token if it runs with this --data-dir (or MYCO_DATA_DIR)",
            file=sys.stderr,
        )
    return 0


def _env_dir() -> bool:
    return bool(os.environ.get("MYCO_DATA_DIR"))


TOKEN = Command(
    "token",
    "create or register tenant tokens",
    run,
    configure,
    description="Create tenant tokens, register them for a daemon started with "
    "--tenants closed, and derive session tokens (built-in auth plugin).",
)
