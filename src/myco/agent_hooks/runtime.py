"""What every adapter's hooks share: views in, events out, nothing lost, nothing twice.

This is the public API for adapter authors (docs/adapters.md, "The adapter runtime").
An adapter's ``hook(ctx)`` receives a :class:`HookContext` and turns its CLI's payload into
calls to :func:`begin_turn` (before the model sees a prompt: flush the outbox, return the
view) and :func:`finish_turn` (after the turn: capture the last ``<myco>`` block, deliver
it through the outbox, build the notices, decide on enforcement), then renders the
:class:`BeginResult` / :class:`StopResult` in its CLI's output format (for Claude-shaped
CLIs, :mod:`myco.agent_hooks.output` does it). Everything is bounded by the context's
:class:`~myco.agent_hooks.deadline.Deadline` and never raises for network trouble.

Standard library only: this module runs on every turn (no pluggy, attrs or aiohttp).
"""

from __future__ import annotations

import os
import sys
import time

from myco.agent_hooks import http, jsonlite, notices
from myco.agent_hooks.deadline import Deadline
from myco.agent_hooks.env import HookEnv, read_env, sha256_hex
from myco.agent_hooks.files import read_text, write_text
from myco.agent_hooks.http import quote
from myco.agent_hooks.outbox import Batch, Outbox
from myco.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path
    from typing import Any

    from myco.agent_hooks.capture import Capture

#: Claude Code replaces a hook context above ~10,000 characters with a file preview.
VIEW_LIMIT = 9500
POST_TIMEOUT = 0.5

ENFORCE_REASON = (
    "myco: this turn changed files but your reply has no <myco> block, so the other "
    "sessions cannot see what you did. End your reply with ONE <myco> block, one event "
    "per line (for example `done <object> result:ok`). If there is truly nothing to "
    "report, write an empty block: <myco></myco>."
)


class HookContext:
    """One hook invocation: who (agent, session), what (event, payload), and until when.

    ``myco hook AGENT EVENT`` builds it and passes it to the adapter's ``hook``.

    :ivar agent: the adapter's name (``myco hook AGENT``).
    :ivar event: myco's event name, as wired by the adapter's ``launch`` (``prompt``,
        ``stop``, or any other the adapter chose).
    :ivar payload: the CLI's JSON payload from stdin (``{}`` when it was not an object).
    :ivar env: the :class:`~myco.agent_hooks.env.HookEnv` (URL, token, session, state
        directory, budget, verbs) read from the ``MYCO_*`` variables.
    :ivar deadline: the time left; pass it (or ``deadline.sub(s)``) to anything blocking.
    :ivar daemon_down: True once the daemon failed in this invocation (or ``MYCO_OFFLINE``
        is set): later calls skip the network and events wait in the outbox.
    """

    def __init__(
        self,
        agent: str,
        event: str,
        payload: Mapping[str, Any],
        env: HookEnv,
        deadline: Deadline | None = None,
    ) -> None:
        self.agent = agent
        self.event = event
        self.payload = payload
        self.env = env
        self.deadline = deadline or Deadline(env.budget)
        #: set once the daemon failed in this invocation: later calls skip the network
        self.daemon_down = env.offline

    @classmethod
    def from_environ(
        cls,
        agent: str,
        event: str,
        payload: Mapping[str, Any],
        environ: Mapping[str, str] | None = None,
        deadline: Deadline | None = None,
    ) -> HookContext:
        """A context configured from the environment (``MYCO_*``) and the payload's cwd."""
        cwd = payload.get("cwd")
        env = read_env(environ, cwd if isinstance(cwd, str) else "")
        return cls(agent, event, payload, env, deadline)

    @property
    def session(self) -> str:
        """The session name (``MYCO_SESSION``, else the project directory's name)."""
        return self.env.session

    @property
    def outbox(self) -> Outbox:
        """This session's outbox for this tenant (batches waiting for the daemon)."""
        return Outbox(
            os.path.join(self.env.state_root, "outbox", self.env.tenant_key), self.session
        )

    def log(self, message: str) -> None:
        """A debug line on stderr when ``MYCO_HOOK_DEBUG`` is set (never on stdout)."""
        if self.env.debug:
            print(f"[myco hook {self.agent} {self.event}] {message}", file=sys.stderr)

    def payload_str(self, key: str) -> str:
        """``payload[key]`` when it is a string, else ``""`` (payloads are untrusted)."""
        value = self.payload.get(key)
        return value if isinstance(value, str) else ""


class Turn(Record):
    """What an adapter learned about the turn that just ended."""

    #: the turn's assistant text, oldest first (several messages when tools ran)
    texts: Sequence[str]
    #: the turn edited files (for ``MYCO_REQUIRE_BLOCK``)
    changed_files: bool = False
    #: stable id of the turn (prompt id, turn id); makes the batch id deterministic
    key: str = ""
    #: the CLI says this stop follows a stop-hook block (``stop_hook_active``)
    continued: bool = False


class Delivery(Record):
    """Outcome of one outbox flush."""

    #: batches that left the outbox (acknowledged, or set aside as invalid)
    sent: int = 0
    #: batches still waiting (daemon down, out of time, another hook holds the lock)
    pending: int = 0
    #: pokes from the daemon's answers (``{"session": ..., ...}``: targets to nudge)
    pokes: Sequence[Mapping[str, Any]] = ()
    #: one-line messages for the human (refused lines, a rejected token)
    notices: Sequence[str] = ()


class BeginResult(Record):
    """What :func:`begin_turn` produced: the view for the model, notices for the human."""

    #: the session's markdown view, clipped to the limit; ``""`` when there is none
    #: (daemon down or slow, slash command)
    view: str
    #: one-line messages for the human (delivery trouble, pokes)
    notices: list[str]


class StopResult(Record):
    """What :func:`finish_turn` decided; the adapter renders it."""

    #: the lines taken from the turn's last ``<myco>`` block (and what was set aside)
    capture: Capture
    #: how the outbox flush went
    delivery: Delivery
    #: one-line messages for the human (dropped blocks, unknown verbs, queued events)
    notices: list[str]
    #: non-empty: ask the model to continue the turn with this text (enforcement)
    block_reason: str = ""


# -- views ----------------------------------------------------------------------------
def fetch_view(ctx: HookContext, limit: int = VIEW_LIMIT) -> str:
    """The session's markdown view, or ``""`` when the daemon does not answer in time."""
    if ctx.daemon_down:
        return ""
    try:
        resp = http.request(
            "GET",
            ctx.env.url,
            f"/view/{quote(ctx.session, safe='')}",
            ctx.deadline,
            token=ctx.env.token,
        )
    except http.HTTPFailure as exc:
        ctx.daemon_down = True
        ctx.log(f"view unavailable: {exc}")
        return ""
    if resp.status != 200 or not resp.content_type.startswith(("text/markdown", "text/plain")):
        ctx.log(f"view: HTTP {resp.status} {resp.content_type}")
        return ""
    text = resp.body.decode("utf-8", errors="replace")
    return clip(text, limit)


def clip(text: str, limit: int) -> str:
    """*text* cut at a line boundary to at most *limit* characters, saying so."""
    if len(text) <= limit:
        return text
    note = "\n… (view truncated; run `myco view` for the rest)\n"
    cut = text.rfind("\n", 0, limit - len(note))
    return text[: cut if cut > 0 else limit - len(note)] + note


def begin_turn(ctx: HookContext, prompt: str | None = None) -> BeginResult:
    """Before a prompt reaches the model: flush the outbox, fetch the view to inject.

    Slash commands (``/clear``, ``/model``) get no view: they never reach the model.
    With the daemon's context plugin, the first prompt (and the first after
    :func:`session_start`) gets the full view, later ones a delta (:func:`fetch_context`).
    """
    delivery = deliver(ctx)
    said = [*delivery.notices, *(notices.poke(ctx.session, p) for p in delivery.pokes)]
    if prompt is not None and prompt.lstrip().startswith("/"):
        return BeginResult("", said)
    if ctx.env.full_views:
        return BeginResult(fetch_view(ctx), said)
    return BeginResult(fetch_context(ctx), said)


# -- deltas, receipts, liveness -------------------------------------------------------
class ViewState(Record):
    """What this session's hook injected last: the view's revision, the agent turn."""

    #: ``None``: inject the full view next (first prompt, compaction, resume, clear)
    rev: int | None
    turn: int
    #: the daemon answered the delta route: it knows ``seen`` and ``live``
    context: bool = False
    #: the CLI's conversation id (payload ``session_id``) the view was injected into
    conversation: str = ""


_MARKER = "<!-- myco rev:"
#: characters a ``live started source:...`` value keeps
_SOURCE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")
_MARKER_KINDS = ("full", "delta", "nothing")


def _marker(text: str) -> tuple[int, int] | None:
    """``(rev, end)`` of a leading ``<!-- myco rev:N full|delta|nothing ... -->`` line.

    String methods rather than a regular expression: compiling one costs every prompt.
    """
    if not text.startswith(_MARKER):
        return None
    digits, space, rest = text[len(_MARKER) : len(_MARKER) + 40].partition(" ")
    if not (space and digits.isascii() and digits.isdigit()):
        return None
    kind = next((k for k in _MARKER_KINDS if rest.startswith(k)), "")
    if not kind:
        return None
    start = len(_MARKER) + len(digits) + 1 + len(kind)
    close = text.find(">", start)
    if close < start + 2 or text[close - 2 : close] != "--":
        return None
    end = close + 1
    return int(digits), end + 1 if text.startswith("\n", end) else end


def _view_state_path(ctx: HookContext) -> str:
    return os.path.join(ctx.env.state_root, "views", ctx.env.tenant_key, ctx.session)


def load_view_state(ctx: HookContext) -> ViewState:
    try:
        data = jsonlite.loads(read_text(_view_state_path(ctx)))
        rev, turn = data.get("rev"), data.get("turn")
        return ViewState(
            rev if isinstance(rev, int) and rev >= 0 else None,
            turn if isinstance(turn, int) and turn >= 0 else 0,
            data.get("context") is True,
            str(data.get("conversation") or "")[:200],
        )
    except (OSError, ValueError, AttributeError):
        return ViewState(None, 0)


def save_view_state(ctx: HookContext, state: ViewState) -> None:
    path = _view_state_path(ctx)
    try:
        write_text(path + ".tmp", jsonlite.dumps(state._asdict()))
        os.replace(path + ".tmp", path)
    except OSError as exc:
        ctx.log(f"view state not saved: {exc}")


def fetch_context(ctx: HookContext, limit: int = VIEW_LIMIT) -> str:
    """The delta since the view this session injected last (the full view when none).

    Reports what it returns as injected (``seen view rev:N turn:T``) so that the daemon
    keeps the revision and the askers get their receipts. A daemon without the context
    plugin (404) gets the plain view every time.
    """
    if ctx.daemon_down:
        return ""
    before = load_view_state(ctx)
    turn = before.turn + 1
    query = f"?turn={turn}" + ("" if before.rev is None else f"&seen={before.rev}")
    try:
        resp = http.request(
            "GET",
            ctx.env.url,
            f"/view/{quote(ctx.session, safe='')}/delta{query}",
            ctx.deadline,
            token=ctx.env.token,
        )
    except http.HTTPFailure as exc:
        ctx.daemon_down = True
        ctx.log(f"delta unavailable: {exc}")
        return ""
    if resp.status == 404:
        return fetch_view(ctx, limit)
    if resp.status != 200 or not resp.content_type.startswith("text/markdown"):
        ctx.log(f"delta: HTTP {resp.status} {resp.content_type}")
        return ""
    text = resp.body.decode("utf-8", errors="replace")
    found = _marker(text)
    if found is None:
        return clip(text, limit)
    rev, end = found
    save_view_state(ctx, ViewState(rev, turn, True, ctx.payload_str("session_id")))
    if "seen" in ctx.env.verbs:
        line = f"seen view rev:{rev} turn:{turn}"
        deliver(ctx, new_batch(ctx, [line], f"seen:{rev}:{turn}"))
    return clip(text[end:], limit)


def session_start(ctx: HookContext, source: str) -> Delivery:
    """A new, cleared or compacted conversation: the next prompt gets the full view.

    Whatever the conversation held before is gone (or summarised), so the delta base is
    dropped; the turn count goes on. Resuming the very conversation the last view went
    into (same payload ``session_id``, as ``claude -p --resume`` and ``myco worker`` do)
    keeps the base: its history holds that view. The daemon hears ``live started``; its
    answer's notices are returned.
    """
    before = load_view_state(ctx)
    conversation = ctx.payload_str("session_id")
    same = source == "resume" and bool(conversation) and conversation == before.conversation
    if before.rev is not None and not same:
        save_view_state(ctx, before._replace(rev=None))
    source = "".join(c for c in source.lower() if c in _SOURCE_CHARS)[:32]
    return report_live(ctx, "started", f"source:{source}" if source else "")


def report_live(ctx: HookContext, what: str, detail: str = "") -> Delivery:
    """Post ``live WHAT`` (a lifecycle state) when the daemon knows the verb.

    Only once a prompt found the daemon's delta route (the context plugin is there).
    """
    if "live" not in ctx.env.verbs or not load_view_state(ctx).context:
        return Delivery()
    line = f"live {what} {detail}".rstrip()
    return deliver(ctx, None, new_batch(ctx, [line]))  # sent now or never: a stale state misleads


# -- events ---------------------------------------------------------------------------
def batch_id(ctx: HookContext, turn_key: str, lines: Sequence[str]) -> str:
    """Client batch id: deterministic for (session, turn, lines) when the turn is known.

    A Stop hook that runs twice for one turn (registered twice, retried by the CLI,
    continued after an enforcement block) then posts the same id and the daemon keeps
    one copy. Without a turn key the id is random, which still makes retries safe.
    """
    if not turn_key:
        return "r-" + os.urandom(12).hex()
    digest = sha256_hex(
        "\0".join([ctx.session, ctx.agent, turn_key, *lines]).encode("utf-8", "replace")
    )
    return "t-" + digest[:40]


def new_batch(ctx: HookContext, lines: Sequence[str], turn_key: str = "") -> Batch:
    """An outbox batch of *lines* by this session, with its client id (:func:`batch_id`)."""
    return {
        "id": batch_id(ctx, turn_key, lines),
        "session": ctx.session,
        "events": list(lines),
        "ts": time.time_ns(),
        "agent": ctx.agent,
    }


def deliver(ctx: HookContext, batch: Batch | None = None, then: Batch | None = None) -> Delivery:
    """Queue *batch* (if any) behind what the outbox holds, then send all of it in order.

    *then* (a lifecycle report) is sent last, only when everything before it went out;
    it is never queued: a late ``live idle`` would only mislead.
    """
    outbox = ctx.outbox
    try:
        with outbox.locked(ctx.deadline.sub(0.3)) as have_lock:
            if not have_lock:  # another hook of this session is flushing right now
                if batch is not None:
                    outbox.spill(batch)
                return Delivery(pending=1 if batch is not None else 0)
            if batch is not None:
                outbox.append(batch)
            pending = outbox.load()
            if ctx.daemon_down:
                return Delivery(pending=len(pending))
            delivery = _flush(ctx, outbox, pending) if pending else Delivery()
    except OSError as exc:  # unwritable state dir: send directly, without a safety net
        ctx.log(f"outbox unusable: {exc}")
        if batch is None or ctx.daemon_down:
            return Delivery(pending=1 if batch else 0)
        delivery = _flush(ctx, None, [batch])
    if then is not None and not delivery.pending and not ctx.daemon_down:
        outcome = _post(ctx, then)
        if outcome is not None and outcome[0] == "sent" and outcome[1][1]:
            said = [notices.daemon_says(w) for w in outcome[1][1]]
            delivery = delivery._replace(notices=[*delivery.notices, *said])
    return delivery


def _flush(ctx: HookContext, outbox: Outbox | None, pending: list[Batch]) -> Delivery:
    done = 0
    dirty = False
    pokes: list[Mapping[str, Any]] = []
    said: list[str] = []
    try:
        while done < len(pending):
            batch = pending[done]
            outcome = _post(ctx, batch)
            if outcome is None:
                break
            kind, payload = outcome
            if kind == "unauthorized":
                said.append(payload)
                break
            if kind == "retry":  # some lines were invalid: send the rest under the same id
                bad_lines, reason = payload
                said.append(notices.rejected(len(bad_lines), reason))
                if outbox is not None:
                    outbox.reject({**batch, "events": bad_lines}, reason)
                batch["events"] = [line for line in batch["events"] if line not in bad_lines]
                dirty = True
                continue
            if kind == "rejected":
                said.append(notices.rejected(len(batch["events"]), payload))
                if outbox is not None:
                    outbox.reject(batch, payload)
            else:
                pokes.extend(payload[0])
                said.extend(notices.daemon_says(w) for w in payload[1])
            done += 1
    finally:
        if outbox is not None and (done or dirty):
            outbox.replace(pending[done:])
    return Delivery(sent=done, pending=len(pending) - done, pokes=pokes, notices=said)


def _post(ctx: HookContext, batch: Batch) -> tuple[str, Any] | None:
    """Send one batch; None means "stop flushing, keep it" (daemon away or unwell).

    ``("sent", (pokes, warnings))`` when it was stored: the daemon's warnings (a typo
    target's "did you mean", a lifecycle report's news for the human) are shown to the human.
    """
    body = jsonlite.dumps(
        {"session": batch["session"], "events": batch["events"], "id": batch["id"]}
    ).encode("utf-8")
    try:
        resp = http.request(
            "POST",
            ctx.env.url,
            "/events",
            ctx.deadline,
            token=ctx.env.token,
            body=body,
            timeout=POST_TIMEOUT,
        )
    except http.HTTPFailure as exc:
        ctx.daemon_down = True
        ctx.log(f"POST /events failed: {exc}")
        return None
    data = _json(resp.body)
    if resp.status == 200:
        if not isinstance(data, dict) or not data.get("ok"):
            ctx.daemon_down = True  # a 200 we cannot read: maybe stored; the id makes a retry safe
            ctx.log("POST /events: unreadable 200 response")
            return None
        pokes, warnings = data.get("pokes"), data.get("warnings")
        return "sent", (
            [p for p in pokes if isinstance(p, dict)] if isinstance(pokes, list) else [],
            [str(w)[:500] for w in warnings[:10]] if isinstance(warnings, list) else [],
        )
    ctx.log(f"POST /events: HTTP {resp.status} {resp.body[:200]!r}")
    if resp.status in (401, 403):
        reason = str(data.get("error", ""))[:200] if isinstance(data, dict) else ""
        return "unauthorized", notices.unauthorized(resp.status, reason, bool(ctx.env.token))
    if resp.status in (400, 413, 422):
        return _invalid(batch, data)
    ctx.daemon_down = True
    return None


def _invalid(batch: Batch, data: Any) -> tuple[str, Any]:
    """A 400: name the lines the daemon refused so the rest can go, or reject the batch."""
    errors = data.get("errors") if isinstance(data, dict) else None
    message = str(data.get("error", "invalid batch")) if isinstance(data, dict) else "invalid"
    bad: dict[int, str] = {}
    for err in errors if isinstance(errors, list) else []:
        found = _error_index(str(err))
        if found is not None:
            bad[found[0]] = found[1]
    events = batch["events"]
    if not bad or len(bad) >= len(events) or max(bad) >= len(events):
        return "rejected", message
    return "retry", ([events[i] for i in sorted(bad)], "; ".join(bad.values()))


def _error_index(error: str) -> tuple[int, str] | None:
    """``(i, reason)`` of the daemon's ``events[i]: reason`` (string methods: no :mod:`re`)."""
    if not error.startswith("events["):
        return None
    digits, sep, rest = error[7:].partition("]: ")
    if not (sep and digits.isascii() and digits.isdigit()) or "\n" in rest:
        return None
    return int(digits), rest


def _json(body: bytes) -> Any:
    try:
        return jsonlite.loads(body)
    except ValueError:
        return None


# -- the end of a turn ----------------------------------------------------------------
def finish_turn(ctx: HookContext, turn: Turn) -> StopResult:
    """Capture, deliver and report one finished turn; decide on enforcement.

    Only the last ``<myco>`` block of ``turn.texts`` is sent, and only lines whose first
    word is an installed verb (``ctx.env.verbs``). With ``MYCO_REQUIRE_BLOCK`` set, a turn
    that changed files without any block gets a ``block_reason`` once per ``turn.key``.
    """
    from myco.agent_hooks.capture import capture  # the protocol grammar: stop hooks only

    cap = capture(turn.texts, ctx.env.verbs)
    said: list[str] = []
    if cap.dropped_blocks:
        said.append(notices.dropped_blocks(cap.blocks, len(cap.lines)))
    if cap.unknown:
        said.append(notices.unknown_lines(cap.unknown, ctx.env.verbs))
    batch = new_batch(ctx, cap.lines, turn.key) if cap.lines else None
    idle = None
    if "live" in ctx.env.verbs and load_view_state(ctx).context:
        idle = new_batch(ctx, ["live idle"], turn.key + ":idle" if turn.key else "")
    delivery = deliver(ctx, batch, idle)
    said.extend(delivery.notices)
    said.extend(notices.poke(ctx.session, p) for p in delivery.pokes)
    if delivery.pending:
        said.append(notices.queued(delivery.pending, ctx.env.offline))
    reason = ""
    if (
        ctx.env.require_block
        and turn.changed_files
        and cap.blocks == 0
        and not turn.continued
        and _first_enforcement(ctx, turn.key)
    ):
        reason = ENFORCE_REASON
    return StopResult(cap, delivery, said, reason)


def _first_enforcement(ctx: HookContext, turn_key: str) -> bool:
    """True the first time a turn is sent back (a CLI without ``stop_hook_active`` never loops)."""
    if not turn_key:
        return True
    marker = os.path.join(ctx.env.state_root, "enforced", ctx.env.tenant_key, ctx.session)
    try:
        if read_text(marker) == turn_key:
            return False
    except OSError:
        pass
    try:
        write_text(marker, turn_key)
    except OSError:
        pass
    return True


def state_path(ctx: HookContext, *parts: str) -> Path:
    """A path under the hook state directory, for adapters that keep their own state
    (a :class:`~pathlib.Path`: the hook path itself uses ``ctx.env.state_root``)."""
    return ctx.env.state_dir.joinpath(*parts)


# -- lifecycle hooks ------------------------------------------------------------------
#: myco's lifecycle event names, as adapters wire them (``myco hook AGENT <event>``)
SESSION_START = "session-start"
COMPACTED = "compacted"
NOTIFY = "notify"
SESSION_END = "session-end"
LIFECYCLE_EVENTS = frozenset({SESSION_START, COMPACTED, NOTIFY, SESSION_END})
#: notification types that mean "the agent waits for nobody" rather than for its human
IDLE_NOTIFICATIONS = frozenset({"idle_prompt", "auth_success"})


def lifecycle(ctx: HookContext) -> bool:
    """Handle a lifecycle event (True) or say it is not one (False). Prints nothing.

    :func:`lifecycle_notices` does the same and also returns what to show the human.
    """
    return lifecycle_notices(ctx) is not None


def lifecycle_notices(ctx: HookContext) -> list[str] | None:
    """Handle a lifecycle event: the lines for the human (print them with the CLI's user
    channel, ``systemMessage``), or None when *ctx* is not a lifecycle event.

    ``session-start`` (payload ``source``: startup, resume, clear, compact) and
    ``compacted`` (a CLI's compaction event) make the next prompt inject the full view;
    ``notify`` reports ``awaiting-human`` (a permission or input prompt; Claude Code's
    ``idle_prompt`` means idle); ``session-end`` reports ``ended``. The daemon may answer a
    report with news for the human: a directive or urgent question that arrived while the
    session waited for its human, which woke nobody.
    """
    if ctx.event == SESSION_START:
        return list(session_start(ctx, ctx.payload_str("source") or "startup").notices)
    if ctx.event == COMPACTED:
        return list(session_start(ctx, "compact").notices)
    if ctx.event == NOTIFY:
        kind = ctx.payload_str("notification_type")
        what = "idle" if kind in IDLE_NOTIFICATIONS else "awaiting-human"
        return list(report_live(ctx, what).notices)
    if ctx.event == SESSION_END:
        return list(report_live(ctx, "ended").notices)
    return None
