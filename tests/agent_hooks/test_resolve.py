"""``myco hook`` finds adapters and verbs under the daemon's plugin selection.

The selection rule (:mod:`myco.plugin_selection`) is shared; these tests hold the hook
path's two ways of applying it (the cache a full plugin manager writes, and the
standard-library fallback) to what :func:`myco.plugins.make_plugin_manager` builds.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from myco.adapters.claude_code.adapter import ADAPTER as CLAUDE_CODE
from myco.agent_hooks import plugin_cache
from myco.agent_hooks.env import CORE_VERBS
from myco.agent_hooks.plugin_cache import Located
from myco.agent_hooks.resolve import BUILTIN, BUILTIN_VERBS, adapters_of, fallback, resolve
from myco.plugin_selection import Selection
from myco.plugins import DEFAULT_PLUGINS, Hooks, make_plugin_manager

CLAUDE_PLUGIN = "myco.adapters.claude_code.plugin"
#: selections whose outcome differs: every plugin, no built-in Claude Code, only the
#: example plugin (no Gemini), no third-party plugin at all
SELECTIONS: list[dict[str, str]] = [
    {},
    {"MYCO_DISABLE_PLUGINS": f"{CLAUDE_PLUGIN}, gemini"},
    {"MYCO_LOAD_PLUGINS": "review"},
    {"MYCO_LOAD_PLUGINS": ""},
    {"MYCO_DISABLE_PLUGINS": "myco.default_plugins.verbs_messaging"},
]


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    return {"MYCO_STATE_DIR": str(tmp_path / "state")}


def registries(env: dict[str, str]) -> tuple[dict[str, Any], frozenset[str]]:
    hooks = Hooks(make_plugin_manager(env=env))
    adapters = hooks.register_adapters()
    return {n: adapters.get(n) for n in adapters.names()}, frozenset(hooks.register_verbs().names())


# -- the rule ---------------------------------------------------------------------------
def test_selection_reads_both_variables() -> None:
    assert Selection.from_env({}) == Selection(frozenset(), None)
    sel = Selection.from_env({"MYCO_DISABLE_PLUGINS": " a, b ,", "MYCO_LOAD_PLUGINS": ""})
    assert sel == Selection(frozenset({"a", "b"}), frozenset())
    assert not sel.allows_entry_point("c")  # set but empty: no third-party plugin
    assert sel.allows_builtin("c") and not sel.allows_builtin("a")


def test_selection_keeps_the_first_entry_point_of_a_name() -> None:
    eps = [types.SimpleNamespace(name=n, n=i) for i, n in enumerate(["x", "y", "x", "z"])]
    chosen = Selection.from_env({"MYCO_DISABLE_PLUGINS": "z"}).entry_points(eps)
    assert [(e.name, e.n) for e in chosen] == [("x", 0), ("y", 1)]
    only = Selection.from_env({"MYCO_LOAD_PLUGINS": "y,z"}).entry_points(eps)
    assert [e.name for e in only] == ["y", "z"]


# -- built-in tables the fallback uses --------------------------------------------------
def test_static_tables_agree_with_the_plugin_registry() -> None:
    hooks = Hooks(make_plugin_manager(load_entrypoints=False))
    adapters = hooks.register_adapters()
    assert {n: adapters.owner(n) for n in adapters.names()} == {
        n: where.plugin for n, where in BUILTIN.items()
    }
    for name, where in BUILTIN.items():
        assert where.plugin in DEFAULT_PLUGINS
        assert adapters_of(sys.modules[where.plugin])[name] is adapters.get(name)
        assert getattr(sys.modules[where.module], where.attr) is adapters.get(name)
    verbs = hooks.register_verbs()
    by_owner: dict[str, set[str]] = {}
    for name in verbs.names():
        by_owner.setdefault(verbs.owner(name), set()).add(name)
    assert by_owner == {k: set(v) for k, v in BUILTIN_VERBS.items()}
    assert frozenset().union(*BUILTIN_VERBS.values()) == CORE_VERBS


# -- both hook-side ways agree with the plugin manager -----------------------------------
@pytest.mark.parametrize("selection", SELECTIONS)
def test_cache_and_fallback_resolve_what_the_daemon_registers(
    environ: dict[str, str], selection: dict[str, str]
) -> None:
    env = {**environ, **selection}
    adapters, verbs = registries(env)
    candidates = {*adapters, *BUILTIN, "gemini", "no-such-agent"}
    for name in candidates:  # no cache: the standard-library rule
        found = fallback(name, env)
        assert (found.adapter is not None) == (name in adapters), name
        if name in adapters:
            assert found.adapter is adapters[name]
        assert found.verbs is not None and found.verbs <= verbs and not found.cached
    assert plugin_cache.refresh(env) is not None  # now as `myco run` leaves it
    for name in candidates:
        found = resolve(name, env)
        assert found.cached
        assert found.verbs == verbs  # plugin verbs included
        assert (found.adapter is not None) == (name in adapters), name
        if name in adapters:
            assert found.adapter is adapters[name]


def test_a_plugin_verb_reaches_the_hook_only_through_the_cache(environ: dict[str, str]) -> None:
    assert "review" not in fallback("claude-code", environ).verbs  # type: ignore[operator]
    plugin_cache.refresh(environ)
    assert "review" in resolve("claude-code", environ).verbs  # type: ignore[operator]


# -- staleness ----------------------------------------------------------------------------
def test_a_changed_selection_makes_the_cache_stale(environ: dict[str, str]) -> None:
    plugin_cache.refresh(environ)
    assert plugin_cache.load(environ) is not None
    blocked = {**environ, "MYCO_DISABLE_PLUGINS": CLAUDE_PLUGIN}
    assert plugin_cache.load(blocked) is None
    assert plugin_cache.load({**environ, "MYCO_LOAD_PLUGINS": ""}) is None
    found = resolve("claude-code", blocked)
    assert found.adapter is None and not found.cached


def test_installing_a_distribution_makes_the_cache_stale(
    environ: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    plugin_cache.refresh(environ)
    assert plugin_cache.load(environ) is not None
    (site / "newplugin-1.0.dist-info").mkdir()  # what an install does to the directory
    os.utime(site, ns=(0, os.stat(site).st_mtime_ns + 1_000_000))
    assert plugin_cache.load(environ) is None
    plugin_cache.refresh(environ)
    assert plugin_cache.load(environ) is not None
    monkeypatch.setattr(sys, "path", sys.path[:-1])  # a different search path
    assert plugin_cache.load(environ) is None


def test_a_garbled_or_foreign_cache_is_ignored(environ: dict[str, str]) -> None:
    path = Path(plugin_cache.cache_path(environ))
    path.parent.mkdir(parents=True)
    for text in ("", "not json", "[]", '{"format": 99}', '{"format": 1, "fingerprint": 5}'):
        path.write_text(text)
        assert plugin_cache.load(environ) is None
        assert resolve("claude-code", environ).adapter is not None


def test_a_cache_entry_that_no_longer_imports_falls_back(environ: dict[str, str]) -> None:
    plugin_cache.save(environ, {"claude-code": Located(CLAUDE_PLUGIN, "gone.module", "X")}, None)
    found = resolve("claude-code", environ)
    assert found.adapter is CLAUDE_CODE and not found.cached


# -- third-party adapters ---------------------------------------------------------------
class _Adapter:
    name = "fakeagent"


def _plugin_module() -> types.ModuleType:
    module = types.ModuleType("fake_agent_plugin")
    module.ADAPTER = _Adapter()  # type: ignore[attr-defined]

    def register_adapters(adapters: Any) -> None:
        adapters.add(module.ADAPTER)  # type: ignore[attr-defined]

    module.register_adapters = register_adapters  # type: ignore[attr-defined]
    return module


class _EntryPoint:
    def __init__(self, name: str, plugin: object) -> None:
        self.name = name
        self.plugin = plugin

    def load(self) -> object:
        return self.plugin


def test_fallback_finds_third_party_adapters_through_selected_entry_points(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = _plugin_module()
    # the entry point need not be named like the adapter
    found = [_EntryPoint("other", types.SimpleNamespace()), _EntryPoint("fake", plugin)]

    def entry_points(group: str) -> list[_EntryPoint]:
        assert group == "myco"
        return found

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    assert adapters_of(plugin) == {"fakeagent": plugin.ADAPTER}  # type: ignore[attr-defined]
    assert fallback("fakeagent", environ).adapter is plugin.ADAPTER  # type: ignore[attr-defined]
    assert fallback("fakeagent", {**environ, "MYCO_DISABLE_PLUGINS": "fake"}).adapter is None
    assert fallback("fakeagent", {**environ, "MYCO_LOAD_PLUGINS": "other"}).adapter is None
    assert fallback("unknown", environ).adapter is None


def test_a_cached_adapter_is_imported_without_scanning_entry_points(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = _plugin_module()
    monkeypatch.setitem(sys.modules, "fake_agent_plugin", plugin)
    where = plugin_cache.locate(plugin.ADAPTER, "fake", plugin)  # type: ignore[attr-defined]
    assert where == Located("fake", "fake_agent_plugin", "ADAPTER")
    plugin_cache.save(environ, {"fakeagent": where}, frozenset({"start", "wave"}))

    def no_scan(**_: Any) -> Any:
        raise AssertionError("entry points were scanned")

    monkeypatch.setattr(importlib.metadata, "entry_points", no_scan)
    found = resolve("fakeagent", environ)
    assert found.adapter is plugin.ADAPTER and found.cached  # type: ignore[attr-defined]
    assert found.verbs == {"start", "wave"}
    # only the cache's adapters exist: a built-in it lacks was not selected
    assert resolve("claude-code", environ).adapter is None


def test_hooks_start_one_refresh_at_a_time(environ: dict[str, str]) -> None:
    env = {**os.environ, **environ}
    pid = plugin_cache.start_refresh(env)
    assert pid is not None
    try:
        assert plugin_cache.start_refresh(env) is None  # one is running: no second one
    finally:
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # written for the child's sys.path (pytest's own differs, so not loaded here)
    written = json.loads(Path(plugin_cache.cache_path(env)).read_text())
    assert "claude-code" in written["adapters"] and "start" in written["verbs"]
    assert not Path(plugin_cache.cache_path(env)).with_suffix(".refreshing").exists()
