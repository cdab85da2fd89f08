"""A per-invocation time budget, and a watchdog that enforces it.

A hook must return within about a second whatever the daemon does (down, hanging,
answering garbage). Every blocking call asks the deadline how long it may wait; the
watchdog is the backstop when something blocks anyway (a stdin that never closes).
"""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from types import FrameType
else:
    try:  # the C module under :mod:`signal`, whose wrapper imports enum (about 4 ms per hook)
        import _signal as signal
    except ImportError:  # pragma: no cover - an interpreter without CPython's module layout
        import signal

DEFAULT_BUDGET = 0.7


class DeadlineExceeded(BaseException):
    """Raised by the watchdog; a BaseException so that broad ``except Exception`` misses it."""


class Deadline:
    """Monotonic deadline *budget* seconds from now."""

    def __init__(self, budget: float = DEFAULT_BUDGET) -> None:
        self.budget = budget
        self.end = time.monotonic() + budget

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def sub(self, seconds: float) -> Deadline:
        """A deadline *seconds* from now, or this one if it comes first."""
        inner = Deadline(0.0)
        inner.budget = seconds
        inner.end = min(self.end, time.monotonic() + seconds)
        return inner

    def cap(self, seconds: float) -> float:
        """*seconds*, shortened to what is left (never below 1 ms)."""
        return max(0.001, min(seconds, self.remaining()))


def _raise(signum: int, frame: FrameType | None) -> None:
    raise DeadlineExceeded


def arm_watchdog(seconds: float) -> bool:
    """Raise :class:`DeadlineExceeded` in the main thread after *seconds*; False if unsupported."""
    if not hasattr(signal, "setitimer"):
        return False
    try:
        signal.signal(signal.SIGALRM, _raise)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    except (ValueError, OSError):  # not the main thread
        return False
    return True


def disarm_watchdog() -> None:
    if hasattr(signal, "setitimer"):
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        except (ValueError, OSError):
            pass
