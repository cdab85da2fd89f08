"""The plugin framework: built-ins, selection, registries, the Hooks facade, hook calls.

Test plugins are inline classes with ``@hookimpl`` methods and a ``__name__`` (the name
pluggy registers them under), passed to ``make_plugin_manager(extra=[...])``.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Sequence
from typing import Any

import pluggy
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, make_mocked_request

from myco import __version__, hookspecs
from myco._version import DISTRIBUTION
from myco.auth.actor import Actor
from myco.auth.tokens import tenant_id
from myco.config import Config
from myco.daemon import ConfigError, Daemon
from myco.hookspecs import hookimpl
from myco.plugins import DEFAULT_PLUGINS, Hooks, list_plugins, make_plugin_manager
from myco.protocol.events import Event
from myco.protocol.state import SwarmState
from myco.registry import (
    AdapterRegistry,
    RegistryError,
    Renderer,
    RendererRegistry,
    StorageBackend,
    StorageRegistry,
    TransportRegistry,
    VerbRegistry,
    VerbSpec,
)
from myco.tenants import Tenant
from myco.testing import Swarm
from myco.web.keys import PUBLIC_ROUTES, actor_of
from tests.conftest import AUTH, TOKEN

Client = TestClient[web.Request, web.Application]


def env(**overrides: str) -> dict[str, str]:
    """The process environment without plugin selection, plus *overrides*."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MYCO_LOAD_PLUGINS", "MYCO_DISABLE_PLUGINS")
    }
    return {**base, **overrides}


def build(*plugins: object, **selection: str) -> pluggy.PluginManager:
    return make_plugin_manager(load_entrypoints=False, env=env(**selection), extra=plugins)


def noop(state: SwarmState, event: Event) -> None:
    pass


# -- built-ins ------------------------------------------------------------------------


@pytest.mark.parametrize("dotted", DEFAULT_PLUGINS)
def test_default_plugin_imports_cleanly(dotted: str) -> None:
    module = importlib.import_module(dotted)
    impls = [name for name, obj in vars(module).items() if hasattr(obj, "myco_impl")]
    assert impls, f"{dotted} implements no hook"


def test_builtins_listed_only_with_include_builtins(pm: pluggy.PluginManager) -> None:
    listed = {p["name"]: p for p in list_plugins(pm, include_builtins=True)}
    assert set(DEFAULT_PLUGINS) <= set(listed)
    for dotted in DEFAULT_PLUGINS:
        assert listed[dotted]["package"] == DISTRIBUTION
        assert listed[dotted]["version"] == __version__
        assert listed[dotted]["hooks"], dotted
    assert "register_verbs" in listed["myco.default_plugins.verbs_core"]["hooks"]
    assert not set(DEFAULT_PLUGINS) & {p["name"] for p in list_plugins(pm)}


def test_disable_plugins_blocks_a_builtin() -> None:
    json_plugin = "myco.default_plugins.render_json"
    pm = build(MYCO_DISABLE_PLUGINS=f" {json_plugin} , nothing-by-that-name")
    assert pm.is_blocked(json_plugin)
    assert not pm.has_plugin(json_plugin)
    assert json_plugin not in {p["name"] for p in list_plugins(pm, include_builtins=True)}
    renderers = Hooks(pm).register_renderers()
    assert "json" not in renderers
    assert "markdown" in renderers


def test_load_plugins_does_not_limit_builtins() -> None:
    pm = make_plugin_manager(env=env(MYCO_LOAD_PLUGINS=""))
    assert all(pm.has_plugin(dotted) for dotted in DEFAULT_PLUGINS)


# -- registries -----------------------------------------------------------------------


class VerbPlugin:
    def __init__(self, name: str, verb: str, *, replace: bool = False) -> None:
        self.__name__ = name
        self.verb = verb
        self.replace = replace

    @hookimpl
    def register_verbs(self, verbs: VerbRegistry) -> None:
        verbs.add(
            VerbSpec(self.verb, noop, f"{self.verb} from {self.__name__}"), replace=self.replace
        )


def test_duplicate_verb_names_both_plugins() -> None:
    pm = build(VerbPlugin("first-plugin", "dup"), VerbPlugin("second-plugin", "dup"))
    with pytest.raises(RegistryError, match="replace=True") as info:
        Hooks(pm).register_verbs()
    assert "'dup'" in str(info.value)
    assert "'first-plugin'" in str(info.value)
    assert "'second-plugin'" in str(info.value)


def test_duplicate_of_a_builtin_verb_names_both_plugins() -> None:
    pm = build(VerbPlugin("my-done", "done"))
    with pytest.raises(RegistryError) as info:
        Hooks(pm).register_verbs()
    assert "'myco.default_plugins.verbs_core'" in str(info.value)
    assert "'my-done'" in str(info.value)


def test_replace_overrides_a_builtin_verb() -> None:
    pm = build(VerbPlugin("my-done", "done", replace=True))
    verbs = Hooks(pm).register_verbs()
    spec = verbs.get("done")
    assert spec is not None
    assert (spec.plugin, spec.summary) == ("my-done", "done from my-done")
    assert verbs.owner("done") == "my-done"
    swarm = Swarm(pm)
    swarm.post("alice", "done api")
    assert "No artifact published." in swarm.section("alice", "PUBLISHED ARTIFACTS")


class Misspelled:
    __name__ = "misspelled"

    @hookimpl
    def register_verb(self, verbs: VerbRegistry) -> None:  # not a hook: register_verbs
        raise AssertionError("never called")


class WrongArgument:
    __name__ = "wrong-argument"

    @hookimpl
    def register_verbs(self, registry: VerbRegistry) -> None:  # the argument is `verbs`
        raise AssertionError("never called")


@pytest.mark.parametrize(
    ("plugin", "needle"), [(Misspelled(), "register_verb"), (WrongArgument(), "registry")]
)
def test_bad_hookimpl_fails_loudly(plugin: object, needle: str) -> None:
    with pytest.raises(pluggy.PluginValidationError, match=needle):
        build(plugin)


class Everything:
    """One plugin that adds to every registry."""

    __name__ = "everything"

    def __init__(self) -> None:
        self.storage = StorageBackend("memory", lambda config: NotImplemented, "for tests")
        self.adapter = type("FakeAdapter", (), {"name": "fake-cli"})()

    @hookimpl
    def register_storage(self, backends: StorageRegistry) -> None:
        backends.add(self.storage)

    @hookimpl
    def register_adapters(self, adapters: AdapterRegistry) -> None:
        adapters.add(self.adapter)


def test_registration_hooks_fill_their_registry() -> None:
    plugin = Everything()
    hooks = Hooks(build(plugin))
    backends = hooks.register_storage()
    assert backends.get("memory") is plugin.storage
    assert backends.owner("memory") == "everything"
    assert "file" in backends.names()
    adapters = hooks.register_adapters()
    assert adapters.get("fake-cli") is plugin.adapter


class NoArguments:
    __name__ = "no-arguments"
    called = False

    @hookimpl
    def register_verbs(self) -> None:  # pluggy passes only the arguments asked for
        NoArguments.called = True


def test_registration_impl_may_take_no_argument() -> None:
    Hooks(build(NoArguments())).register_verbs()
    assert NoArguments.called


# -- the facade -----------------------------------------------------------------------


def test_facade_has_a_method_for_every_hookspec() -> None:
    specs = {name for name, obj in vars(hookspecs).items() if hasattr(obj, "myco_spec")}
    methods = {
        name for name, obj in vars(Hooks).items() if callable(obj) and not name.startswith("_")
    }
    assert specs == methods


class Calls:
    def __init__(self, actor: Actor | None) -> None:
        self.actor = actor
        self.calls: list[str] = []


class SyncHooks(Calls):
    __name__ = "sync-hooks"

    @hookimpl
    def authenticate(self, request: web.Request, daemon: Daemon) -> Actor | None:
        self.calls.append("authenticate")
        return self.actor

    @hookimpl
    def startup(self, daemon: Daemon) -> None:
        self.calls.append("startup")

    @hookimpl
    def shutdown(self, daemon: Daemon) -> None:
        self.calls.append("shutdown")


class AsyncHooks(Calls):
    """Records a call only after suspending, so the record proves the result was awaited."""

    __name__ = "async-hooks"

    @hookimpl
    async def authenticate(self, request: web.Request, daemon: Daemon) -> Actor | None:
        await asyncio.sleep(0)
        self.calls.append("authenticate")
        return self.actor

    @hookimpl
    async def startup(self, daemon: Daemon) -> None:
        await asyncio.sleep(0)
        self.calls.append("startup")

    @hookimpl
    async def shutdown(self, daemon: Daemon) -> None:
        await asyncio.sleep(0)
        self.calls.append("shutdown")


@pytest.mark.parametrize("winner", ["sync", "async"])
async def test_authenticate_awaits_sync_and_async_impls(winner: str, daemon: Daemon) -> None:
    actor = Actor("tenant-x")
    sync = SyncHooks(actor if winner == "sync" else None)
    asyn = AsyncHooks(actor if winner == "async" else None)
    # pluggy calls the last registered first: the loser goes last so it runs first.
    plugins = (sync, asyn) if winner == "sync" else (asyn, sync)
    hooks = Hooks(build(*plugins))
    request = make_mocked_request("GET", "/status")  # no Authorization: built-in passes
    assert await hooks.authenticate(request, daemon) is actor
    assert sync.calls == asyn.calls == ["authenticate"]


async def test_authenticate_none_when_no_impl_accepts(daemon: Daemon) -> None:
    sync, asyn = SyncHooks(None), AsyncHooks(None)
    hooks = Hooks(build(sync, asyn))
    assert await hooks.authenticate(make_mocked_request("GET", "/status"), daemon) is None
    assert sync.calls == asyn.calls == ["authenticate"]


async def test_startup_and_shutdown_await_sync_and_async_impls(daemon: Daemon) -> None:
    sync, asyn = SyncHooks(None), AsyncHooks(None)
    hooks = Hooks(build(sync, asyn))
    await hooks.startup(daemon)
    await hooks.shutdown(daemon)
    assert sync.calls == asyn.calls == ["startup", "shutdown"]


# -- hooks seen through the HTTP API --------------------------------------------------


def count_view(state: SwarmState, session: str, now_ms: int, budget: int) -> str:
    return f"{session} sees {len(state.events)} event(s)\n"


class PingTransport:
    name = "ping"

    def setup(self, app: web.Application, daemon: Daemon) -> None:
        async def ping(request: web.Request) -> web.Response:
            return web.json_response({"pong": True, "transports": daemon.transports.names()})

        async def whoami(request: web.Request) -> web.Response:
            return web.json_response({"tenant": actor_of(request).tenant_id})

        app.router.add_get("/-/ping", ping, name="ping")
        app.router.add_get("/ping/whoami", whoami, name="ping-whoami")
        app[PUBLIC_ROUTES].add("ping")  # the other route requires authentication


class Recorder:
    """Implements the daemon-side hooks and records what it saw."""

    __name__ = "recorder"

    def __init__(self) -> None:
        self.ingested: list[tuple[Tenant, list[Event]]] = []
        self.started: list[Daemon] = []

    @hookimpl
    def events_ingested(self, tenant: Tenant, events: Sequence[Event]) -> None:
        self.ingested.append((tenant, list(events)))

    @hookimpl
    async def startup(self, daemon: Daemon) -> None:
        self.started.append(daemon)

    @hookimpl
    def register_renderers(self, renderers: RendererRegistry) -> None:
        renderers.add(Renderer("count", count_view, "text/plain; charset=utf-8"))

    @hookimpl
    def register_transports(self, transports: TransportRegistry) -> None:
        transports.add(PingTransport())


class TestThroughHttp:
    @pytest.fixture
    def recorder(self) -> Recorder:
        return Recorder()

    @pytest.fixture
    def pm(self, recorder: Recorder) -> pluggy.PluginManager:
        """Overrides conftest's ``pm``: the ``daemon`` and ``client`` fixtures use it."""
        return build(recorder)

    async def test_startup_gets_the_daemon(
        self, client: Client, daemon: Daemon, recorder: Recorder
    ) -> None:
        assert recorder.started == [daemon]

    async def test_events_ingested_after_post(
        self, api: Any, daemon: Daemon, recorder: Recorder
    ) -> None:
        body = await api.post("alice", "start api", "done api ref:abc")
        assert len(recorder.ingested) == 1
        tenant, events = recorder.ingested[0]
        assert tenant is daemon.tenants.get(tenant_id(TOKEN))
        assert [(e.session, e.verb, e.obj) for e in events] == [
            ("ALICE", "start", "api"),
            ("ALICE", "done", "api"),
        ]
        assert [events[0].seq, events[-1].seq] == body["seq"]
        await api.post("alice", "   ")  # nothing applied: the hook is not called
        assert len(recorder.ingested) == 1

    async def test_custom_renderer_is_served(self, api: Any, client: Client) -> None:
        await api.post("alice", "start api")
        resp = await client.get("/view/alice?format=count", headers=AUTH)
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert await resp.text() == "ALICE sees 1 event(s)\n"
        resp = await client.get("/view/alice?format=nope", headers=AUTH)
        assert resp.status == 400
        assert "count" in (await resp.json())["error"]

    async def test_custom_transport_routes_are_served(self, client: Client) -> None:
        resp = await client.get("/-/ping")
        assert resp.status == 200
        body = await resp.json()
        assert body["pong"] is True
        assert {"http", "ping"} <= set(body["transports"])
        assert (await client.get("/ping/whoami")).status == 401
        resp = await client.get("/ping/whoami", headers=AUTH)
        assert resp.status == 200
        assert await resp.json() == {"tenant": tenant_id(TOKEN)}


def test_daemon_refuses_unknown_storage(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match=r"'memory'.*installed: file"):
        Daemon(Config(data_dir=tmp_path, storage="memory"), build())
