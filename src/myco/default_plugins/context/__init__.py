"""Context economy and liveness: delta views, seen receipts, liveness, stalls.

A built-in plugin on public hooks only:

* verbs ``seen`` and ``live`` (internal: posted by the agent hooks, never listed), which
  keep the per-session revision, the receipts and the lifecycle state (:mod:`.ledger`);
* the transport ``context``: ``GET /view/{session}/delta?seen=REV&turn=T`` (:mod:`.route`,
  :mod:`.delta`);
* view sections YOUR OPEN ASKS (receipts), UNSEEN (DIRECTOR) and STALLS, each absent when
  it has nothing to say, LIVENESS in the JSON view, and each session's liveness in PEERS
  and SESSIONS (``verbs.presence``); an observer remembers what a wake skipped, for the
  human (:mod:`.ledger`);
* ``myco serve`` options (``--context-*``) and a guide entry explaining deltas and receipts;
* wake (:mod:`.wake`, ``events_ingested``): a directive or urgent ask to an idle session
  queues a prompt for ``myco worker``.

Disable it with ``MYCO_DISABLE_PLUGINS=myco.default_plugins.context``: the hooks then fall
back to the full view on every prompt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from myco.hookspecs import hookimpl
from myco.registry import (
    DIRECTOR_ROLE,
    GuideEntry,
    GuideRegistry,
    TransportRegistry,
    VerbRegistry,
    VerbSpec,
    ViewSection,
    ViewSectionRegistry,
)

from . import ledger, liveness, receipts, stalls, wake
from .route import ContextTransport
from .settings import OPTIONS, SETTINGS, Settings

if TYPE_CHECKING:
    from collections.abc import Sequence

    from myco.daemon import Daemon
    from myco.options import OptionRegistry
    from myco.protocol.events import Event
    from myco.tenants import Tenant

GUIDE = """\
Your hook injects the whole view only on the first prompt of a session and after a
compaction, resume or `/clear`. On later prompts you get a **delta**: `# myco delta`
lists only what changed for you since the view you last received (NEW FOR YOU: questions,
directives, replies, messages, broadcasts, publications you need; your blockers and
dependents when they changed; RECEIPTS of your questions), or the one line
`myco: nothing new for <YOU> since your last view`. What is addressed to you and still
open is repeated under STILL OPEN FOR YOU every few turns until you resolve it, so answer
it (`reply`, `done`, `ack`) rather than relying on an old copy of the view. Run `myco view`
for the full view at any time.

Each view your hook injects is reported to the daemon (an internal `seen` event you never
write yourself): askers see `seen by <YOU> 14:02 (turn 37), no reply yet` under YOUR OPEN
ASKS, and you see the same for your own questions. PEERS (SESSIONS for the DIRECTOR) says
whether each peer is working, idle, awaiting its human, ended or stale, and drops peers
that left; a name nobody ever posted as is not a peer (check the spelling of a target the
daemon warns about). STALLS appears only when something is stuck (a need/ask/block
cycle, an ask past its TTL, a directive open too long, a session awaiting its human):
resolve what names you.
"""


@hookimpl
def register_verbs(verbs: VerbRegistry) -> None:
    verbs.add(
        VerbSpec(
            "seen",
            ledger.apply_seen,
            "hook bookkeeping: the view of revision rev was injected into turn turn",
            # `urgent` is read on `ask` lines (wake): keys are shared by every verb
            keys=frozenset({"rev", "turn", "urgent"}),
            lint=ledger.lint_seen,
            internal=True,
            example="seen view rev:42 turn:7",
        )
    )
    verbs.add(
        VerbSpec(
            "live",
            ledger.apply_live,
            "hook bookkeeping: lifecycle state (started, working, idle, awaiting-human, ended)",
            keys=frozenset({"source"}),
            lint=ledger.lint_live,
            internal=True,
            example="live idle",
        )
    )
    verbs.presence(liveness.presence)
    verbs.observe(ledger.note_untold)


@hookimpl
def register_view_sections(sections: ViewSectionRegistry) -> None:
    sections.add(
        ViewSection(
            "STALLS",
            stalls.section,
            data=stalls.data,
            order=120,
            priority=900,
            limit=20,
            steps=(5, 0),
            label="stall(s)",
            addressed=True,
        )
    )
    sections.add(
        ViewSection(
            "YOUR OPEN ASKS",
            receipts.open_asks,
            data=receipts.open_asks_data,
            order=920,
            priority=85,
            limit=20,
            steps=(5, 0),
            label="open ask(s)",
        )
    )
    sections.add(
        ViewSection(
            "UNSEEN",
            receipts.unseen,
            roles=frozenset({DIRECTOR_ROLE}),
            order=160,
            priority=75,
            limit=20,
            steps=(5, 0),
            label="unseen item(s)",
        )
    )
    sections.add(
        ViewSection(
            "LIVENESS",
            liveness.section,
            data=liveness.data,
            order=610,
            priority=45,
            limit=50,
            steps=(10, 0),
            label="session(s)",
        )
    )


@hookimpl
def register_transports(transports: TransportRegistry) -> None:
    transports.add(ContextTransport())


@hookimpl
def register_guide(guide: GuideRegistry) -> None:
    guide.add(GuideEntry("Deltas, receipts and liveness", GUIDE, order=5))


@hookimpl
def register_serve_options(options: OptionRegistry) -> None:
    for option in OPTIONS:
        options.add(option)


@hookimpl
def events_ingested(tenant: Tenant, events: Sequence[Event]) -> None:
    wake.on_ingested(tenant, events)


@hookimpl
def startup(daemon: Daemon) -> None:
    """Read the ``--context-*`` options into the settings the sections use."""
    values = {o.name: o.value(daemon.config) for o in OPTIONS}
    fresh = Settings(**values)
    for name in values:
        setattr(SETTINGS, name, getattr(fresh, name))
