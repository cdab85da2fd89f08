"""Per-address limits shared by every replica, kept in Redis.

The same budgets and answers as the in-memory :class:`myco.auth.ratelimit.RateLimiter`
(same defaults, same rounding), so a guesser or a tenant spammer cannot multiply its
budget by the number of replicas behind the load balancer. Each check-and-spend is one Lua
script on the Redis clock; every key expires with its window, so idle addresses cost
nothing.
"""

from __future__ import annotations

from redis.asyncio import Redis

from myco.auth.ratelimit import (
    DEFAULT_BAN_SECONDS,
    DEFAULT_CREATION_WINDOW,
    DEFAULT_FAILURE_WINDOW,
    DEFAULT_MAX_CREATIONS,
    DEFAULT_MAX_FAILURES,
    client_key,
)
from myco.storage.redis_errors import unavailable
from myco.storage.redis_keys import RECORD_FAILURE, TRY_CREATE, Keys


def _seconds(ms: int) -> int:
    """Whole seconds to wait, rounded up (as the in-memory limiter answers)."""
    return max(1, -(-ms // 1000))


class RedisRateLimiter:
    """Failure bans and tenant-creation budgets per client address, in Redis."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        *,
        max_failures: int = DEFAULT_MAX_FAILURES,
        failure_window: float = DEFAULT_FAILURE_WINDOW,
        ban_seconds: float = DEFAULT_BAN_SECONDS,
        max_creations: int = DEFAULT_MAX_CREATIONS,
        creation_window: float = DEFAULT_CREATION_WINDOW,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self.max_failures = max_failures
        self.failure_window_ms = int(failure_window * 1000)
        self.ban_ms = int(ban_seconds * 1000)
        self.max_creations = max_creations
        self.creation_window_ms = int(creation_window * 1000)
        self._record = redis.register_script(RECORD_FAILURE)
        self._try_create = redis.register_script(TRY_CREATE)

    def _key(self, remote: str | None, what: str) -> str:
        return self._keys.limit(client_key(remote), what)

    async def banned_for(self, remote: str | None) -> int | None:
        """Seconds left on *remote*'s ban, or None when it is not banned."""
        with unavailable():
            left = int(await self._redis.pttl(self._key(remote, "ban")))
        return _seconds(left) if left > 0 else None

    async def record_failure(self, remote: str | None) -> int | None:
        """Count a failed attempt; returns the ban length if this one started a ban."""
        with unavailable():
            ban = int(
                await self._record(
                    keys=[self._key(remote, "ban"), self._key(remote, "fail")],
                    args=[self.max_failures, self.failure_window_ms, self.ban_ms],
                )
            )
        return _seconds(ban) if ban >= 0 else None

    async def try_create(self, remote: str | None) -> int | None:
        """Spend one tenant creation: None if spent, else seconds until one is free."""
        with unavailable():
            wait = int(
                await self._try_create(
                    keys=[self._key(remote, "new")],
                    args=[self.max_creations, self.creation_window_ms],
                )
            )
        return _seconds(wait) if wait >= 0 else None
