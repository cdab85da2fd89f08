"""``myco serve --review-dispatch``: wake a headless reviewer with a queued prompt.

The plugin's own ``myco serve`` option (declared with ``register_serve_options``): when
it is on, every review request queues a prompt for the reviewer (``POST /dispatch``'s
queue), which ``myco worker REVIEWER`` delivers into the reviewer's agent CLI. Off by
default: interactive reviewers see the request in their view anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING

import structlog

from myco import hookimpl
from myco.options import Option, OptionRegistry
from myco.protocol.grammar import first_word

if TYPE_CHECKING:
    from myco.protocol.events import Event
    from myco.tenants import Tenant

log = structlog.get_logger("myco_example")

#: ``--review-dispatch`` / ``$MYCO_REVIEW_DISPATCH``, in the ``review`` settings namespace
DISPATCH = Option(
    "review",
    "review_dispatch",
    "queue a prompt for the reviewer on each review request (delivered by `myco worker`)",
    default=False,
    kind="flag",
)

#: queued writes in flight (a task nobody references may be collected before it runs)
_PENDING: set[asyncio.Task[None]] = set()


def prompt_for(event: Event) -> str | None:
    """The prompt that asks the reviewer of *event* to review, or None if it is no request."""
    subject = first_word(event.text)
    if event.verb != "review" or not event.obj or not subject or event.obj == event.session:
        return None
    return (
        f"{event.session} asks you to review {subject}: {event.text}\n"
        f"When the reviewed version is out, post `done {subject} re:{subject}`; or answer "
        f"with `reply {event.session} ... re:{subject}`."
    )


@hookimpl
def register_serve_options(options: OptionRegistry) -> None:
    options.add(DISPATCH)


@hookimpl
def events_ingested(tenant: Tenant, events: Sequence[Event]) -> None:
    """Queue a prompt per review request when ``--review-dispatch`` is on."""
    if not DISPATCH.value(tenant.daemon.config):
        return
    storage = tenant.daemon.storage
    for event in events:
        prompt = prompt_for(event)
        if prompt is None:
            continue
        task = asyncio.get_running_loop().create_task(
            _queue(storage.put_dispatch(tenant.id, event.obj, prompt), event.obj)
        )
        _PENDING.add(task)
        task.add_done_callback(_PENDING.discard)


async def _queue(write: Awaitable[None], reviewer: str) -> None:
    try:
        await write
    except Exception as exc:  # the review is stored; only the wake-up is lost
        log.warning("cannot queue the review prompt", reviewer=reviewer, error=str(exc))
