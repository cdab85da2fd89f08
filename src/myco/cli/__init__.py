"""The ``myco`` command line.

Only :mod:`argparse` is imported up front; each command imports what it needs, so
``myco hook`` and the client commands start fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from myco._version import __version__


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="myco", description="Coordinate parallel AI coding-agent sessions."
    )
    p.add_argument("--version", action="version", version=f"myco {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("serve", help="run the daemon")
    s.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=None, help="port (default 8000; 0 = any free)")
    s.add_argument("--data-dir", default=None, help="where tenants live")
    s.add_argument("--fsync", choices=("always", "everysec", "no"), default=None)
    s.add_argument("--storage", default=None, help="storage backend (default file)")
    s.add_argument("--tenants", choices=("open", "closed"), default=None)
    s.add_argument("--log-format", choices=("auto", "json", "console"), default=None)
    s.add_argument("--quiet", action="store_true", help="no access log")

    v = sub.add_parser("view", help="print a session's view")
    v.add_argument("session", nargs="?", help="default $MYCO_SESSION")
    v.add_argument("--format", default="markdown")

    po = sub.add_parser("post", help="post event lines as a session")
    po.add_argument("session")
    po.add_argument("lines", nargs="+", metavar="LINE")

    m = sub.add_parser("msg", help="create or read rich messages")
    msub = m.add_subparsers(dest="msg_command", metavar="ACTION")
    mp = msub.add_parser("put", help="create msg/NAME from FILE (or stdin)")
    mp.add_argument("name")
    mp.add_argument("file", nargs="?", default="-")
    mg = msub.add_parser("get", help="print msg/NAME (acknowledged for $MYCO_SESSION)")
    mg.add_argument("name")
    mg.add_argument("--session", default=None, help="acknowledge as this session")

    sub.add_parser("status", help="every session's status (JSON)")

    pl = sub.add_parser("plugins", help="list installed plugins (JSON)")
    pl.add_argument("--all", action="store_true", help="include built-in plugins")

    t = sub.add_parser("token", help="create or register tenant tokens")
    tsub = t.add_subparsers(dest="token_command", metavar="ACTION")
    tsub.add_parser("new", help="print a new strong token")
    ta = tsub.add_parser("add", help="allow TOKEN on a daemon with --tenants closed")
    ta.add_argument("token")
    ta.add_argument("--label", default="")
    ta.add_argument("--data-dir", default=None)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    from myco.cli import commands
    from myco.client import ClientError

    handler = getattr(commands, f"cmd_{args.command}")
    try:
        return int(handler(args) or 0)
    except (CommandError, ClientError) as exc:
        print(f"myco: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
