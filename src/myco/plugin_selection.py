"""Which plugins load: the one rule the daemon's plugin manager and ``myco hook`` share.

``MYCO_DISABLE_PLUGINS`` (comma list) blocks plugins by name, built-ins included (a
built-in's name is its dotted module, ``myco.adapters.codex.plugin``). ``MYCO_LOAD_PLUGINS``
(comma list; set but empty means none) limits which third-party plugins, found as entry
points of the ``myco`` group, load. The first entry point of a name wins.

Standard library only: :mod:`myco.plugins` builds the pluggy manager from it, and the hook
path (which must not import pluggy) resolves adapters with it.
"""

from __future__ import annotations

from myco.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Protocol, TypeVar

    class Named(Protocol):
        """Anything with a ``name``: an :class:`importlib.metadata.EntryPoint`, for one."""

        @property
        def name(self) -> str: ...

    E = TypeVar("E", bound=Named)


GROUP = "myco"
DISABLE_VAR = "MYCO_DISABLE_PLUGINS"
LOAD_VAR = "MYCO_LOAD_PLUGINS"


def split(value: str | None) -> list[str] | None:
    """A comma list as names; None when the variable is unset."""
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


class Selection(Record):
    """The selection the environment asks for."""

    #: plugin names never loaded (``MYCO_DISABLE_PLUGINS``)
    blocked: frozenset[str]
    #: the only third-party plugins loaded, or None for all (``MYCO_LOAD_PLUGINS``)
    only: frozenset[str] | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Selection:
        only = split(env.get(LOAD_VAR))
        return cls(
            frozenset(split(env.get(DISABLE_VAR)) or ()), None if only is None else frozenset(only)
        )

    def allows_builtin(self, name: str) -> bool:
        return name not in self.blocked

    def allows_entry_point(self, name: str) -> bool:
        return name not in self.blocked and (self.only is None or name in self.only)

    def entry_points(self, found: Iterable[E]) -> list[E]:
        """The entry points to load, in discovery order, one per name."""
        chosen: dict[str, E] = {}
        for ep in found:
            if ep.name not in chosen and self.allows_entry_point(ep.name):
                chosen[ep.name] = ep
        return list(chosen.values())

    def builtins(self, names: Iterable[str]) -> list[str]:
        """The built-in plugins (dotted module names) to load, in order."""
        return [name for name in names if self.allows_builtin(name)]


def environment_key(env: Mapping[str, str]) -> list[str | None]:
    """The raw selection variables (unset and empty differ), for cache fingerprints."""
    return [env.get(DISABLE_VAR), env.get(LOAD_VAR)]
