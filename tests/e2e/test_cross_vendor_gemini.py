"""Gemini CLI (a third-party adapter plugin) in the cross-vendor scenario of
``test_cross_vendor.py``: one daemon, sessions on Claude Code, Codex and Gemini.

The steps are :mod:`tests.e2e.scenario`'s; this module adds the Gemini builder. A Gemini
session watches FRONT (Claude Code) ask BACK (Codex) and sees what a third session may
see; then FRONT asks the Gemini session itself, which reads the message with its shell
tool and answers.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from tests.daemon_process import DaemonProcess
from tests.e2e import scenario
from tests.e2e.conftest import Agent
from tests.e2e.fake_anthropic import FakeAnthropic
from tests.e2e.fake_gemini import FakeGemini
from tests.e2e.fake_openai import FakeOpenAI
from tests.e2e.gemini_agent import GeminiAgent, MakeGemini

if TYPE_CHECKING:
    from tests.e2e.clis import CodexSession

pytest_plugins = ("tests.e2e.clis", "tests.e2e.gemini_fixtures")
pytestmark = [pytest.mark.e2e, pytest.mark.slow]
_HOOK_CONTEXT = re.compile(r"^<hook_context>(.*)</hook_context>$", re.DOTALL)

#: these scenarios read the full view's sections (PENDING QUESTIONS, PEERS, RECENT EVENTS)
#: on every turn: deltas are tested in test_context_claude.py
FULL = {"MYCO_FULL_VIEW": "1"}


def gemini_party(agent: GeminiAgent, model: FakeGemini) -> scenario.Party:
    """A Gemini CLI session (``GeminiAgent`` + ``FakeGemini``) with its shell tool."""
    conversation = str(uuid.uuid4())
    started: list[bool] = []

    def turn(prompt: str) -> Any:
        proc = agent.turn(
            prompt, sid=conversation, first=not started, gemini_args=("--approval-mode", "yolo")
        )
        started.append(True)
        return proc

    def script(replies: Sequence[Any]) -> None:
        model.script(replies)

    def shell(text: str, command: str) -> dict[str, Any]:
        return {
            "text": text,
            "tool_call": {"name": "run_shell_command", "args": {"command": command}},
        }

    def requests() -> list[dict[str, Any]]:
        return [conversation_of(body) for body in model.turns()]

    return scenario.Party(agent.session, turn, script, requests, shell)


def conversation_of(body: dict[str, Any]) -> dict[str, Any]:
    """The messages the model received, each injected view as myco sent it.

    Gemini wraps hook context in ``<hook_context>`` and escapes ``<`` and ``>`` inside it
    (``&lt;!-- myco protocol v1 --&gt;``); both are undone here so that the scenario's
    steps find the view.
    """
    contents = []
    for content in body["contents"]:
        parts = []
        for part in content.get("parts", []):
            m = _HOOK_CONTEXT.match(part.get("text", ""))
            text = m and m.group(1).replace("&lt;", "<").replace("&gt;", ">")
            parts.append({**part, "text": text} if text else part)
        contents.append({**content, "parts": parts})
    return {"contents": contents}


def test_a_gemini_session_sees_claude_ask_codex_and_both_peers(
    make_agent: Callable[..., Agent],
    model: FakeAnthropic,
    make_codex: Callable[..., CodexSession],
    openai: FakeOpenAI,
    make_gemini: MakeGemini,
    gemini_model: FakeGemini,
    daemon: DaemonProcess,
) -> None:
    front = scenario.claude_party(make_agent("FRONT", **FULL), model)
    back = scenario.codex_party(make_codex("BACK", sandbox="danger-full-access", **FULL), openai)
    gem = gemini_party(make_gemini("GEM", **FULL), gemini_model)
    question = "Which token format do you issue: JWT (HS256) or opaque? Expiry?"
    obj, answer = "token-format", "jwt-hs256-15min"

    ask = scenario.ask_with_message(daemon.url, front, back, obj, question, "FRONT-001.md")
    reply = scenario.answer(daemon.url, back, front, obj, question, "FRONT-001.md", answer)
    scenario.sees_answer(front, back, answer)
    view = scenario.witness(gem, front, back, obj, answer)

    assert "# myco view — GEM" in view
    assert question not in view  # the message is FRONT's to BACK
    assert scenario.events_of(daemon.url, "FRONT") == [ask]
    assert scenario.events_of(daemon.url, "BACK").count(reply) == 1


def test_claude_asks_the_gemini_session_which_reads_the_message_and_answers(
    make_agent: Callable[..., Agent],
    model: FakeAnthropic,
    make_gemini: MakeGemini,
    gemini_model: FakeGemini,
    daemon: DaemonProcess,
) -> None:
    front = scenario.claude_party(make_agent("FRONT", **FULL), model)
    gem = gemini_party(make_gemini("GEM", **FULL), gemini_model)
    question = "Does the login page need the legacy SSO button? Yes or no, and why."
    obj, answer = "sso-button", "no-legacy-sso-removed-in-v3"

    ask = scenario.ask_with_message(daemon.url, front, gem, obj, question, "FRONT-002.md")
    reply = scenario.answer(daemon.url, gem, front, obj, question, "FRONT-002.md", answer)
    scenario.sees_answer(front, gem, answer)

    assert scenario.events_of(daemon.url, "FRONT") == [ask]
    # Besides the reply, only the acknowledgement `myco msg get` may record for GEM.
    assert [e for e in scenario.events_of(daemon.url, "GEM") if not e.startswith("ack ")] == [reply]
