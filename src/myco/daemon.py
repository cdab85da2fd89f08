"""The daemon service: registries, storage and tenants, without any transport."""

from __future__ import annotations

from typing import Any

import pluggy
import structlog

from myco.config import Config
from myco.housekeeping import Housekeeper
from myco.plugins import Hooks, make_plugin_manager
from myco.registry import (
    RendererRegistry,
    TransportRegistry,
    VerbRegistry,
    ViewSectionRegistry,
)
from myco.storage.contract import Storage
from myco.storage.tailer import Tailer
from myco.tenants import TenantManager

log = structlog.get_logger("myco.daemon")


class ConfigError(Exception):
    """The configuration cannot be used: an unknown backend, a missing dependency, a data
    directory another daemon holds. ``myco serve`` prints the message as one line."""


class Daemon:
    """Everything one ``myco serve`` process runs, reachable by transports and plugins."""

    def __init__(self, config: Config, pm: pluggy.PluginManager | None = None) -> None:
        self.config = config
        self.pm = pm if pm is not None else make_plugin_manager()
        self.hooks = Hooks(self.pm)
        self.verbs: VerbRegistry = self.hooks.register_verbs()
        #: every view section (the markdown and JSON views lay them out)
        self.sections: ViewSectionRegistry = self.hooks.register_view_sections()
        self.renderers: RendererRegistry = self.hooks.register_renderers(self.sections)
        self.transports: TransportRegistry = self.hooks.register_transports()
        backends = self.hooks.register_storage()
        backend = backends.get(config.storage)
        if backend is None:
            known = ", ".join(backends.names()) or "none"
            raise ConfigError(f"unknown storage backend {config.storage!r} (installed: {known})")
        self.storage: Storage = backend.factory(config)
        self.tenants = TenantManager(self)
        #: per-plugin runtime state, keyed by plugin name
        self.extras: dict[str, Any] = {}
        #: follows a store shared with other replicas (None when the store cannot)
        self.tailer: Tailer | None = None
        #: periodic snapshots and eviction of idle tenants (None until started)
        self.housekeeper: Housekeeper | None = None

    async def start(self) -> None:
        """Open the store and list its tenants; each is loaded on first use, so start-up
        costs the same whatever the number of tenants or the length of their history."""
        await self.storage.open()
        known = await self.tenants.discover()
        log.info("tenants found", tenants=known, storage=self.storage.name)
        await self.hooks.startup(self)
        self.tailer = Tailer.start_for(self)
        self.housekeeper = Housekeeper.start_for(self)

    async def stop(self) -> None:
        try:
            await self.hooks.shutdown(self)
        finally:
            if self.housekeeper is not None:
                await self.housekeeper.stop()
            if self.tailer is not None:
                await self.tailer.stop()
            try:
                for tenant in self.tenants:
                    await tenant.save_snapshot()
            except Exception as exc:  # a snapshot is an optimisation: never block a stop
                log.warning("snapshot failed", error=str(exc))
            await self.storage.close()
