"""The ``## CONFLICTS`` and ``## LEASES`` sections, and the JSON the dashboard reads."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from myco.clock import iso_s
from myco.default_plugins.edits import model
from myco.names import DIRECTOR
from myco.protocol.state import SwarmState


def _ago(ms: int) -> str:
    minutes = ms // 60_000
    return f"{minutes} min" if minutes else f"{ms // 1000} s"


def _where(repo: str) -> str:
    return f" ({repo[:16]})" if repo and not repo.startswith("git:") else ""


def conflict_lines(state: SwarmState, me: str, now_ms: int, limit: int) -> list[str]:
    """File conflicts: those involving *me*, or every one for the DIRECTOR."""
    settings = model.current()
    only = None if me == DIRECTOR else me
    found = [
        *model.edit_conflicts(state, now_ms, settings, only),
        *model.lease_conflicts(state, now_ms, settings, only),
    ]
    lines = []
    for c in found[:limit]:
        others = [s for s in c.sessions if s != me]
        who = ", ".join(others) if only else " and ".join(c.sessions)
        if c.kind == "edit":
            lines.append(
                f"- `{unquote(c.what)}`{_where(c.repo)}: edited by {who} "
                f"{'and you ' if only else ''}within {_ago(settings.window_ms)}. "
                "Agree who keeps it (`release <path>` or commit), or `claim` it."
            )
        else:
            lines.append(f"- leases overlap: `{c.what}` held by {who}{' and you' if only else ''}.")
    if len(found) > limit:
        lines.append(f"_… {len(found) - limit} more file conflict(s)._")
    return lines


def lease_lines(state: SwarmState, me: str, now_ms: int, limit: int) -> list[str]:
    """Every live lease, with holder and the time left."""
    leases = sorted(model.live_leases(state, now_ms, model.current()), key=lambda x: x.seq)
    lines = []
    for lease in leases[:limit]:
        holder = "you" if lease.session == me else lease.session
        why = f": {lease.why}" if lease.why else ""
        lines.append(
            f"- `{lease.glob}` held by {holder}, {_ago(lease.expires_ms - now_ms)} left "
            f"(since {iso_s(lease.ts_ms)}){why}"
        )
    if len(leases) > limit:
        lines.append(f"_… {len(leases) - limit} more lease(s)._")
    return lines


def conflicts_data(state: SwarmState, me: str, now_ms: int) -> Any:
    settings = model.current()
    only = None if me == DIRECTOR else me
    found = [
        *model.edit_conflicts(state, now_ms, settings, only),
        *model.lease_conflicts(state, now_ms, settings, only),
    ]
    return [
        {"kind": c.kind, "path": unquote(c.what), "repo": c.repo, "sessions": list(c.sessions)}
        for c in found
    ]


def leases_data(state: SwarmState, me: str, now_ms: int) -> Any:
    return [
        {
            "glob": lease.glob,
            "holder": lease.session,
            "repo": lease.repo,
            "why": lease.why,
            "since_ms": lease.ts_ms,
            "expires_ms": lease.expires_ms,
        }
        for lease in model.live_leases(state, now_ms, model.current())
    ]
