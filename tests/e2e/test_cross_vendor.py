"""FRONT on Claude Code asks BACK on Codex; DOCS on Aider watches. One daemon, three vendors.

The steps are in :mod:`tests.e2e.scenario`. What a third session can rely on (and what
docs/adapters.md states): the ``ask`` in its RECENT EVENTS and both sessions in PEERS;
a ``reply`` is shown only to its target, and the message only to its addressee.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.daemon_process import DaemonProcess
from tests.e2e import scenario
from tests.e2e.conftest import Agent
from tests.e2e.fake_anthropic import FakeAnthropic
from tests.e2e.fake_openai import FakeOpenAI

if TYPE_CHECKING:
    from tests.e2e.clis import AiderSession, CodexSession

pytest_plugins = ("tests.e2e.clis",)
pytestmark = [pytest.mark.e2e, pytest.mark.slow]

#: these scenarios read the full view's sections (PENDING QUESTIONS, PEERS, RECENT EVENTS)
#: on every turn: deltas are tested in test_context_claude.py
FULL = {"MYCO_FULL_VIEW": "1"}


def test_claude_asks_codex_with_a_message_and_aider_sees_the_exchange(
    make_agent: Callable[..., Agent],
    model: FakeAnthropic,
    make_codex: Callable[..., CodexSession],
    make_aider: Callable[..., AiderSession],
    openai: FakeOpenAI,
    daemon: DaemonProcess,
) -> None:
    front = scenario.claude_party(make_agent("FRONT", **FULL), model)
    back = scenario.codex_party(make_codex("BACK", sandbox="danger-full-access", **FULL), openai)
    docs = scenario.aider_party(make_aider("DOCS", **FULL), openai)
    question = "Which token format do you issue: JWT (HS256) or opaque? Expiry?"
    obj, answer = "token-format", "jwt-hs256-15min"

    ask = scenario.ask_with_message(daemon.url, front, back, obj, question, "FRONT-001.md")
    reply = scenario.answer(daemon.url, back, front, obj, question, "FRONT-001.md", answer)
    scenario.sees_answer(front, back, answer, then="start login-form")
    scenario.witness(docs, front, back, obj, answer)

    assert scenario.events_of(daemon.url, "FRONT") == [ask, "start login-form"]
    # BACK read the message through the daemon (`myco msg get` acknowledges it), then replied
    assert scenario.events_of(daemon.url, "BACK") == ["ack msg/FRONT-001.md", reply]
