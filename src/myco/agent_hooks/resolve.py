"""Finding an adapter by name on the hook path, without building the plugin manager.

Built-in adapters come from a static name → module map (each module has ``ADAPTER``).
Any other name is looked up as an entry point ``<name>`` in the ``myco`` group, whose
plugin's ``register_adapters`` hook is called directly with a small collector.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from myco.adapters import Adapter

#: built-in adapters: ``myco hook NAME`` imports only this module
BUILTIN: dict[str, str] = {
    "claude-code": "myco.adapters.claude_code.adapter",
    "codex": "myco.adapters.codex.adapter",
    "aider": "myco.adapters.aider.adapter",
}


class _Collector:
    """Stands in for :class:`myco.registry.AdapterRegistry` (no attrs/pluggy import)."""

    def __init__(self) -> None:
        self.found: dict[str, Any] = {}
        self.current_plugin = ""

    def add(self, adapter: Any, *, replace: bool = False) -> None:
        self.found[str(getattr(adapter, "name", ""))] = adapter


def adapters_of(plugin: Any) -> dict[str, Any]:
    """The adapters a plugin object or module registers, by name."""
    collector = _Collector()
    register = getattr(plugin, "register_adapters", None)
    if callable(register):
        register(adapters=collector)
    return collector.found


def load_adapter(name: str) -> Adapter | None:
    """The adapter called *name*, or None when no built-in or entry point provides it."""
    module = BUILTIN.get(name)
    if module is not None:
        adapter: Adapter = importlib.import_module(module).ADAPTER
        return adapter
    hinted = os.environ.get("MYCO_ADAPTER_PLUGIN", "")
    if hinted:  # set by ``myco run``: skip the (slow) entry-point scan
        try:
            found = adapters_of(importlib.import_module(hinted)).get(name)
        except Exception:
            found = None
        if found is not None:
            return found  # type: ignore[no-any-return]
    from importlib.metadata import entry_points

    for ep in entry_points(group="myco", name=name):
        found = adapters_of(ep.load()).get(name)
        if found is not None:
            return found  # type: ignore[no-any-return]
    return None
