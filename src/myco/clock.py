"""Time helpers: millisecond UTC timestamps, their text forms and human age labels."""

from __future__ import annotations

import time
from datetime import datetime, timezone


def now_ms() -> int:
    """Current wall-clock time in integer milliseconds since the epoch (UTC)."""
    return time.time_ns() // 1_000_000


def iso_ms(ts_ms: int) -> str:
    """``2026-11-25T13:12:39.123Z``: the durable form written to logs."""
    dt = datetime.fromtimestamp(ts_ms / 1000, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts_ms % 1000:03d}Z"


def iso_s(ts_ms: int) -> str:
    """``2026-11-25T13:12:39Z``: the compact form shown in views."""
    return datetime.fromtimestamp(ts_ms // 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(token: str) -> int | None:
    """Parse a log timestamp into epoch milliseconds.

    Accepts our own ``...Z`` form, zone-suffixed ISO strings (the reference's ``myco-log``)
    and the reference daemon's zone-less local time. Anything else yields None.
    """
    text = token
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.astimezone()  # the reference wrote local time without a zone
    return int(dt.timestamp() * 1000)


def age_label(age_ms: int) -> str:
    """Human age: ``42s``, ``7min``, ``3.5h``, ``2d``."""
    secs = max(0, age_ms) // 1000
    if secs < 60:
        return f"{secs}s"
    if secs < 3600:
        return f"{secs // 60}min"
    if secs < 86400:
        return f"{secs / 3600:.1f}h"
    return f"{secs // 86400}d"
