"""Adapters on the hook path: static built-ins, entry points for the rest."""

from __future__ import annotations

import types
from typing import Any

import pytest

from myco.agent_hooks.resolve import BUILTIN, adapters_of, load_adapter
from myco.plugins import Hooks, make_plugin_manager


def test_static_map_agrees_with_the_plugin_registry() -> None:
    registry = Hooks(make_plugin_manager(load_entrypoints=False)).register_adapters()
    builtin = {n for n in registry.names() if registry.owner(n).startswith("myco.adapters.")}
    assert builtin == set(BUILTIN)
    for name in BUILTIN:
        assert load_adapter(name) is registry.get(name)


def test_third_party_adapters_come_from_their_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = types.SimpleNamespace(name="fake-cli")

    def register_adapters(adapters: Any) -> None:
        adapters.add(adapter)

    plugin = types.SimpleNamespace(register_adapters=register_adapters)
    assert adapters_of(plugin) == {"fake-cli": adapter}

    class EntryPoint:
        def load(self) -> object:
            return plugin

    def entry_points(group: str, name: str) -> list[EntryPoint]:
        assert group == "myco"
        return [EntryPoint()] if name == "fake-cli" else []

    monkeypatch.setattr("importlib.metadata.entry_points", entry_points)
    assert load_adapter("fake-cli") is adapter
    assert load_adapter("unknown") is None
