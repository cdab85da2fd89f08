"""Daemon configuration: one frozen value built from the command line and environment.

Core settings are attributes; each plugin's settings live in its own namespace,
``config.plugin("file")``, filled from the options the plugin declared with the
``register_serve_options`` hook (see :mod:`myco.options`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from attrs import evolve, field, frozen

from myco.options import Settings, copy_settings

DEFAULT_PORT = 8000
DEFAULT_VIEW_BUDGET = 9000
DEFAULT_SNAPSHOT_INTERVAL = 60.0
DEFAULT_SNAPSHOT_EVENTS = 20_000
DEFAULT_TENANT_IDLE_TTL = 900.0


def default_data_dir() -> Path:
    """``$MYCO_DATA_DIR``, else the per-user data directory (``~/.local/share/myco``)."""
    env = os.environ.get("MYCO_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("myco", appauthor=False))


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, ""))
    except ValueError:
        return default


def _env_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value >= 0 else default


@frozen
class Config:
    """Everything the daemon core needs to know at start-up.

    :param data_dir: the daemon's directory, shared by plugins (the file store keeps its
        tenants there, the auth plugin its registered tokens).
    :param storage: the storage backend's name (``--storage``).
    :param view_budget: the most characters a view may have.
    :param snapshot_interval: seconds between snapshots of a changed tenant
        (``MYCO_SNAPSHOT_INTERVAL``; 0: only at a clean stop and before an eviction).
    :param snapshot_events: a changed tenant is also snapshotted once it has this many
        events more than its snapshot (``MYCO_SNAPSHOT_EVENTS``; 0: never for that reason).
    :param tenant_idle_ttl: seconds after its last request an unwatched tenant is dropped
        from memory, to be loaded again on next use (``MYCO_TENANT_IDLE_TTL``; 0: never).
    :param plugins: each plugin's settings, namespace -> name -> value; read them with
        :meth:`plugin`.
    """

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path = Path(".")
    storage: str = "file"
    view_budget: int = DEFAULT_VIEW_BUDGET
    log_format: Literal["auto", "json", "console"] = "auto"
    access_log: bool = True
    snapshot_interval: float = DEFAULT_SNAPSHOT_INTERVAL
    snapshot_events: int = DEFAULT_SNAPSHOT_EVENTS
    tenant_idle_ttl: float = DEFAULT_TENANT_IDLE_TTL
    plugins: Mapping[str, Mapping[str, Any]] = field(
        factory=dict, converter=copy_settings, hash=False
    )

    def plugin(self, namespace: str) -> Settings:
        """The settings of one plugin (empty when it declared none or is not installed)."""
        return Settings(namespace, self.plugins.get(namespace, {}))

    def with_settings(self, namespace: str, **values: Any) -> Config:
        """A copy with *values* changed in the settings of *namespace*."""
        merged = {**self.plugins, namespace: {**self.plugins.get(namespace, {}), **values}}
        return evolve(self, plugins=merged)

    @classmethod
    def from_env(cls, **overrides: object) -> Config:
        """Defaults, then ``MYCO_*`` environment variables, then *overrides*.

        Plugin settings are not read here: pass ``plugins=`` (see
        :meth:`myco.options.OptionRegistry.resolve`).
        """
        values: dict[str, object] = {
            "data_dir": default_data_dir(),
            "view_budget": _env_int("MYCO_VIEW_BUDGET", DEFAULT_VIEW_BUDGET),
            "snapshot_interval": _env_float("MYCO_SNAPSHOT_INTERVAL", DEFAULT_SNAPSHOT_INTERVAL),
            "snapshot_events": _env_int("MYCO_SNAPSHOT_EVENTS", DEFAULT_SNAPSHOT_EVENTS),
            "tenant_idle_ttl": _env_float("MYCO_TENANT_IDLE_TTL", DEFAULT_TENANT_IDLE_TTL),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["data_dir"] = Path(str(values["data_dir"])).expanduser()
        return cls(**values)  # type: ignore[arg-type]
