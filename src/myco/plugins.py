"""The plugin manager: built-in plugins, entry-point discovery and a typed facade.

Built-ins are ordinary plugins listed in :data:`DEFAULT_PLUGINS`. Third-party plugins
are found through the ``myco`` entry-point group. ``MYCO_LOAD_PLUGINS`` (comma list; empty
means none) limits which third-party plugins load, ``MYCO_DISABLE_PLUGINS`` blocks any
plugin by name, built-ins included: :mod:`myco.plugin_selection` holds that rule, which
``myco hook`` applies too.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import metadata
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pluggy
import structlog

from myco import hookspecs
from myco.plugin_selection import Selection, split
from myco.registry import (
    AdapterRegistry,
    GuideRegistry,
    RendererRegistry,
    StorageRegistry,
    TransportRegistry,
    VerbRegistry,
    ViewSectionRegistry,
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
log = structlog.get_logger("myco.plugins")

DEFAULT_PLUGINS: tuple[str, ...] = (
    "myco.default_plugins.verbs_core",
    "myco.default_plugins.verbs_messaging",
    "myco.default_plugins.view_sections",
    "myco.default_plugins.render_markdown",
    "myco.default_plugins.render_json",
    "myco.default_plugins.storage_file",
    "myco.default_plugins.storage_redis",
    "myco.default_plugins.auth_token",
    "myco.default_plugins.transport_http",
    "myco.default_plugins.dashboard",
    "myco.default_plugins.edits.plugin",
    "myco.default_plugins.context",
    "myco.adapters.claude_code.plugin",
    "myco.adapters.codex.plugin",
    "myco.adapters.aider.plugin",
)


def make_plugin_manager(
    *,
    load_entrypoints: bool = True,
    env: Mapping[str, str] | None = None,
    extra: Iterable[object] = (),
) -> pluggy.PluginManager:
    """Build a plugin manager with the built-ins and the selected third-party plugins."""
    env = os.environ if env is None else env
    selection = Selection.from_env(env)
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    for name in split(env.get("MYCO_DISABLE_PLUGINS")) or []:
        pm.set_blocked(name)
    if load_entrypoints:
        for ep in selection.entry_points(metadata.entry_points(group=GROUP)):
            pm.register(ep.load(), name=ep.name)
    for plugin in extra:
        pm.register(plugin)
    # pluggy calls the most recently registered first: built-ins go last, in reverse, so
    # that they run before third parties and in the order listed (a plugin's tryfirst or
    # trylast still wins).
    for dotted in reversed(selection.builtins(DEFAULT_PLUGINS)):
        pm.register(importlib.import_module(dotted), name=dotted)
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

    Every hook is an ordinary pluggy call, so wrappers (``wrapper=True``,
    ``hookwrapper=True``) run, ``tryfirst``/``trylast`` order the implementations and an
    implementation receives only the arguments it names. Registration methods also tell
    the registry which plugin is adding (see :func:`each_impl`), so that a conflict
    message can name both plugins.
    """

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    def _fill(self, hook_name: str, registry: R, **kwargs: Any) -> R:
        caller = getattr(self.pm.hook, hook_name)

        def enter(plugin: str) -> None:
            registry.current_plugin = plugin

        with each_impl(caller, enter):
            caller(**kwargs)
        return registry

    def register_verbs(self) -> VerbRegistry:
        verbs = VerbRegistry()
        return self._fill("register_verbs", verbs, verbs=verbs)

    def register_view_sections(self) -> ViewSectionRegistry:
        sections = ViewSectionRegistry()
        return self._fill("register_view_sections", sections, sections=sections)

    def register_renderers(self, sections: ViewSectionRegistry | None = None) -> RendererRegistry:
        """Renderers, given the view sections they lay out (registered now if not given)."""
        if sections is None:
            sections = self.register_view_sections()
        renderers = RendererRegistry()
        return self._fill("register_renderers", renderers, renderers=renderers, sections=sections)

    def register_guide(self, verbs: VerbRegistry | None = None) -> GuideRegistry:
        """Guide paragraphs, plus the verbs the guide lists (registered now if not given)."""
        guide = GuideRegistry(self.register_verbs() if verbs is None else verbs)
        return self._fill("register_guide", guide, guide=guide)

    def register_storage(self) -> StorageRegistry:
        backends = StorageRegistry()
        return self._fill("register_storage", backends, backends=backends)

    def register_adapters(self) -> AdapterRegistry:
        adapters = AdapterRegistry()
        return self._fill("register_adapters", adapters, adapters=adapters)

    def register_transports(self) -> TransportRegistry:
        transports = TransportRegistry()
        return self._fill("register_transports", transports, transports=transports)

    # -- command line (options and commands that plugins own) -------------------------

    def register_serve_options(self) -> OptionRegistry:
        """Every ``myco serve`` option: the core ``server`` group, then the plugins'."""
        from myco.options import OptionRegistry
        from myco.web.limits import server_options

        options = OptionRegistry()
        options.current_plugin = "myco"
        for option in server_options():  # the server's own (network limits)
            options.add(option)
        return self._fill("register_serve_options", options, options=options)

    def register_commands(self) -> CommandRegistry:
        """Every ``myco`` subcommand the installed plugins add."""
        from myco.cli.registry import CommandRegistry

        commands = CommandRegistry()
        return self._fill("register_commands", commands, commands=commands)

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
        """Notify plugins; one that raises is logged and skipped, never the caller's problem.

        The events are stored and applied already: a failing plugin must not turn the post
        into an error, nor keep the events from the other plugins and the live streams.
        """
        self._notify("events_ingested", tenant, events=events)

    def tenant_loaded(self, tenant: Tenant) -> None:
        """Notify plugins that *tenant* is in memory now; one that raises is logged and skipped."""
        self._notify("tenant_loaded", tenant)

    def tenant_evicted(self, tenant: Tenant) -> None:
        """Notify plugins that *tenant* left memory; one that raises is logged and skipped."""
        self._notify("tenant_evicted", tenant)

    def _notify(self, name: str, tenant: Tenant, **kwargs: Any) -> None:
        """Call the synchronous tenant hook *name*: every implementation runs, whatever
        another one raises (logged with its plugin's name)."""
        caller = getattr(self.pm.hook, name)
        running = [""]

        def enter(plugin: str) -> None:
            if plugin:
                running[0] = plugin

        def failed(plugin: str, exc: Exception) -> None:
            log.error(
                f"{name} failed",
                plugin=plugin,
                tenant=tenant.id,
                error=f"{type(exc).__name__}: {exc}",
            )

        try:
            with each_impl(caller, enter, failed):
                caller(tenant=tenant, **kwargs)
        except Exception as exc:  # raised by a wrapper around the implementations
            failed(running[0], exc)


class _Current(Protocol):
    current_plugin: str


R = TypeVar("R", bound=_Current)


@contextmanager
def each_impl(
    caller: pluggy.HookCaller,
    enter: Callable[[str], None],
    failed: Callable[[str, Exception], None] | None = None,
) -> Iterator[None]:
    """For one pluggy call of *caller*: ``enter(plugin)`` before each implementation runs.

    pluggy has no per-implementation callback (``add_hookcall_monitoring`` sees the whole
    call), so for the duration of the call each implementation's function is replaced by a
    shim that names its plugin, and restored afterwards. pluggy still does the calling:
    wrappers, ``tryfirst``/``trylast`` and argument selection are its own. ``enter("")``
    follows each implementation. A wrapper is named at each of its steps (before and after
    its ``yield``). With *failed*, an ordinary implementation that raises is reported to
    ``failed(plugin, exc)`` and counts as having returned ``None``.
    """
    impls = caller.get_hookimpls()
    saved = [(impl, impl.function) for impl in impls]
    for impl, function in saved:
        shim = _shim(impl.plugin_name, function, impl.wrapper or impl.hookwrapper, enter, failed)
        impl.function = shim  # type: ignore[misc]  # restored below
    try:
        yield
    finally:
        for impl, function in saved:
            impl.function = function  # type: ignore[misc]


def _shim(
    plugin: str,
    function: Callable[..., Any],
    wrapper: bool,
    enter: Callable[[str], None],
    failed: Callable[[str, Exception], None] | None,
) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        enter(plugin)
        try:
            result = function(*args, **kwargs)
        except Exception as exc:
            if failed is None or wrapper:
                raise
            failed(plugin, exc)
            return None
        finally:
            enter("")
        return _named_steps(plugin, result, enter) if wrapper else result

    return call


def _named_steps(plugin: str, gen: Generator[Any, Any, Any], enter: Callable[[str], None]) -> Any:
    """Forward a wrapper's generator to pluggy, calling ``enter(plugin)`` around each step."""
    value: Any = None
    error: BaseException | None = None
    while True:
        enter(plugin)
        try:
            out = gen.send(value) if error is None else gen.throw(error)
        except StopIteration as stop:
            return stop.value
        finally:
            enter("")
        try:
            value, error = (yield out), None
        except GeneratorExit:
            gen.close()
            raise
        except BaseException as exc:  # pluggy throws the inner exception into the wrapper
            value, error = None, exc


async def maybe_await(value: Any) -> Any:
    """Await *value* if it is awaitable (hooks may be sync or async)."""
    if hasattr(value, "__await__"):
        return await value
    return value
