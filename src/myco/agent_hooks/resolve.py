"""Finding the adapter (and the verbs) for ``myco hook NAME``, as the daemon would.

The plugin selection is the daemon's (:mod:`myco.plugin_selection`: ``MYCO_DISABLE_PLUGINS``,
``MYCO_LOAD_PLUGINS``, entry points of the ``myco`` group, built-ins), but the plugin
manager is not built here: that would import pluggy on every turn. Instead:

1. the cached resolution (:mod:`myco.agent_hooks.plugin_cache`), when its fingerprint
   still matches, names the module that holds the adapter and lists the installed verbs;
2. otherwise the same selection rule is applied with the standard library: a built-in
   adapter comes from :data:`BUILTIN` (no entry-point scan), any other name from the
   selected entry points; the verbs are those of the selected built-in verb plugins.
   ``myco hook`` then starts a background refresh of the cache, so the next turn knows
   every plugin's verbs.
"""

from __future__ import annotations

import sys

from myco.agent_hooks import plugin_cache
from myco.agent_hooks.plugin_cache import Located
from myco.plugin_selection import GROUP, Selection
from myco.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from myco.adapters import Adapter

#: built-in adapters by name: the plugin that registers each, and where its object lives
BUILTIN: dict[str, Located] = {
    "claude-code": Located(
        "myco.adapters.claude_code.plugin", "myco.adapters.claude_code.adapter", "ADAPTER"
    ),
    "codex": Located("myco.adapters.codex.plugin", "myco.adapters.codex.adapter", "ADAPTER"),
    "aider": Located("myco.adapters.aider.plugin", "myco.adapters.aider.adapter", "ADAPTER"),
}

#: verbs and aliases of the built-in verb plugins (a test keeps them equal to the registry)
BUILTIN_VERBS: dict[str, frozenset[str]] = {
    "myco.default_plugins.verbs_core": frozenset(
        {"start", "done", "need", "block", "up", "down", "private", "log", "note", "ack"}
    ),
    "myco.default_plugins.verbs_messaging": frozenset({"ask", "reply", "say", "direct"}),
    "myco.default_plugins.edits.plugin": frozenset({"claim", "release", "edit", "clean"}),
    "myco.default_plugins.context": frozenset({"seen", "live"}),
}


class Resolution(Record):
    """What ``myco hook`` learned about the installed plugins."""

    #: the adapter answering the hook; None when no selected plugin provides it
    adapter: Adapter | None
    #: every verb and alias capture accepts; None when unknown (keep the default)
    verbs: frozenset[str] | None
    #: True when it came from a valid cache (False: a refresh is worth starting)
    cached: bool


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


def _import(name: str, where: Located) -> Adapter | None:
    try:
        __import__(where.module)  # importlib.import_module, without importing importlib
        module = sys.modules[where.module]
        if where.attr:
            found = getattr(module, where.attr)
            return found if getattr(found, "name", None) == name else None
        return adapters_of(module).get(name)
    except Exception:
        return None


def resolve(name: str, environ: Mapping[str, str]) -> Resolution:
    """The adapter called *name* and the verbs, under *environ*'s plugin selection."""
    cached = plugin_cache.load(environ)
    if cached is not None:
        where = cached.adapters.get(name)
        if where is None:  # the full plugin manager has no such adapter
            return Resolution(None, cached.verbs, True)
        adapter = _import(name, where)
        if adapter is not None:
            return Resolution(adapter, cached.verbs, True)
    return fallback(name, environ)


def fallback(name: str, environ: Mapping[str, str]) -> Resolution:
    """The selection rule applied with the standard library only (no cache)."""
    selection = Selection.from_env(environ)
    verbs = frozenset().union(*(v for p, v in BUILTIN_VERBS.items() if selection.allows_builtin(p)))
    builtin = BUILTIN.get(name)
    if builtin is not None and selection.allows_builtin(builtin.plugin):
        return Resolution(_import(name, builtin), verbs, False)
    from importlib.metadata import entry_points

    # The entry point named like the adapter first (the usual layout), then the others.
    chosen = sorted(selection.entry_points(entry_points(group=GROUP)), key=lambda e: e.name != name)
    for ep in chosen:
        try:
            found = adapters_of(ep.load()).get(name)
        except Exception:
            continue
        if found is not None:
            return Resolution(found, verbs, False)
    return Resolution(None, verbs, False)


def load_adapter(name: str, environ: Mapping[str, str] | None = None) -> Adapter | None:
    """The adapter called *name*, or None when no selected plugin provides it."""
    import os

    return resolve(name, os.environ if environ is None else environ).adapter
