"""The ``myco`` command line.

Only :mod:`argparse` is imported up front; each command imports what it needs, so
``myco hook`` and the client commands start fast.
"""

from __future__ import annotations

import sys

from myco._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from myco.plugins import Hooks


#: the commands built into myco; plugin commands (``register_commands``) take other names
CORE_COMMANDS = frozenset(
    {"serve", "view", "post", "msg", "status", "guide", "plugins", "demo", "hook", "run", "worker"}
)


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


def build_parser(plugins: Hooks | None = None) -> argparse.ArgumentParser:
    """The ``myco`` parser; with *plugins*, their ``serve`` options and commands too."""
    import argparse

    p = argparse.ArgumentParser(
        prog="myco", description="Coordinate parallel AI coding-agent sessions."
    )
    p.add_argument("--version", action="version", version=f"myco {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("serve", help="run the daemon")
    s.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=None, help="port (default 8000; 0 = any free)")
    s.add_argument(
        "--data-dir",
        default=None,
        help="the daemon's directory, shared by plugins (default $MYCO_DATA_DIR or "
        "the per-user data directory)",
    )
    s.add_argument(
        "--storage",
        default=None,
        help="storage backend: file, redis, or a storage plugin's name (default file)",
    )
    s.add_argument(
        "--log-format",
        choices=("auto", "json", "console"),
        default=None,
        help="log lines as JSON, as console text, or auto: console on a terminal, "
        "JSON otherwise (default auto)",
    )
    s.add_argument("--quiet", action="store_true", help="no access log")
    s.add_argument(
        "--config",
        default=None,
        metavar="FILE",
        help="plugin settings in TOML, one table per settings group below, e.g. "
        '[file] fsync = "always"; variables and flags override it (default $MYCO_CONFIG)',
    )
    if plugins is not None:
        plugins.register_serve_options().add_to_parser(s)

    v = sub.add_parser("view", help="print a session's view")
    v.add_argument("session", nargs="?", help="the session (default $MYCO_SESSION)")
    v.add_argument(
        "--format",
        default="markdown",
        metavar="FORMAT",
        help="view format: markdown (default), json, dashboard, or a renderer plugin's name",
    )

    po = sub.add_parser("post", help="post event lines as a session")
    po.add_argument("session", help="the session posting (e.g. ALICE)")
    po.add_argument("lines", nargs="+", metavar="LINE", help="one event line, e.g. 'start parser'")

    m = sub.add_parser("msg", help="create or read rich messages")
    msub = m.add_subparsers(dest="msg_command", metavar="ACTION")
    mp = msub.add_parser("put", help="create msg/NAME from FILE (or stdin)")
    mp.add_argument("name", help="the message name, e.g. ALICE-plan.md")
    mp.add_argument("file", nargs="?", default="-", help="markdown file (default - : stdin)")
    mg = msub.add_parser("get", help="print msg/NAME (acknowledged for $MYCO_SESSION)")
    mg.add_argument("name", help="the message name")
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

    d = sub.add_parser("demo", help="a throwaway daemon playing a scripted swarm (dashboard)")
    d.add_argument("--speed", type=float, default=1.0, help="pace factor (2 = twice as fast)")
    d.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default any free)")
    d.add_argument("--data-dir", default=None, help="keep the data here (default a temp dir)")
    d.add_argument("--token", default=None, help="tenant token (default a new one)")
    d.add_argument("--once", action="store_true", help="stop when the script has played")

    h = sub.add_parser("hook", help="run an agent hook (called by the agent CLI)")
    h.add_argument("agent", help="the adapter: claude-code, codex, aider, or a plugin's")
    h.add_argument("event", help="the agent CLI's hook event, e.g. UserPromptSubmit")

    agents = "AGENT: claude-code, codex, aider, or an adapter plugin's name"
    r = sub.add_parser(
        "run",
        help="launch an agent CLI as SESSION with myco wired in",
        epilog="Arguments after -- go to the agent CLI verbatim.",
    )
    r.add_argument("session", help="the session name the agent posts as")
    r.add_argument("project_dir", nargs="?", default=".", help="where to run (default .)")
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
        help="hooks on the command line (flag, default) or in project-local settings (local)",
    )
    r.add_argument(
        "--leases",
        choices=("advisory", "enforce"),
        default=None,
        help="enforce: refuse this session's edits under another session's lease "
        "(default: the daemon's setting, advisory)",
    )
    r.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")

    w = sub.add_parser(
        "worker",
        help="deliver prompts queued for SESSION into its agent CLI",
        epilog="Arguments after -- go to the agent CLI verbatim.",
    )
    w.add_argument("session", help="the session whose queued prompts to run")
    w.add_argument("project_dir", nargs="?", default=".", help="where to run (default .)")
    w.add_argument("--agent", default="claude-code", help=agents)
    w.add_argument("--url", default=None, help="daemon URL (default $MYCO_URL)")
    w.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    w.add_argument("--once", action="store_true", help="deliver one prompt, then exit")

    if plugins is not None:
        for command in plugins.register_commands():
            cp = sub.add_parser(
                command.name, help=command.help, description=command.description or command.help
            )
            if command.configure is not None:
                command.configure(cp)
            cp.set_defaults(plugin_command=command)
    return p


def needs_plugins(argv: Sequence[str]) -> bool:
    """Whether *argv* needs the plugin manager: ``serve``, help, or a plugin's command.

    Client commands (``view``, ``post``, ...) never load plugins, so pluggy and aiohttp
    stay out of their start-up.
    """
    if "-h" in argv or "--help" in argv:
        return True
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is None:
        return list(argv) != ["--version"]
    return first == "serve" or first not in CORE_COMMANDS


def load_plugins() -> Hooks:
    """The plugin manager's hooks, or a one-line CommandError when a plugin is broken."""
    from myco.plugins import Hooks, make_plugin_manager

    try:
        return Hooks(make_plugin_manager())
    except Exception as exc:
        raise CommandError(f"cannot load plugins: {exc}") from None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["hook"] and "-h" not in argv and "--help" not in argv:
        from myco.agent_hooks.main import main as hook_main  # the per-turn hot path: no argparse

        return hook_main(argv[1:], refresh=True)
    agent_args: list[str] = []
    if argv[:1] in (["run"], ["worker"]) and "--" in argv:
        cut = argv.index("--")
        argv, agent_args = argv[:cut], argv[cut + 1 :]
    try:
        plugins = load_plugins() if needs_plugins(argv) else None
        parser = build_parser(plugins)
    except (CommandError, ValueError) as exc:  # a broken plugin or a conflicting declaration
        print(f"myco: {exc}", file=sys.stderr)
        return 1
    args = parser.parse_args(argv)
    args.agent_args = agent_args
    args.plugins = plugins
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    from myco.cli import commands
    from myco.client import ClientError

    plugin_command = getattr(args, "plugin_command", None)
    handler = plugin_command.run if plugin_command else getattr(commands, f"cmd_{args.command}")
    try:
        return int(handler(args) or 0)
    except (CommandError, ClientError) as exc:
        print(f"myco: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
