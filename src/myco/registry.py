"""Typed registries that registration hooks fill in.

Registration hooks receive a registry and call ``add``; a registry refuses a name that
another plugin already took and names both plugins, unless the newcomer passes
``replace=True``. That keeps pluggy's call order out of the semantics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import pairwise
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
    :ivar example: a complete line using the verb, shown next to the summary in the guide.
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
    example: str = ""
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


@frozen
class Presence:
    """Whether a session is there, as a plugin tells from the lifecycle hooks.

    PEERS (workers), SESSIONS (the DIRECTOR), the JSON view and the dashboard show it next
    to each session; see :meth:`VerbRegistry.presence`.

    :ivar state: one word: ``working``, ``awaiting-human``, ``idle``, ``ended``, ``stale``.
    :ivar since_ms: since when (milliseconds since the epoch).
    :ivar gone: the session has left (ended or stale for a while): worker views leave it
        out of PEERS; the DIRECTOR still sees it.
    """

    state: str
    since_ms: int
    gone: bool = False

    def label(self, now_ms: int) -> str:
        """``idle 3min``: the state and how long it has lasted."""
        from myco.clock import age_label

        return f"{self.state} {age_label(max(0, now_ms - self.since_ms))}"


PresenceOf = Callable[["SwarmState", str, int], "Presence | None"]


class VerbRegistry(_Registry[VerbSpec]):
    """Verbs by name and alias, plus state observers, presence providers and known keys."""

    kind = "verb"

    def __init__(self) -> None:
        super().__init__()
        self.observers: list[Observer] = []
        #: ``fn(state, session, now_ms) -> Presence | None``, asked in registration order
        self.presences: list[PresenceOf] = []
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

    def presence(self, provider: PresenceOf) -> None:
        """Tell views whether sessions are there: *provider(state, session, now_ms)* returns
        a :class:`Presence`, or None when it knows nothing of the session (the first
        provider that answers wins). Without one, views show what the events say."""
        self.presences.append(provider)

    def public(self) -> list[VerbSpec]:
        """Canonical, non-internal verbs in name order."""
        seen = {s.name: s for s in self if not s.internal}
        return [seen[n] for n in sorted(seen)]

    def in_order(self) -> list[VerbSpec]:
        """Canonical, non-internal verbs in registration order (a replaced verb keeps its place)."""
        seen: dict[str, VerbSpec] = {}
        for spec in self:
            if not spec.internal:
                seen.setdefault(spec.name, spec)
        return list(seen.values())


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


# -- views ----------------------------------------------------------------------------

#: the roles a view section or a guide entry is for
WORKER = "worker"
DIRECTOR_ROLE = "director"
ROLES: frozenset[str] = frozenset({WORKER, DIRECTOR_ROLE})

SectionRender = Callable[["SwarmState", str, int, int], "Iterable[str]"]
SectionData = Callable[["SwarmState", str, int], Any]
CountItems = Callable[["list[str]"], int]


def count_items(lines: list[str]) -> int:
    """List items and table rows among *lines* (a table's header row is not an item)."""
    n = 0
    for i, line in enumerate(lines):
        header = i + 1 < len(lines) and lines[i + 1].startswith("|-")
        n += line.startswith("- ") or (line.startswith("| ") and not header)
    return n


@frozen
class ViewSection:
    """One ``## HEADING`` block of the markdown view (and an entry of the JSON view).

    :ivar heading: the text after ``## `` (one line); also the registry key.
    :ivar render: ``render(state, session, now_ms, limit) -> lines``: the section's lines
        for *session* at *now_ms*, showing at most *limit* items. No lines: the section
        is left out of the view. Text of a third-party section is neutralised by
        :func:`myco.sanitize.view_text` when laid out (a plugin cannot forget).
    :ivar roles: who sees it: ``"worker"``, ``"director"`` or both.
    :ivar order: position in the view, smaller first. Built-ins: NOW 100, SESSIONS 150,
        DIRECTIVES 200, PUBLISHED ARTIFACTS 300, YOUR BLOCKERS 400, DEPENDENCY GRAPH 410,
        YOUR DEPENDENTS 450, CONFLICTS 470, BROADCASTS 500, PEERS 600, SHARED RESOURCES
        700, RECENT EVENTS 800, PENDING QUESTIONS 900, PENDING MESSAGES 1000.
    :ivar priority: when the view is over its budget, sections with a lower priority
        shrink first (through *steps*), then are cut first. Built-ins range from 10
        (RECENT EVENTS) to 90 (CONFLICTS); sections addressed to the viewer have 1000.
    :ivar limit: the *limit* given to *render* while the view fits its budget.
    :ivar steps: smaller limits tried in turn while the view is over budget.
    :ivar label: what the trim note calls the items left out (``"older event(s)"``).
    :ivar addressed: addressed to the viewer (directives, questions, messages): never
        dropped; if the budget forces a cut, the section keeps its first lines and says
        how many were cut.
    :ivar count: ``count(lines) -> int``, items among rendered lines, for the trim note
        (default :func:`count_items`: list items and table rows).
    :ivar data: ``data(state, session, now_ms)``: plain data for the JSON view's
        ``sections`` object; default: the rendered lines.
    """

    heading: str
    render: SectionRender
    roles: frozenset[str] = ROLES
    order: int = 950
    priority: int = 100
    limit: int = 100
    steps: tuple[int, ...] = ()
    label: str = "item(s)"
    addressed: bool = False
    count: CountItems = count_items
    data: SectionData | None = None
    plugin: str = field(default="", eq=False)

    def visible_to(self, role: str) -> bool:
        return role in self.roles


class ViewSectionRegistry(_Registry[ViewSection]):
    """View sections by heading; :meth:`for_role` lays them out in order."""

    kind = "view section"

    def add(self, section: ViewSection, *, replace: bool = False) -> None:
        problem = _section_problem(section)
        if problem:
            raise RegistryError(
                f"view section {section.heading!r} from {self.current_plugin!r}: {problem}"
            )
        from attrs import evolve

        self._put(section.heading, evolve(section, plugin=self.current_plugin), replace)

    def for_role(self, role: str) -> list[ViewSection]:
        """The sections *role* sees, by ``order`` (then heading: the layout is stable)."""
        return sorted((s for s in self if s.visible_to(role)), key=lambda s: (s.order, s.heading))


def _section_problem(section: ViewSection) -> str:
    heading = section.heading
    if not heading.strip() or heading != heading.strip() or "\n" in heading or "\r" in heading:
        return "the heading must be one line of text, without surrounding spaces"
    if heading.startswith("#") or "<" in heading or "`" in heading:
        return "the heading must not contain markup (#, <, `)"
    if not section.roles or not section.roles <= ROLES:
        return f"roles must be a non-empty subset of {sorted(ROLES)}"
    limits = (section.limit, *section.steps)
    if any(b >= a for a, b in pairwise(limits)) or min(limits) < 0:
        return "steps must be smaller and smaller limits, none negative"
    return ""


# -- the agents' guide ----------------------------------------------------------------


@frozen
class GuideEntry:
    """A part of the agents' guide that ``myco run`` writes and ``myco guide`` prints.

    :ivar heading: its ``## heading`` in the guide (one line); also the registry key.
    :ivar text: markdown paragraphs, written as they are.
    :ivar roles: who it is for: ``"worker"``, ``"director"`` or both.
    :ivar order: position among the entries, after the base guide; smaller first.
    """

    heading: str
    text: str
    roles: frozenset[str] = ROLES
    order: int = 100
    plugin: str = field(default="", eq=False)


class GuideRegistry(_Registry[GuideEntry]):
    """Guide entries by heading, and the verbs the guide lists (read-only here)."""

    kind = "guide entry"

    def __init__(self, verbs: VerbRegistry) -> None:
        super().__init__()
        #: every registered verb: the guide lists them with their summary and example
        self.verbs = verbs

    def add(self, entry: GuideEntry, *, replace: bool = False) -> None:
        heading = entry.heading
        if not heading.strip() or "\n" in heading or heading.startswith("#"):
            raise RegistryError(
                f"guide entry {heading!r} from {self.current_plugin!r}: "
                "the heading must be one line of text"
            )
        if not entry.roles or not entry.roles <= ROLES:
            raise RegistryError(
                f"guide entry {heading!r}: roles must be a non-empty subset of {sorted(ROLES)}"
            )
        from attrs import evolve

        self._put(heading, evolve(entry, plugin=self.current_plugin), replace)

    def for_role(self, role: str) -> list[GuideEntry]:
        return sorted((e for e in self if role in e.roles), key=lambda e: (e.order, e.heading))
