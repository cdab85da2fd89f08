"""The plugin resolution ``myco hook`` reuses: adapter name -> module, and the verbs.

Building the plugin manager costs pluggy, attrs and every plugin's imports, far too much
for a process that runs on every turn. Whoever builds it in full (``myco run``, or a
background refresh that ``myco hook`` starts when the cache is missing or stale) writes
what the hooks need into ``<state>/plugins/<installation>.json``:

* for each adapter the registry holds: the plugin that registered it and where the hook
  can import the adapter object without the plugin manager (module and attribute);
* every verb and alias the verb registry holds (what capture accepts);
* a fingerprint of what that was computed from: the selection variables
  (``MYCO_DISABLE_PLUGINS``, ``MYCO_LOAD_PLUGINS``), ``sys.path`` and the modification
  times of its directories (installing, upgrading or removing a distribution changes the
  directory that holds its metadata).

Checking the fingerprint is a handful of ``stat`` calls. This module imports only the
standard library; :func:`refresh` imports :mod:`myco.plugins` when it runs.
"""

from __future__ import annotations

import os
import sys
import time

from myco.agent_hooks import jsonlite
from myco.agent_hooks.env import sha256_hex, state_root
from myco.plugin_selection import environment_key
from myco.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

FORMAT = 1
#: hooks start at most one refresh this often: the marker of a running refresh, or of one
#: that failed (a broken plugin), holds the next one off until it is this old
REFRESH_STALE_S = 60.0
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Located(Record):
    """Where the hook finds one adapter: ``getattr(import_module(module), attr)``.

    An empty *attr* means "call the module's ``register_adapters`` and pick it by name".
    """

    plugin: str
    module: str
    attr: str = ""


class Cached(Record):
    """A valid cache: adapters by name, and the verbs (None when they could not be built)."""

    adapters: Mapping[str, Located]
    verbs: frozenset[str] | None


def cache_path(environ: Mapping[str, str]) -> str:
    """This installation's cache file: one per interpreter prefix and myco package."""
    key = sha256_hex(f"{sys.prefix}\0{_PACKAGE_DIR}".encode())[:16]
    return os.path.join(state_root(environ), "plugins", f"{key}.json")


def _refresh_marker(environ: Mapping[str, str]) -> str:
    return cache_path(environ)[: -len(".json")] + ".refreshing"


def _search_path() -> list[str]:
    # sys.path[0] is the script's directory or the working directory: it depends on how
    # myco was started, and holds no installed distribution.
    return sys.path[1:]


def fingerprint(environ: Mapping[str, str]) -> dict[str, Any]:
    """What a resolution depends on, as JSON-ready data."""
    mtimes: dict[str, int] = {}
    for entry in _search_path():
        try:
            mtimes[entry] = os.stat(entry or ".").st_mtime_ns
        except OSError:
            continue
    return {"selection": environment_key(environ), "path": _search_path(), "mtimes": mtimes}


def _current(saved: Any, environ: Mapping[str, str]) -> bool:
    if not isinstance(saved, dict):
        return False
    if saved.get("selection") != environment_key(environ) or saved.get("path") != _search_path():
        return False
    mtimes = saved.get("mtimes")
    if not isinstance(mtimes, dict):
        return False
    for entry in _search_path():
        try:
            now: int | None = os.stat(entry or ".").st_mtime_ns
        except OSError:
            now = None
        if mtimes.get(entry) != now:
            return False
    return True


def load(environ: Mapping[str, str]) -> Cached | None:
    """The cached resolution, or None when it is missing, unreadable or stale."""
    try:
        with open(cache_path(environ), encoding="utf-8") as f:
            data = jsonlite.loads(f.read())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    if not _current(data.get("fingerprint"), environ):
        return None
    adapters: dict[str, Located] = {}
    raw = data.get("adapters")
    for name, entry in (raw if isinstance(raw, dict) else {}).items():
        if isinstance(entry, list) and len(entry) == 3 and all(isinstance(e, str) for e in entry):
            adapters[name] = Located(*entry)
    verbs = data.get("verbs")
    if isinstance(verbs, list) and all(isinstance(v, str) for v in verbs):
        return Cached(adapters, frozenset(verbs))
    return Cached(adapters, None)


def save(
    environ: Mapping[str, str],
    adapters: Mapping[str, Located],
    verbs: frozenset[str] | None,
) -> str:
    """Write a resolution (computed under *environ*) atomically; returns the file."""
    path = cache_path(environ)
    data = {
        "format": FORMAT,
        "fingerprint": fingerprint(environ),
        "adapters": {name: list(loc) for name, loc in sorted(adapters.items())},
        "verbs": None if verbs is None else sorted(verbs),
    }
    folder, name = os.path.split(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(jsonlite.dumps(data) + "\n")
    os.replace(tmp, path)
    return path


# -- writing it from a full plugin manager ---------------------------------------------
def locate(adapter: object, plugin_name: str, plugin: object) -> Located:
    """Where the hook can import *adapter* without building the plugin manager.

    Prefer a module-level attribute holding the very object (in the adapter class's
    module, then in the plugin module): importing it skips the plugin module, which
    usually imports pluggy.
    """
    from types import ModuleType

    plugin_module = plugin.__name__ if isinstance(plugin, ModuleType) else ""
    for module_name in (type(adapter).__module__, plugin_module):
        module = sys.modules.get(module_name) if module_name else None
        for attr, value in vars(module).items() if module is not None else ():
            if value is adapter and not attr.startswith("_"):
                return Located(plugin_name, module_name, attr)
    return Located(plugin_name, plugin_module)


def record(hooks: Any, environ: Mapping[str, str]) -> str | None:
    """Write the cache from a built :class:`myco.plugins.Hooks`; None when it cannot be.

    A plugin whose verbs fail to register leaves ``verbs`` unknown (the hooks then use the
    built-in set), never a failed launch.
    """
    try:
        registry = hooks.register_adapters()
    except Exception:
        return None
    adapters = {}
    for name in registry.names():
        owner = registry.owner(name)
        adapters[name] = locate(registry.get(name), owner, hooks.pm.get_plugin(owner))
    try:
        verbs: frozenset[str] | None = frozenset(hooks.register_verbs().names())
    except Exception:
        verbs = None
    try:
        return save(environ, adapters, verbs)
    except OSError:
        return None


def refresh(environ: Mapping[str, str] | None = None) -> str | None:
    """Build the plugin manager as the daemon would and write the cache."""
    from myco.plugins import Hooks, make_plugin_manager

    environ = os.environ if environ is None else environ
    try:
        hooks = Hooks(make_plugin_manager(env=environ))
    except Exception:
        return None
    return record(hooks, environ)


def start_refresh(environ: Mapping[str, str]) -> int | None:
    """Start ``python -m myco.agent_hooks.plugin_cache`` detached; its pid, or None.

    Uses :func:`os.posix_spawn` (no :mod:`subprocess` import on the hook path); a marker
    file keeps concurrent hooks from starting one each.
    """
    spawn = getattr(os, "posix_spawn", None)
    if spawn is None:
        return None
    marker = _refresh_marker(environ)
    try:
        os.makedirs(os.path.dirname(marker), mode=0o700, exist_ok=True)
        try:
            if time.time() - os.stat(marker).st_mtime < REFRESH_STALE_S:
                return None
        except FileNotFoundError:
            pass
        with open(marker, "w", encoding="utf-8") as f:
            f.write(str(os.getpid()))
        devnull = os.devnull
        pid: int = spawn(
            sys.executable,
            [sys.executable, "-m", "myco.agent_hooks.plugin_cache"],
            dict(environ),
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_OPEN, 2, devnull, os.O_WRONLY, 0),
            ],
            setsid=True,
        )
    except OSError:
        return None
    return pid


def _main() -> int:
    """Refresh the cache; on failure the marker stays, so hooks retry once a minute at most."""
    if refresh(os.environ) is None:
        return 1
    try:
        os.unlink(_refresh_marker(os.environ))
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(_main())
