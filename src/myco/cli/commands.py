"""Handlers of the ``myco`` subcommands; one function per command."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.parse
from pathlib import Path

from myco.cli import CommandError
from myco.client import Client


def _warn(message: str) -> None:
    print(f"myco: {message}", file=sys.stderr)


def _client() -> Client:
    """A client that tells the user on stderr when their token started a new swarm."""
    return Client(notice=_warn)


def _session(value: str | None) -> str:
    session = value or os.environ.get("MYCO_SESSION", "")
    if not session:
        raise CommandError("no session given and MYCO_SESSION is not set")
    return urllib.parse.quote(session, safe="")


def cmd_serve(args: argparse.Namespace) -> int:
    from myco.cli.serve import serve

    return serve(args, args.plugins)


def cmd_view(args: argparse.Namespace) -> int:
    fmt = urllib.parse.quote(args.format)
    sys.stdout.write(_client().text(f"/view/{_session(args.session)}?format={fmt}"))
    return 0


def cmd_post(args: argparse.Namespace) -> int:
    result = _client().json("POST", "/events", {"session": args.session, "events": args.lines})
    # Warnings go to stderr only: printing them in the JSON too showed every hint twice.
    for warning in result.pop("warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    print(json.dumps(result, ensure_ascii=False))
    return 0


def cmd_msg(args: argparse.Namespace) -> int:
    client = _client()
    name = urllib.parse.quote(args.name, safe="")
    if args.msg_command == "put":
        try:
            body = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {args.file}: {exc.strerror}") from None
        client.request("POST", f"/msg/{name}", body, "text/markdown")
        print(f"msg/{args.name} created")
        return 0
    if args.msg_command == "get":
        reader = args.session or os.environ.get("MYCO_SESSION", "")
        query = f"?session={urllib.parse.quote(reader)}" if reader else ""
        sys.stdout.write(client.text(f"/msg/{name}{query}"))
        return 0
    raise CommandError("usage: myco msg put NAME [FILE] | myco msg get NAME")


def cmd_status(args: argparse.Namespace) -> int:
    client = _client()
    status = client.json("GET", "/status")
    print(json.dumps(status, indent=2, ensure_ascii=False))
    sessions = status.get("sessions") or {}
    if not any(s.get("last_seen") for s in sessions.values()):
        # An empty swarm (DIRECTOR is always listed, never seen) looks like success; say
        # why it is empty: a typo in the token, or the wrong daemon.
        why = (
            "it was created just now"
            if client.created_tenant
            else "no session has posted an event with this token yet"
        )
        _warn(
            f"this swarm is empty: {why}. Sessions appear once they post (`myco post`, "
            f"`myco run`); the swarm is chosen by MYCO_TOKEN, the daemon by MYCO_URL "
            f"({client.url})."
        )
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    from myco.cli import load_plugins
    from myco.plugins import list_plugins

    print(json.dumps(list_plugins(load_plugins().pm, include_builtins=args.all), indent=2))
    return 0


def cmd_guide(args: argparse.Namespace) -> int:
    from myco import agent_guide

    try:
        protocol, role = agent_guide.for_role(args.role)
    except Exception as exc:
        raise CommandError(f"cannot assemble the agents' guide: {exc}") from None
    sys.stdout.write(agent_guide.printable(protocol, role))
    return 0


def cmd_hook(args: argparse.Namespace) -> int:
    from myco.agent_hooks.main import main

    return main([args.agent, args.event])


def cmd_run(args: argparse.Namespace) -> int:
    from myco.launcher import run

    return run(args)


def cmd_worker(args: argparse.Namespace) -> int:
    from myco.worker import run

    return run(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from myco.demo import run

    return run(args)
