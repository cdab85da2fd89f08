"""Wake: a directive or an urgent question to an idle session starts a headless turn.

``myco worker`` runs the prompts queued with ``POST /dispatch/{session}`` one at a time,
after the running turn, so a wake never interrupts. When a ``direct`` to one session, or
an ``ask … urgent:yes``, is ingested and its target is *idle*, the plugin queues a short
prompt for it; the turn's prompt hook then injects the delta holding the item. *Ended*
counts as idle: a headless turn (``claude -p``) ends its CLI process after every turn, and
``myco worker`` resumes the conversation. A target that is *working* is woken when it
reports ``live idle``; one *awaiting-human* is never woken (its human decides): its human
is told instead, in the answer to the session's next lifecycle report
(:func:`.ledger.note_untold`, :func:`.ledger.lint_live`). A prompt already pending (queued
by a human or an earlier wake) is kept as it is: it wakes the session just as well, so
there is one wake at most.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import structlog

from myco.names import ALL

from .liveness import liveness
from .settings import SETTINGS

if TYPE_CHECKING:
    from myco.protocol.events import Event
    from myco.tenants import Tenant

log = structlog.get_logger("myco.context")
KEY = "myco.default_plugins.context.wake"
PROMPT = (
    "myco: {author} sent you {what}. Read the myco context above and act on it; end your "
    "reply with a <myco> block."
)


def wants_wake(event: Event) -> bool:
    if event.verb == "direct":
        return bool(event.obj) and event.obj != ALL
    return event.verb == "ask" and event.kvs.get("urgent", "").lower() in ("yes", "true", "1")


def on_ingested(tenant: Tenant, events: Sequence[Event]) -> None:
    """Queue wakes for idle targets; remember them for working ones."""
    if not SETTINGS.wake:
        return
    waiting: dict[str, str] = tenant.daemon.extras.setdefault(KEY, {}).setdefault(tenant.id, {})
    for ev in events:
        if ev.verb == "live" and ev.obj == "idle" and ev.session in waiting:
            _queue(tenant, ev.session, waiting.pop(ev.session))
            continue
        if not wants_wake(ev) or ev.obj == ev.session:
            continue
        what = "a directive" if ev.verb == "direct" else "an urgent question"
        prompt = PROMPT.format(author=ev.session, what=what)
        state, _ = liveness(tenant.state, ev.obj, ev.ts_ms)
        if state in ("idle", "ended"):  # a headless turn's CLI ends: `myco worker` resumes it
            _queue(tenant, ev.obj, prompt)
        elif state == "working":
            waiting[ev.obj] = prompt


def _queue(tenant: Tenant, session: str, prompt: str) -> None:
    tasks: set[asyncio.Task[Any]] = tenant.daemon.extras.setdefault(KEY + ".tasks", set())
    task = asyncio.get_running_loop().create_task(_put_unless_pending(tenant, session, prompt))
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def _put_unless_pending(tenant: Tenant, session: str, prompt: str) -> None:
    storage = tenant.daemon.storage
    try:
        pending = await storage.take_dispatch(tenant.id, session)
        await storage.put_dispatch(tenant.id, session, pending if pending is not None else prompt)
    except Exception as exc:  # a wake is a courtesy: never an error for the poster
        log.warning("wake failed", session=session, error=f"{type(exc).__name__}: {exc}")
