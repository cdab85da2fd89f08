"""``MYCO_ADAPTER_PLUGIN`` lets a third-party adapter's hook skip the entry-point scan."""

from __future__ import annotations

import importlib.metadata
import sys
import types
from typing import Any

import pytest

from myco.agent_hooks.resolve import load_adapter


class _Adapter:
    name = "fakeagent"


def _plugin_module() -> types.ModuleType:
    module = types.ModuleType("fake_agent_plugin")

    def register_adapters(adapters: Any) -> None:
        adapters.add(_Adapter())

    module.register_adapters = register_adapters  # type: ignore[attr-defined]
    return module


def test_hinted_plugin_is_imported_without_scanning_entry_points(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "fake_agent_plugin", _plugin_module())
    monkeypatch.setenv("MYCO_ADAPTER_PLUGIN", "fake_agent_plugin")

    def no_scan(**_: Any) -> Any:
        raise AssertionError("entry points were scanned")

    monkeypatch.setattr(importlib.metadata, "entry_points", no_scan)
    adapter = load_adapter("fakeagent")
    assert adapter is not None and adapter.name == "fakeagent"


def test_a_wrong_hint_falls_back_to_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYCO_ADAPTER_PLUGIN", "no_such_module_anywhere")
    scanned: list[str] = []

    def scan(**kw: Any) -> list[Any]:
        scanned.append(kw["name"])
        return []

    monkeypatch.setattr(importlib.metadata, "entry_points", scan)
    assert load_adapter("fakeagent") is None
    assert scanned == ["fakeagent"]
