"""The ``redis`` storage backend: several daemon replicas sharing one Redis.

``myco serve --storage redis --redis-url redis://HOST:6379/0`` (or ``$MYCO_REDIS_URL``).
redis-py is an optional dependency (``pip install 'myco[redis]'``), imported only when the
backend is chosen, so the core runs without it. The backend lives in
:mod:`myco.storage.redis_store`; ``docs/deployment.md`` covers running replicas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from myco.hookspecs import hookimpl
from myco.registry import StorageBackend, StorageRegistry

if TYPE_CHECKING:
    from myco.config import Config
    from myco.storage.contract import Storage

MISSING = "myco serve --storage redis needs redis-py: pip install 'myco[redis]'"


def make_storage(config: Config) -> Storage:
    """The backend for *config*; a clear ConfigError when redis-py is not installed."""
    try:
        import redis.asyncio  # noqa: F401  (only to find out whether it is there)
    except ImportError:
        from myco.daemon import ConfigError

        raise ConfigError(MISSING) from None
    from myco.storage.redis_store import RedisStorage

    return RedisStorage(config)


@hookimpl
def register_storage(backends: StorageRegistry) -> None:
    """Offer the Redis backend as ``--storage redis``."""
    backends.add(StorageBackend("redis", make_storage, "Redis streams, shared by replicas"))
