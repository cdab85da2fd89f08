"""``myco mcp SESSION``, ``myco search QUERY`` and ``myco thread ID``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.parse
from typing import TYPE_CHECKING

from myco.cli import CommandError
from myco.cli.registry import Command

if TYPE_CHECKING:
    from myco.client import Client


def _client() -> Client:
    from myco.client import Client, ClientError

    try:
        return Client(notice=lambda m: print(f"myco: {m}", file=sys.stderr))
    except ClientError as exc:
        raise CommandError(str(exc)) from None


def _get(path: str) -> object:
    from myco.client import ClientError

    try:
        return _client().json("GET", path)
    except ClientError as exc:
        raise CommandError(str(exc)) from None


def _session_query(args: argparse.Namespace) -> dict[str, str]:
    session = args.session or os.environ.get("MYCO_SESSION", "")
    return {"session": session} if session else {}


def run_search(args: argparse.Namespace) -> int:
    query = {"q": " ".join(args.words), "offset": str(args.offset), "limit": str(args.limit)}
    body = _get("/search?" + urllib.parse.urlencode({**query, **_session_query(args)}))
    if args.json:
        print(json.dumps(body, ensure_ascii=False))
        return 0
    assert isinstance(body, dict)
    for hit in body["hits"]:
        if hit["kind"] == "msg":
            print(f"msg/{hit['name']}  {hit['snippet']}")
        else:
            thread = f"  (thread {hit['thread']})" if hit.get("thread") else ""
            print(f"#{hit['seq']} {hit['ts']} {hit['session']}: {hit['line']}{thread}")
    if not body["hits"]:
        print("no matches", file=sys.stderr)
    if body.get("next_offset") is not None:
        print(f"more: --offset {body['next_offset']}", file=sys.stderr)
    return 0


def run_thread(args: argparse.Namespace) -> int:
    tid = str(args.id).removeprefix("#")
    if not tid.isdigit():
        raise CommandError(f"a thread id is a number (the ask's sequence number), not {args.id!r}")
    body = _get(f"/threads/{tid}?" + urllib.parse.urlencode(_session_query(args)))
    if args.json:
        print(json.dumps(body, ensure_ascii=False))
        return 0
    assert isinstance(body, dict)
    print(f"thread {body['id']}")
    for ev in body["events"]:
        print(f"#{ev['seq']} {ev['ts']} {ev['session']}: {ev['line']}")
    for name in body["msgs"]:
        print(f"  msg/{name}")
    return 0


def run_bridge(args: argparse.Namespace) -> int:
    from myco.names import InvalidName, session_name

    try:
        session = session_name(args.session)
    except InvalidName as exc:
        raise CommandError(str(exc)) from None
    client = _client()
    if not client.token:
        raise CommandError("no token: set MYCO_TOKEN to your swarm's token")
    import anyio

    from myco_mcp.bridge import bridge

    anyio.run(bridge, client.url + "/mcp", client.token, session)
    return 0


def _search_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("words", nargs="+", help="words to find (every one must match)")
    parser.add_argument("--session", help="search as this session (default $MYCO_SESSION)")
    parser.add_argument("--offset", type=int, default=0, help="skip this many hits (paging)")
    parser.add_argument("--limit", type=int, default=20, help="hits per page (at most 100)")
    parser.add_argument("--json", action="store_true", help="print the daemon's JSON")


def _thread_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", help="the thread id (the ask's sequence number)")
    parser.add_argument("--session", help="read as this session (default $MYCO_SESSION)")
    parser.add_argument("--json", action="store_true", help="print the daemon's JSON")


def _bridge_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session", help="the session the MCP client acts as")


COMMANDS = (
    Command(
        "mcp",
        "serve MCP on stdin/stdout for SESSION (a bridge to the daemon's /mcp)",
        run_bridge,
        _bridge_args,
        description="A stdio MCP server for clients that only speak stdio: every message "
        "goes to the daemon's /mcp (MYCO_URL, MYCO_TOKEN) as SESSION.",
    ),
    Command(
        "search",
        "full-text search of the events and messages you may see",
        run_search,
        _search_args,
    ),
    Command(
        "thread",
        "show a thread: an ask, its replies, reviews and messages",
        run_thread,
        _thread_args,
    ),
)
