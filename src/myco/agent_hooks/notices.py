"""User-visible notices (English): what the hook did that the human should know.

They reach the human through the CLI's user channel (Claude Code's ``systemMessage``),
never the model, so they may be blunt. Order: dropped blocks, unsent lines, daemon
rejections, pokes, outbox state.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence


def dropped_blocks(blocks: int, events: int) -> str:
    earlier = (
        "the earlier block was dropped"
        if blocks == 2
        else f"the {blocks - 1} earlier blocks were dropped"
    )
    return (
        f"⚠️ myco: {blocks} <myco> blocks in this turn — sent only the LAST "
        f"({events} event(s)); {earlier}. Use ONE block per reply, with as many lines "
        "as you need."
    )


def unknown_lines(tokens: Sequence[str], verbs: Collection[str] = ()) -> str:
    """Lines not sent; a near miss of a known verb gets ``(did you mean 'start'?)``."""
    n = len(tokens)
    what = "1 block line" if n == 1 else f"{n} block lines"
    shown = ", ".join(repr(t) + _did_you_mean(t, verbs) for t in tokens[:3])
    more = f" (+{n - 3})" if n > 3 else ""
    return (
        f"⚠️ myco: {what} did not become events — the first word is not a protocol "
        f"verb: {shown}{more}. Mistyped verb, or a detail that wrapped onto two lines? "
        "Each event must fit on one line."
    )


def _did_you_mean(token: str, verbs: Collection[str]) -> str:
    if not verbs or token.lower() in verbs:
        return ""
    import difflib  # only when a line was refused: the hook's usual path never pays for it

    close = difflib.get_close_matches(token.lower(), sorted(verbs), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def poke(session: str, hint: Mapping[str, object], now: float | None = None) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(now))
    verb, target = hint.get("verb", ""), hint.get("target", "")
    summary = hint.get("summary") or ""
    about = f" ({summary})" if summary else ""
    age = str(hint.get("last_seen_age") or "never seen")
    seen = "never seen" if age == "never seen" else f"last seen {age}"
    return (
        f"🔔 myco [{stamp}] {session} → {verb} {target}{about}: {target} is "
        f"{hint.get('status', 'unknown')} ({seen}) — poke {target} to read its view"
    )


def rejected(count: int, reason: str) -> str:
    return (
        f"⚠️ myco: the daemon refused {count} event line(s): {reason}. "
        "They were not sent (kept in the outbox's .rejected.jsonl)."
    )


def queued(pending: int, offline: bool) -> str:
    why = "offline mode" if offline else "the daemon is unreachable"
    return (
        f"⏳ myco: {why} — {pending} batch(es) kept in the local outbox; they are sent "
        "in order on the next turn once the daemon answers."
    )


def unauthorized(status: int, reason: str = "", token_set: bool = True) -> str:
    """The daemon refused the credential: say why, and which variable to fix."""
    if not token_set:
        return (
            f"⚠️ myco: MYCO_TOKEN is not set, so the daemon refused the events (HTTP {status}); "
            "they are kept in the outbox. Export MYCO_TOKEN (your swarm's token) before "
            "starting the agent CLI, or start it with `myco run`."
        )
    why = f": {reason}" if reason else ""
    return (
        f"⚠️ myco: the daemon refused the token (HTTP {status}{why}); events are kept in the "
        "outbox. Check MYCO_TOKEN."
    )


def daemon_says(warning: str) -> str:
    """A warning from the daemon's answer to a post (a lint, news for the human)."""
    return f"⚠️ myco: {warning}"
