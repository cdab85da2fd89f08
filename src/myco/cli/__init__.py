"""The ``myco`` command line.

Only :mod:`argparse` is imported up front; each command imports what it needs, so
``myco hook`` and the client commands start fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from myco._version import __version__

if TYPE_CHECKING:
    import argparse


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


def build_parser() -> argparse.ArgumentParser:
    import argparse

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
    s.add_argument(
        "--redis-url",
        default=None,
        help="Redis for --storage redis (default $MYCO_REDIS_URL or local 6379)",
    )
    s.add_argument("--tenants", choices=("open", "closed"), default=None)
    s.add_argument("--log-format", choices=("auto", "json", "console"), default=None)
    s.add_argument("--quiet", action="store_true", help="no access log")
    s.add_argument(
        "--trusted-proxy",
        action="append",
        default=None,
        metavar="ADDR",
        help="a reverse proxy (IP or network) whose X-Forwarded-For names the client; repeatable",
    )
    s.add_argument(
        "--require-session-tokens",
        action="store_true",
        help="acting as a session needs its session token; only DIRECTOR may direct",
    )

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

    g = sub.add_parser("guide", help="print the agents' guide, with what plugins add")
    g.add_argument(
        "--role",
        choices=("worker", "director"),
        default="worker",
        help="the guide for a worker session (default) or the DIRECTOR",
    )

    pl = sub.add_parser("plugins", help="list installed plugins (JSON)")
    pl.add_argument("--all", action="store_true", help="include built-in plugins")

    t = sub.add_parser("token", help="create or register tenant tokens")
    tsub = t.add_subparsers(dest="token_command", metavar="ACTION")
    tsub.add_parser("new", help="print a new strong token")
    ta = tsub.add_parser("add", help="allow TOKEN on a daemon with --tenants closed")
    ta.add_argument("token")
    ta.add_argument("--label", default="")
    ta.add_argument("--data-dir", default=None)
    ts = tsub.add_parser("session", help="print a token that can act only as SESSION")
    ts.add_argument("token", metavar="TENANT_TOKEN")
    ts.add_argument("session")

    d = sub.add_parser("demo", help="a throwaway daemon playing a scripted swarm (dashboard)")
    d.add_argument("--speed", type=float, default=1.0, help="pace factor (2 = twice as fast)")
    d.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default any free)")
    d.add_argument("--data-dir", default=None, help="keep the data here (default a temp dir)")
    d.add_argument("--token", default=None, help="tenant token (default a new one)")
    d.add_argument("--once", action="store_true", help="stop when the script has played")

    h = sub.add_parser("hook", help="run an agent hook (called by the agent CLI)")
    h.add_argument("agent")
    h.add_argument("event")

    agents = "AGENT: claude-code, codex, aider, or an adapter plugin's name"
    r = sub.add_parser(
        "run",
        help="launch an agent CLI as SESSION with myco wired in",
        epilog="Arguments after -- go to the agent CLI verbatim.",
    )
    r.add_argument("session")
    r.add_argument("project_dir", nargs="?", default=".")
    r.add_argument("--agent", default="claude-code", help=agents)
    r.add_argument("--url", default=None, help="daemon URL (default $MYCO_URL)")
    r.add_argument(
        "--resume",
        nargs="?",
        const="",
        default=None,
        metavar="ID",
        help="resume the CLI's session ID (or the latest)",
    )
    r.add_argument(
        "--offline",
        action="store_true",
        help="start even if the daemon is unreachable; hooks queue events locally",
    )
    r.add_argument(
        "--wire",
        choices=("flag", "local"),
        default="flag",
        help="hooks on the command line (default) or in project-local settings",
    )
    r.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")

    w = sub.add_parser(
        "worker",
        help="deliver prompts queued for SESSION into its agent CLI",
        epilog="Arguments after -- go to the agent CLI verbatim.",
    )
    w.add_argument("session")
    w.add_argument("project_dir", nargs="?", default=".")
    w.add_argument("--agent", default="claude-code", help=agents)
    w.add_argument("--url", default=None, help="daemon URL (default $MYCO_URL)")
    w.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    w.add_argument("--once", action="store_true", help="deliver one prompt, then exit")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["hook"] and "-h" not in argv and "--help" not in argv:
        from myco.agent_hooks.main import main as hook_main  # the per-turn hot path: no argparse

        return hook_main(argv[1:], refresh=True)
    agent_args: list[str] = []
    if argv[:1] in (["run"], ["worker"]) and "--" in argv:
        cut = argv.index("--")
        argv, agent_args = argv[:cut], argv[cut + 1 :]
    parser = build_parser()
    args = parser.parse_args(argv)
    args.agent_args = agent_args
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
