"""The plugin manager: built-in plugins, entry-point discovery and a typed facade.

Built-ins are ordinary plugins listed in :data:`DEFAULT_PLUGINS`. Third-party plugins
are found through the ``myco`` entry-point group. ``MYCO_LOAD_PLUGINS`` (comma list; empty
means none) limits which third-party plugins load, ``MYCO_DISABLE_PLUGINS`` blocks any
plugin by name, built-ins included.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pluggy

from myco import hookspecs
from myco.registry import (
    AdapterRegistry,
    RendererRegistry,
    StorageRegistry,
    TransportRegistry,
    VerbRegistry,
)

if TYPE_CHECKING:
    from aiohttp import web

    from myco.auth.actor import Actor
    from myco.cli.registry import CommandRegistry
    from myco.daemon import Daemon
    from myco.options import OptionRegistry
    from myco.protocol.events import Event
    from myco.tenants import Tenant

GROUP = "myco"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "myco.default_plugins.verbs_core",
    "myco.default_plugins.verbs_messaging",
    "myco.default_plugins.render_markdown",
    "myco.default_plugins.render_json",
    "myco.default_plugins.storage_file",
    "myco.default_plugins.storage_redis",
    "myco.default_plugins.auth_token",
    "myco.default_plugins.transport_http",
    "myco.default_plugins.dashboard",
    "myco.adapters.claude_code.plugin",
    "myco.adapters.codex.plugin",
    "myco.adapters.aider.plugin",
)


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def make_plugin_manager(
    *,
    load_entrypoints: bool = True,
    env: Mapping[str, str] | None = None,
    extra: Iterable[object] = (),
) -> pluggy.PluginManager:
    """Build a plugin manager with the built-ins and the selected third-party plugins."""
    env = os.environ if env is None else env
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    for name in _split(env.get("MYCO_DISABLE_PLUGINS")) or []:
        pm.set_blocked(name)
    if load_entrypoints:
        only = _split(env.get("MYCO_LOAD_PLUGINS"))
        for ep in metadata.entry_points(group=GROUP):
            if only is not None and ep.name not in only:
                continue
            if pm.is_blocked(ep.name) or pm.has_plugin(ep.name):
                continue
            pm.register(ep.load(), name=ep.name)
    for dotted in DEFAULT_PLUGINS:
        if not pm.is_blocked(dotted):
            pm.register(importlib.import_module(dotted), name=dotted)
    for plugin in extra:
        pm.register(plugin)
    pm.check_pending()
    return pm


def _distribution(
    pm: pluggy.PluginManager, name: str, plugin: object
) -> tuple[str | None, str | None]:
    for plug, dist in pm.list_plugin_distinfo():
        if plug is plugin:
            return dist.project_name, dist.version
    # make_plugin_manager registers entry points itself (to honour MYCO_LOAD_PLUGINS),
    # so pluggy has no distinfo for them: find the distribution through the entry point.
    for ep in metadata.entry_points(group=GROUP, name=name):
        if ep.dist is not None:
            return ep.dist.name, ep.dist.version
    return None, None


def list_plugins(
    pm: pluggy.PluginManager, *, include_builtins: bool = False
) -> list[dict[str, Any]]:
    """Plugins as ``{name, version, hooks}`` dicts, sorted by name."""
    out: list[dict[str, Any]] = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        builtin = name in DEFAULT_PLUGINS
        if builtin and not include_builtins:
            continue
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or ())
        dist, version = _distribution(pm, name, plugin)
        if builtin:
            from myco._version import DISTRIBUTION, __version__

            dist, version = DISTRIBUTION, __version__
        out.append({"name": name, "version": version, "package": dist, "hooks": hooks})
    return sorted(out, key=lambda p: p["name"])


class Hooks:
    """Typed facade over ``pm.hook``: every hook call in core goes through here.

    Registration methods tell each registry which plugin is adding, so that a conflict
    message can name both plugins.
    """

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    def _fill(self, hook_name: str, registry: Any, argname: str) -> Any:
        caller = getattr(self.pm.hook, hook_name)
        # Built-ins first, then third parties: an explicit ``replace=True`` overrides.
        impls = sorted(caller.get_hookimpls(), key=lambda i: i.plugin_name not in DEFAULT_PLUGINS)
        for impl in impls:
            registry.current_plugin = impl.plugin_name
            # pluggy semantics: pass only the arguments the impl asks for.
            impl.function(**{a: registry for a in impl.argnames if a == argname})
        registry.current_plugin = ""
        return registry

    def register_verbs(self) -> VerbRegistry:
        return self._fill("register_verbs", VerbRegistry(), "verbs")  # type: ignore[no-any-return]

    def register_renderers(self) -> RendererRegistry:
        return self._fill("register_renderers", RendererRegistry(), "renderers")  # type: ignore[no-any-return]

    def register_storage(self) -> StorageRegistry:
        return self._fill("register_storage", StorageRegistry(), "backends")  # type: ignore[no-any-return]

    def register_adapters(self) -> AdapterRegistry:
        return self._fill("register_adapters", AdapterRegistry(), "adapters")  # type: ignore[no-any-return]

    def register_transports(self) -> TransportRegistry:
        return self._fill("register_transports", TransportRegistry(), "transports")  # type: ignore[no-any-return]

    async def authenticate(self, request: web.Request, daemon: Daemon) -> Actor | None:
        pending = list(self.pm.hook.authenticate(request=request, daemon=daemon))
        try:
            while pending:
                actor = await maybe_await(pending.pop(0))
                if actor is not None:
                    return actor  # type: ignore[no-any-return]
        finally:
            for rest in pending:  # never awaited: close them to avoid a warning
                if hasattr(rest, "close"):
                    rest.close()
        return None

    async def startup(self, daemon: Daemon) -> None:
        for result in self.pm.hook.startup(daemon=daemon):
            await maybe_await(result)

    async def shutdown(self, daemon: Daemon) -> None:
        for result in self.pm.hook.shutdown(daemon=daemon):
            await maybe_await(result)

    def events_ingested(self, tenant: Tenant, events: Sequence[Event]) -> None:
        self.pm.hook.events_ingested(tenant=tenant, events=events)

    # -- command line (options and commands that plugins own) -------------------------

    def register_serve_options(self) -> OptionRegistry:
        """Every ``myco serve`` option the installed plugins declare."""
        from myco.options import OptionRegistry

        options = OptionRegistry()
        self.pm.hook.register_serve_options(options=options)
        return options

    def register_commands(self) -> CommandRegistry:
        """Every ``myco`` subcommand the installed plugins add."""
        from myco.cli.registry import CommandRegistry

        commands = CommandRegistry()
        self.pm.hook.register_commands(commands=commands)
        return commands


async def maybe_await(value: Any) -> Any:
    """Await *value* if it is awaitable (hooks may be sync or async)."""
    if hasattr(value, "__await__"):
        return await value
    return value
