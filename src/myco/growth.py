"""Growth limits of one tenant: a post that would pass one is refused whole (429).

The limits themselves live in :mod:`myco.protocol.state` (``MAX_*``, each with a ``MYCO_*``
environment variable; see docs/http-api.md, "Limits"). Counting happens before anything is
stored, so a refused post leaves no trace.
"""

from __future__ import annotations

from collections.abc import Sequence

from myco.names import ALL
from myco.protocol import state as limits
from myco.protocol.grammar import _GLOBAL_ONLY, parse_line
from myco.protocol.state import SwarmState


def check_growth(state: SwarmState, session: str, kept: Sequence[str]) -> None:
    """Raise :class:`LimitReached` for a batch that would take the tenant or *session* past a limit.

    Counted: sessions (the author and every target), needs and channels per session,
    resources and open directives per tenant.
    """
    verbs = state.verbs
    new_sessions = set() if session in state.sessions else {session}
    author = state.sessions.get(session)
    needs = set(author.needs) if author is not None else set()
    before_needs = len(needs)
    resources: set[str] = set()
    directives = 0
    channels: set[str] = set()
    reached = {session}
    for line in kept:
        parts = line.split(None, 2)
        spec = verbs.get(parts[0].lower()) if parts else None
        if "channel:" in line:
            parsed = parse_line(line, verbs.session_verbs, verbs.keys)
            if parsed is not None and parsed.channels is not _GLOBAL_ONLY:
                channels.update(parsed.channels)
                if spec is not None and spec.target and parsed.obj:
                    reached.add(parsed.obj.upper())
        if spec is None or len(parts) < 2:
            continue
        if spec.name == "direct":
            directives += 1
        if spec.target:
            target = parts[1].upper()
            if target not in (ALL, "") and target not in state.sessions:
                new_sessions.add(target)
        elif spec.name == "need":
            needs.add(parts[1])
        elif spec.name in ("up", "down"):
            parsed = parse_line(line, verbs.session_verbs, verbs.keys)
            name = f"{parsed.obj} {parsed.text}".strip() if parsed else ""
            if name and name not in state.resources:
                resources.add(name)
    if new_sessions and len(state.sessions) + len(new_sessions) > limits.MAX_SESSIONS:
        _refuse(
            f"this swarm has {len(state.sessions)} sessions, the most it may have is "
            f"{limits.MAX_SESSIONS} (MYCO_MAX_SESSIONS); refused new: "
            + ", ".join(sorted(new_sessions)[:5])
        )
    if len(needs) > limits.MAX_NEEDS and len(needs) > before_needs:
        _refuse(
            f"{session} would have {len(needs)} needs, the most one session may declare "
            f"is {limits.MAX_NEEDS} (MYCO_MAX_NEEDS)"
        )
    if directives:
        open_now = sum(1 for d in state.directives if not d.fully_closed())
        if open_now + directives > limits.MAX_DIRECTIVES:
            _refuse(
                f"this swarm has {open_now} open directives, the most it may have is "
                f"{limits.MAX_DIRECTIVES} (MYCO_MAX_DIRECTIVES); close some first"
            )
    for name in sorted(reached) if channels else ():
        known = state.sessions.get(name)
        joined = channels | (known.channels if known is not None else set())
        if len(joined) > limits.MAX_CHANNELS:
            _refuse(
                f"{name} would be in {len(joined)} channels, the most one session may "
                f"join is {limits.MAX_CHANNELS} (MYCO_MAX_CHANNELS)"
            )
    if resources and len(state.resources) + len(resources) > limits.MAX_RESOURCES:
        _refuse(
            f"this swarm has {len(state.resources)} resources, the most it may have is "
            f"{limits.MAX_RESOURCES} (MYCO_MAX_RESOURCES)"
        )


class LimitReached(ValueError):
    """The post would pass a growth limit (the HTTP layer answers 429)."""


def _refuse(message: str) -> None:
    raise LimitReached(message)
