"""The MCP tools and the view resource: the myco protocol for agents without hooks.

Each tool acts for one session of the caller's tenant, named by the ``session`` argument,
else the ``X-Myco-Session`` header, else the session a session token is bound to. Every
permission is :mod:`myco.policy`'s, exactly as over HTTP: acting as the session
(``act-as``), DIRECTOR-only verbs (``post-verb``), message ownership and visibility.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError

from myco import policy, sanitize
from myco.names import InvalidName, msg_name, session_name
from myco.tenants import IngestError, Tenant
from myco.views.delta import view_delta
from myco_mcp.search import SearchError

if TYPE_CHECKING:
    from myco.auth.actor import Actor
    from myco.daemon import Daemon
    from myco_mcp.search import Library

#: the ASGI scope key under which the transport hands the authenticated actor to tools
ACTOR_SCOPE_KEY = "myco.actor"
SESSION_HEADER = "x-myco-session"

INSTRUCTIONS = """\
myco coordinates parallel coding-agent sessions. You are one session (your name is given
by the `session` argument or the X-Myco-Session header). Before each task call get_view:
it lists what others do, questions and messages waiting for you. Tell the swarm what you
do with post_events (one protocol line each: `start <object>`, `done <object>`,
`ask <SESSION> <question>`, `reply <SESSION> <answer>`, ...). Long texts go in messages
(write_message) that a line names with `spec:msg/<name>`; read yours with read_message.
"""

GET_VIEW = """\
Your session's view of the swarm (markdown): NOW, directives, pending questions and
messages for you, what others do, recent events you may see. Call it before each task and
after posting; act on PENDING QUESTIONS (answer with `reply <ASKER> <answer>`) and
PENDING MESSAGES (read them with read_message). With `seen` (the rev of the
`<!-- myco rev:N ... -->` first line of the view you last read), only what changed since
for you (the full view when too much changed)."""

POST_EVENTS = """\
Post protocol lines as your session, one event per line: `<verb> <object> [detail]
[key:value ...]`. Common verbs: `start <obj>`, `done <obj>`, `need <SESSION> <obj>`,
`ask <SESSION> <question> spec:msg/<name>`, `reply <SESSION> <answer> re:<spec>`,
`say <text>`, `private <note>` (only you see it). Keys: `spec:` (a message with details),
`ref:` (a commit or branch), `re:` (what you answer; `re:#<thread>` joins a thread),
`channel:a,b`. Returns the sequence numbers and lint warnings: fix what they say."""

READ_MESSAGE = """\
Read message `name` (e.g. `FRONT-001.md`, the part after `msg/` in a `spec:`). Reading
records that you read it, so it leaves your PENDING MESSAGES."""

WRITE_MESSAGE = """\
Create message `name` (`<YOUR-SESSION>-<topic>.md`, markdown, at most 64 KiB, never
overwritten), then point to it from a line: `ask BACK token format? spec:msg/<name>`."""

SEARCH = """\
Full-text search over the events and messages you may see, best match first. Every word
must match; `next_offset` pages on. Hits carry their `thread` id when they belong to one."""

THREAD = """\
A thread: an ask (or review request), its replies, reviews and the messages they name, as
you may see them. The id is the asking event's sequence number (`thread` in search hits).
To answer inside a thread, post with `re:#<id>`."""


def _scope(ctx: Context) -> dict[str, Any]:
    request = ctx.request_context.request
    scope = getattr(request, "scope", None)
    if not isinstance(scope, dict) or ACTOR_SCOPE_KEY not in scope:
        raise ToolError("this tool is served over myco's HTTP transport only")
    return scope


class Call:
    """One tool call: the tenant, the actor and the session it acts as."""

    def __init__(self, daemon: Daemon, ctx: Context, session: str) -> None:
        scope = _scope(ctx)
        self.actor: Actor = scope[ACTOR_SCOPE_KEY]
        tenant = daemon.tenants.get(self.actor.tenant_id)
        if tenant is None:
            raise ToolError("unknown tenant")
        self.tenant: Tenant = tenant
        header = dict(scope.get("headers", ())).get(SESSION_HEADER.encode(), b"").decode()
        raw = session or header or (self.actor.session or "")
        if not raw:
            raise ToolError(
                "no session: pass `session`, send the X-Myco-Session header, or use a session token"
            )
        try:
            self.session = session_name(raw)
        except InvalidName as exc:
            raise ToolError(str(exc)) from None
        _ensure(self.actor, policy.ACT_AS, self.session)


def _ensure(actor: Actor, action: policy.Action, resource: policy.Resource) -> None:
    try:
        policy.ensure(actor, action, resource)
    except policy.Forbidden as exc:
        raise ToolError(exc.message) from None


def build_server(daemon: Daemon, library: Library) -> MCPServer:
    """The MCP server of *daemon*: six tools and the view resource."""
    mcp: MCPServer = MCPServer("myco", instructions=INSTRUCTIONS, version="0.1.0")

    @mcp.tool(description=GET_VIEW)
    async def get_view(ctx: Context, session: str = "", seen: int | None = None) -> str:
        call = Call(daemon, ctx, session)
        if seen is None:
            return call.tenant.render(call.session, "markdown")
        if seen < 0:
            raise ToolError("seen is a revision: a whole number >= 0")
        return view_delta(call.tenant, call.session, seen).text

    @mcp.tool(description=POST_EVENTS)
    async def post_events(ctx: Context, lines: list[str], session: str = "") -> dict[str, Any]:
        call = Call(daemon, ctx, session)
        try:
            policy.ensure_lines(call.actor, call.session, lines, daemon.verbs)
        except policy.Forbidden as exc:
            raise ToolError(exc.message) from None
        try:
            result = await call.tenant.ingest(call.session, lines)
        except IngestError as exc:
            raise ToolError("; ".join(exc.errors) or exc.message) from None
        seqs = [e.seq for e in result.events]
        return {"seq": seqs, "warnings": result.warnings, "pokes": result.pokes}

    @mcp.tool(description=READ_MESSAGE)
    async def read_message(ctx: Context, name: str, session: str = "") -> str:
        call = Call(daemon, ctx, session)
        file = _msg_file(name)
        body = await daemon.storage.get_msg(call.tenant.id, file)
        if body is None:
            raise ToolError(f"no message {file}")
        await call.tenant.ack_msg(file, call.session)
        return sanitize.msg_body(body.decode("utf-8", errors="replace"))

    @mcp.tool(description=WRITE_MESSAGE)
    async def write_message(ctx: Context, name: str, body: str, session: str = "") -> str:
        call = Call(daemon, ctx, session)
        file = _msg_file(name)
        outcome = await call.tenant.put_msg(file, body.encode(), call.session)
        if outcome != "created":
            raise ToolError(outcome.removeprefix("rejected: "))
        library.add_msg(call.tenant, file, body)
        return f"created msg/{file}: name it in a line with spec:msg/{file}"

    @mcp.tool(description=SEARCH)
    async def search(
        ctx: Context, query: str, session: str = "", offset: int = 0, limit: int = 20
    ) -> dict[str, Any]:
        call = Call(daemon, ctx, session)
        try:
            return await library.search(call.tenant, call.session, query, offset, limit)
        except SearchError as exc:
            raise ToolError(str(exc)) from None

    @mcp.tool(description=THREAD)
    async def thread(ctx: Context, id: int, session: str = "") -> dict[str, Any]:
        call = Call(daemon, ctx, session)
        try:
            return await library.thread(call.tenant, call.session, id)
        except LookupError as exc:
            raise ToolError(str(exc)) from None

    @mcp.resource(
        "myco://view/{session}",
        name="view",
        description="The view of a session, as get_view returns it.",
        mime_type="text/markdown",
    )
    async def view(session: str, ctx: Context) -> str:
        try:
            call = Call(daemon, ctx, session)
        except ToolError as exc:
            raise ResourceError(str(exc)) from None
        return call.tenant.render(call.session, "markdown")

    return mcp


def _msg_file(name: str) -> str:
    try:
        return msg_name(name.removeprefix("msg/"))
    except InvalidName:
        raise ToolError(f"invalid message name {name!r}") from None
