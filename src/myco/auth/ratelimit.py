"""Per-address limits on failed authentications and on tenant creation.

Two independent budgets per client address:

* failures: ``max_failures`` within ``failure_window`` seconds ban the address for
  ``ban_seconds``. A ban only stops *unknown* tokens; the plugin lets a known tenant's
  token through, so an attacker cannot lock a victim out by failing from a shared address.
* creations: at most ``max_creations`` new tenants per ``creation_window``. Unlike the
  reference daemon, a successful request never refills either budget, so a stream of
  random strong tokens can neither create unlimited tenants nor wash out failures.

Memory is bounded: each address keeps at most ``max_failures`` + ``max_creations``
timestamps, idle addresses are dropped, and at most ``max_addresses`` are tracked.
"""

from __future__ import annotations

import inspect
import ipaddress
import math
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from attrs import define, field

DEFAULT_MAX_FAILURES = 5
DEFAULT_FAILURE_WINDOW = 60.0
DEFAULT_BAN_SECONDS = 300.0
DEFAULT_MAX_CREATIONS = 10
DEFAULT_CREATION_WINDOW = 3600.0
DEFAULT_MAX_ADDRESSES = 100_000


def client_key(remote: str | None) -> str:
    """The rate-limit key for a peer address.

    IPv6 peers are grouped by their /64 (one host or LAN usually owns a whole /64, so
    per-address keys would give it 2**64 budgets); IPv4-mapped addresses count as IPv4.
    """
    if not remote:
        return "unknown"
    try:
        addr = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return remote
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


Answer = int | None | Awaitable[int | None]


class Limiter(Protocol):
    """What the auth plugin asks of a limiter (the store of the budgets is pluggable).

    :class:`RateLimiter` keeps them in this process and answers at once; a shared one
    (``RedisStorage.rate_limiter()``, so limits hold across replicas) answers awaitably.
    """

    def banned_for(self, remote: str | None) -> Answer: ...

    def record_failure(self, remote: str | None) -> Answer: ...

    def try_create(self, remote: str | None) -> Answer: ...


async def answer(value: Answer) -> int | None:
    """The limiter's answer, awaited when it is awaitable."""
    if inspect.isawaitable(value):
        return await value
    return value


def _retry(seconds: float) -> int:
    """Whole seconds to wait; rounded up so retrying at that time actually succeeds."""
    return max(1, math.ceil(seconds))


@define
class _Entry:
    failures: deque[float]
    creations: deque[float]
    banned_until: float | None = None


@define
class RateLimiter:
    """Failure bans and tenant-creation budgets per client address.

    :param clock: monotonic seconds; injectable so tests need not sleep.
    """

    max_failures: int = DEFAULT_MAX_FAILURES
    failure_window: float = DEFAULT_FAILURE_WINDOW
    ban_seconds: float = DEFAULT_BAN_SECONDS
    max_creations: int = DEFAULT_MAX_CREATIONS
    creation_window: float = DEFAULT_CREATION_WINDOW
    max_addresses: int = DEFAULT_MAX_ADDRESSES
    clock: Callable[[], float] = time.monotonic
    _entries: OrderedDict[str, _Entry] = field(factory=OrderedDict, init=False)

    def __len__(self) -> int:
        """Addresses currently tracked."""
        return len(self._entries)

    # -- bookkeeping ------------------------------------------------------------------
    def _prune(self, entry: _Entry, now: float) -> None:
        if entry.banned_until is not None and entry.banned_until <= now:
            entry.banned_until = None
            entry.failures.clear()
        while entry.failures and entry.failures[0] <= now - self.failure_window:
            entry.failures.popleft()
        while entry.creations and entry.creations[0] <= now - self.creation_window:
            entry.creations.popleft()

    @staticmethod
    def _idle(entry: _Entry) -> bool:
        return entry.banned_until is None and not entry.failures and not entry.creations

    def _get(self, key: str, now: float) -> _Entry | None:
        """The live entry for *key*, pruned; forgotten (None) once it holds nothing."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._prune(entry, now)
        if self._idle(entry):
            del self._entries[key]
            return None
        return entry

    def _get_or_add(self, key: str, now: float) -> _Entry:
        entry = self._get(key, now)
        if entry is None:
            if len(self._entries) >= self.max_addresses:
                self._shrink(now)
            entry = _Entry(
                deque(maxlen=max(1, self.max_failures)), deque(maxlen=max(1, self.max_creations))
            )
            self._entries[key] = entry
        self._entries.move_to_end(key)
        return entry

    def _shrink(self, now: float) -> None:
        """Make room: drop idle entries, then the least valuable, least recent ones.

        Plain failure counts go before creation budgets, and bans go last, so a flood
        of fresh addresses cannot cheaply wash out a ban. Shrinks to 90% of the cap so
        the O(n) sweep is paid once per many insertions.
        """
        for key in list(self._entries):
            self._get(key, now)
        excess = len(self._entries) - max(0, int(self.max_addresses * 0.9))
        if excess <= 0:
            return
        ranked = sorted(  # stable: least recently active first within each rank
            self._entries.items(),
            key=lambda item: (item[1].banned_until is not None, bool(item[1].creations)),
        )
        for key, _entry in ranked[:excess]:
            del self._entries[key]

    # -- failures ---------------------------------------------------------------------
    def banned_for(self, remote: str | None) -> int | None:
        """Seconds left on *remote*'s ban, or None when it is not banned."""
        now = self.clock()
        entry = self._get(client_key(remote), now)
        if entry is None or entry.banned_until is None:
            return None
        return _retry(entry.banned_until - now)

    def record_failure(self, remote: str | None) -> int | None:
        """Count a failed attempt; returns the ban length if this one started a ban.

        Failures while already banned are ignored: the ban has a fixed end, so a client
        that keeps retrying learns a stable time to wait.
        """
        now = self.clock()
        entry = self._get_or_add(client_key(remote), now)
        if entry.banned_until is not None:
            return None
        entry.failures.append(now)
        if len(entry.failures) >= self.max_failures:
            entry.banned_until = now + self.ban_seconds
            return _retry(self.ban_seconds)
        return None

    # -- tenant creation --------------------------------------------------------------
    def creation_wait(self, remote: str | None) -> int | None:
        """Seconds until *remote* may create another tenant, or None if it may now."""
        if self.max_creations <= 0:
            return _retry(self.creation_window)
        now = self.clock()
        entry = self._get(client_key(remote), now)
        if entry is None or len(entry.creations) < self.max_creations:
            return None
        return _retry(entry.creations[0] + self.creation_window - now)

    def try_create(self, remote: str | None) -> int | None:
        """Spend one creation from *remote*'s budget: None if spent, else seconds to wait.

        Check and spend are one synchronous step, so concurrent requests cannot both
        take the last unit.
        """
        wait = self.creation_wait(remote)
        if wait is not None:
            return wait
        now = self.clock()
        self._get_or_add(client_key(remote), now).creations.append(now)
        return None
