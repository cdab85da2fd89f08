"""Typed registries that registration hooks fill in.

Registration hooks receive a registry and call ``add``; a registry refuses a name that
another plugin already took and names both plugins, unless the newcomer passes
``replace=True``. That keeps pluggy's call order out of the semantics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from attrs import field, frozen

from myco.protocol.grammar import CORE_KEYS

if TYPE_CHECKING:
    from myco.protocol.events import Event
    from myco.protocol.state import Observer, SwarmState
    from myco.storage.contract import Storage


class RegistryError(ValueError):
    """A conflicting or invalid registration."""


Apply = Callable[["SwarmState", "Event"], None]
Lint = Callable[["SwarmState", "Event", int], "list[str]"]
Visible = Callable[["SwarmState", "Event", str], "bool | None"]


@frozen
class VerbSpec:
    """One protocol verb, as ``register_verbs`` adds it.

    :ivar name: the verb as written in a ``<myco>`` block (lower case).
    :ivar apply: ``apply(state, event)``: the verb's effect on the ``SwarmState``, called
        after the generic effects every event has (author last seen, RECENT EVENTS).
    :ivar summary: one line for listings and the agents' guide.
    :ivar aliases: other names that mean the same verb (``log`` and ``note`` for ``private``).
    :ivar target: the object names a session: it is upper-cased and validated (an invalid
        name makes the whole post fail with 400), the target joins the event's channels, and
        the response carries a poke for it.
    :ivar allow_all: with ``target``, the object may also be ``all``.
    :ivar lint: ``lint(state, event, now_ms) -> list[str]``: warnings for the author,
        computed before the event is applied and returned in the ``POST /events`` response.
    :ivar visible: ``visible(state, event, viewer) -> bool | None``: may the viewer see the
        event in RECENT EVENTS (after the channel rules); None defers to the default, visible.
    :ivar keys: extra ``key:value`` keys the verb understands (besides ``ref spec ack addr
        result re channel``).
    :ivar internal: bookkeeping verb, never listed in views.
    """

    name: str
    apply: Apply
    summary: str = ""
    aliases: tuple[str, ...] = ()
    target: bool = False
    allow_all: bool = False
    lint: Lint | None = None
    visible: Visible | None = None
    keys: frozenset[str] = frozenset()
    internal: bool = False
    plugin: str = field(default="", eq=False)


T = TypeVar("T")


class _Named(Protocol):
    name: str


N = TypeVar("N", bound=_Named)


class _Registry(Generic[T]):
    kind = "entry"

    def __init__(self) -> None:
        self._items: dict[str, T] = {}
        self._owners: dict[str, str] = {}
        self.current_plugin = ""

    def _put(self, name: str, item: T, replace: bool) -> None:
        owner = self._owners.get(name)
        if owner is not None and not replace:
            raise RegistryError(
                f"{self.kind} {name!r} is registered by both {owner!r} and "
                f"{self.current_plugin!r}; pass replace=True to override explicitly"
            )
        self._items[name] = item
        self._owners[name] = self.current_plugin

    def get(self, name: str) -> T | None:
        return self._items.get(name)

    def owner(self, name: str) -> str:
        return self._owners.get(name, "")

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)


class VerbRegistry(_Registry[VerbSpec]):
    """Verbs by name and alias, plus state observers and recognised keys."""

    kind = "verb"

    def __init__(self) -> None:
        super().__init__()
        self.observers: list[Observer] = []
        self.keys: set[str] = set(CORE_KEYS)
        self.canonical: dict[str, str] = {}
        self.session_verbs: set[str] = set()

    def add(self, spec: VerbSpec, *, replace: bool = False) -> None:
        from attrs import evolve

        spec = evolve(spec, plugin=self.current_plugin)
        for name in (spec.name, *spec.aliases):
            self._put(name, spec, replace)
            self.canonical[name] = spec.name
            if spec.target:
                self.session_verbs.add(name)
        self.keys.update(spec.keys)

    def observe(self, observer: Observer) -> None:
        """Call *observer(state, event)* after every applied event (any verb)."""
        self.observers.append(observer)

    def public(self) -> list[VerbSpec]:
        """Canonical, non-internal verbs in name order."""
        seen = {s.name: s for s in self if not s.internal}
        return [seen[n] for n in sorted(seen)]


@frozen
class Renderer:
    """A view format: ``render(state, session, now_ms, budget) -> str``."""

    name: str
    render: Callable[[SwarmState, str, int, int], str]
    content_type: str = "text/markdown; charset=utf-8"


class RendererRegistry(_Registry[Renderer]):
    kind = "renderer"

    def add(self, renderer: Renderer, *, replace: bool = False) -> None:
        self._put(renderer.name, renderer, replace)


StorageFactory = Callable[[Any], "Storage"]


@frozen
class StorageBackend:
    """A storage backend: ``factory(config) -> Storage``."""

    name: str
    factory: StorageFactory
    summary: str = ""


class StorageRegistry(_Registry[StorageBackend]):
    kind = "storage backend"

    def add(self, backend: StorageBackend, *, replace: bool = False) -> None:
        self._put(backend.name, backend, replace)


class AdapterRegistry(_Registry[Any]):
    """Agent-CLI adapters (objects following :class:`myco.adapters.Adapter`)."""

    kind = "adapter"

    def add(self, adapter: Any, *, replace: bool = False) -> None:
        self._put(adapter.name, adapter, replace)


class TransportRegistry(_Registry[Any]):
    """Transports (objects following :class:`myco.transports.Transport`)."""

    kind = "transport"

    def add(self, transport: Any, *, replace: bool = False) -> None:
        self._put(transport.name, transport, replace)
