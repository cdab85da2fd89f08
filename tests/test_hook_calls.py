"""Every hook is an ordinary pluggy call: wrappers run, tryfirst/trylast order, argument
subsets, and a failing notification hook isolated from the post and the live streams.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Sequence
from typing import Any, ClassVar

import pluggy
import pytest
from structlog.testing import capture_logs

from myco.auth.tokens import tenant_id
from myco.daemon import Daemon
from myco.hookspecs import hookimpl
from myco.plugins import Hooks
from myco.protocol.events import Event
from myco.protocol.state import SwarmState
from myco.registry import RegistryError, Renderer, RendererRegistry, VerbRegistry, VerbSpec
from myco.tenants import Tenant
from tests.conftest import TOKEN
from tests.test_plugins import build


def noop(state: SwarmState, event: Event) -> None:
    pass


# -- registration hooks ---------------------------------------------------------------


class NewStyleWrapper:
    __name__ = "new-style-wrapper"

    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []

    @hookimpl(wrapper=True)
    def register_verbs(self, verbs: VerbRegistry) -> Generator[None, None, None]:
        self.seen.append(("before", "done" in verbs))
        yield
        self.seen.append(("after", "done" in verbs))
        verbs.add(VerbSpec("wrapped", noop, "added after every other implementation"))


class OldStyleWrapper:
    __name__ = "old-style-wrapper"

    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []

    @hookimpl(hookwrapper=True)
    def register_verbs(self, verbs: VerbRegistry) -> Generator[None, Any, None]:
        self.seen.append(("before", "done" in verbs))
        outcome = yield
        outcome.get_result()
        self.seen.append(("after", "done" in verbs))
        verbs.add(VerbSpec("wrapped", noop, "added after every other implementation"))


@pytest.mark.parametrize("wrapper", [NewStyleWrapper(), OldStyleWrapper()])
def test_wrapper_runs_around_a_registration_hook(
    wrapper: NewStyleWrapper | OldStyleWrapper,
) -> None:
    wrapper.seen.clear()
    verbs = Hooks(build(wrapper)).register_verbs()
    assert wrapper.seen == [("before", False), ("after", True)]
    assert verbs.owner("wrapped") == wrapper.__name__  # named at its own steps
    assert verbs.owner("done") == "myco.default_plugins.verbs_core"


class Ordered:
    """Registers verb *name*; records when its implementation ran."""

    calls: ClassVar[list[str]] = []

    def __init__(self, name: str, verb: str, **opts: bool) -> None:
        self.__name__ = name
        self.verb = verb

        @hookimpl(**opts)
        def register_verbs(verbs: VerbRegistry) -> None:
            Ordered.calls.append(name)
            verbs.add(VerbSpec(self.verb, noop, f"from {name}"), replace=True)

        self.register_verbs = register_verbs


def test_builtins_run_before_third_parties_unless_tryfirst() -> None:
    Ordered.calls = []
    first = Ordered("early", "done", tryfirst=True)
    with pytest.raises(RegistryError) as info:
        Hooks(build(first)).register_verbs()
    # it ran before the built-in, whose own `done` (no replace=True) then conflicts
    assert Ordered.calls == ["early"]
    assert "'early'" in str(info.value)
    assert "'myco.default_plugins.verbs_core'" in str(info.value)
    Ordered.calls = []
    late = Ordered("late", "done")
    verbs = Hooks(build(late)).register_verbs()
    assert verbs.owner("done") == "late"  # after the built-in: its replace=True wins


def test_trylast_runs_after_later_registered_plugins() -> None:
    Ordered.calls = []
    last = Ordered("last", "shared", trylast=True)
    plain = Ordered("plain", "shared")
    # pluggy alone would call `last` first (registered last); trylast puts it after
    verbs = Hooks(build(plain, last)).register_verbs()
    assert Ordered.calls == ["plain", "last"]
    assert verbs.owner("shared") == "last"
    Ordered.calls = []
    Hooks(build(Ordered("plain", "shared"), Ordered("last", "shared"))).register_verbs()
    assert Ordered.calls == ["last", "plain"]


class RendererWithoutSections:
    """Written before ``register_renderers`` gained its ``sections`` argument."""

    __name__ = "renderer-without-sections"

    @hookimpl
    def register_renderers(self, renderers: RendererRegistry) -> None:
        renderers.add(Renderer("plain", lambda state, session, now_ms, budget: session))


def test_an_argument_added_later_does_not_break_an_impl_that_does_not_ask_for_it() -> None:
    hooks = Hooks(build(RendererWithoutSections()))
    renderers = hooks.register_renderers()
    assert {"plain", "markdown", "json"} <= set(renderers.names())
    assert renderers.owner("plain") == "renderer-without-sections"


# -- events_ingested ------------------------------------------------------------------


class Broken:
    __name__ = "broken-notifier"

    @hookimpl
    def events_ingested(self, tenant: Tenant, events: Sequence[Event]) -> None:
        raise RuntimeError("notifier is down")


class Counting:
    """Asks for ``events`` only: pluggy passes nothing else."""

    __name__ = "counting-notifier"

    def __init__(self) -> None:
        self.counts: list[int] = []

    @hookimpl
    def events_ingested(self, events: Sequence[Event]) -> None:
        self.counts.append(len(events))


class BrokenWrapper:
    __name__ = "broken-wrapper"

    @hookimpl(wrapper=True)
    def events_ingested(self) -> Generator[None, None, None]:
        yield
        raise ValueError("wrapper teardown failed")


class TestFailingEventsIngested:
    @pytest.fixture
    def counting(self) -> Counting:
        return Counting()

    @pytest.fixture(params=[Broken, BrokenWrapper])
    def pm(self, request: pytest.FixtureRequest, counting: Counting) -> pluggy.PluginManager:
        """Overrides conftest's ``pm``: the ``daemon`` and ``client`` fixtures use it."""
        return build(counting, request.param())

    async def test_post_answers_200_and_streams_get_the_events(
        self, api: Any, daemon: Daemon, counting: Counting, pm: pluggy.PluginManager
    ) -> None:
        culprit = next(n for n, _ in pm.list_name_plugin() if n.startswith("broken"))
        with capture_logs() as logs:
            await api.post("alice", "start api")  # creates the tenant
        tenant = daemon.tenants.get(tenant_id(TOKEN))
        assert tenant is not None
        queue: asyncio.Queue[Event] = asyncio.Queue()
        tenant.watchers.add(queue)
        with capture_logs() as more:
            body = await api.post("alice", "done api ref:abc", "say shipped")
        logs += more
        assert body["seq"] == [2, 3]
        got = [queue.get_nowait() for _ in range(queue.qsize())]
        assert [(e.seq, e.verb) for e in got] == [(2, "done"), (3, "say")]
        assert "shipped" in await api.view("bob")
        assert counting.counts == [1, 2]  # the other plugin still ran, both times
        failures = [entry for entry in logs if entry["event"] == "events_ingested failed"]
        assert len(failures) == 2
        assert all(f["plugin"] == culprit and f["log_level"] == "error" for f in failures)
        assert failures[0]["error"] in (
            "RuntimeError: notifier is down",
            "ValueError: wrapper teardown failed",
        )
