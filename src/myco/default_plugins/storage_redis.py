"""The ``redis`` storage backend: several daemon replicas sharing one Redis.

``myco serve --storage redis --redis-url redis://HOST:6379/0`` (or ``$MYCO_REDIS_URL``).
redis-py is an optional dependency (``pip install 'myco-daemon[redis]'``), imported only when the
backend is chosen, so the core runs without it. The backend lives in
:mod:`myco.storage.redis_store`; ``docs/deployment.md`` covers running replicas. Its
settings are the ``redis`` namespace: ``config.plugin("redis")``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from myco.hookspecs import hookimpl
from myco.options import Option, OptionRegistry
from myco.registry import StorageBackend, StorageRegistry
from myco.storage.redis_keys import DEFAULT_PREFIX

if TYPE_CHECKING:
    from myco.config import Config
    from myco.storage.contract import Storage

MISSING = "myco serve --storage redis needs redis-py: pip install 'myco-daemon[redis]'"

#: ``--redis-url`` / ``$MYCO_REDIS_URL`` (prefer the variable when the URL holds a password)
REDIS_URL = Option(
    "redis",
    "redis_url",
    "Redis for --storage redis; prefer the variable when the URL holds a password",
    default="redis://127.0.0.1:6379/0",
    metavar="URL",
)
#: ``--redis-prefix`` / ``$MYCO_REDIS_PREFIX``: several deployments can share one Redis
REDIS_PREFIX = Option(
    "redis",
    "redis_prefix",
    "put before every Redis key, so several deployments can share one Redis",
    default=DEFAULT_PREFIX,
    metavar="PREFIX",
)


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


@hookimpl
def register_serve_options(options: OptionRegistry) -> None:
    """The Redis URL and key prefix (used only with ``--storage redis``)."""
    options.add(REDIS_URL)
    options.add(REDIS_PREFIX)
