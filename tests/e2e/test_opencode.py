"""OpenCode joins through MCP: a Claude Code session asks, the OpenCode session replies.

A real OpenCode (npm ``opencode-ai``, pinned) started by ``myco run OPEN DIR --agent
opencode`` against a fake OpenAI-compatible model server that calls the ``myco`` MCP
tools; the Claude Code side is the usual one (``tests.e2e.scenario``). Nothing passes
between the sessions except through the daemon.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call
from tests.e2e import scenario
from tests.e2e.conftest import Agent, MycoSession, cli_version, npm_cli
from tests.e2e.fake_anthropic import FakeAnthropic
from tests.e2e.fake_base import QuietHandler, ScriptedModel

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OPENCODE_VERSION = "1.18.33"
TURN_TIMEOUT = 120.0


class FakeChat(ScriptedModel):
    """An OpenAI-compatible ``/v1/chat/completions`` that streams text or one tool call.

    A scripted reply is ``"text"`` or ``{"tool": NAME, "arguments": {...}}``. Requests
    without tools (OpenCode's title generator) get a title and consume nothing.
    """

    def __init__(self) -> None:
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self._read_json(lambda raw: {})
                fake.record({"method": "POST", "path": self.path, "body": body})
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._json(404, {"error": {"message": f"not found: {self.path}"}})
                    return
                reply = fake.next_reply() if body.get("tools") else "A title"
                self._sse_start()
                if isinstance(reply, dict):
                    call_ = {
                        "index": 0,
                        "id": "call_" + uuid.uuid4().hex[:8],
                        "type": "function",
                        "function": {
                            "name": reply["tool"],
                            "arguments": json.dumps(reply["arguments"]),
                        },
                    }
                    delta: dict[str, Any] = {"role": "assistant", "tool_calls": [call_]}
                    finish = "tool_calls"
                else:
                    delta, finish = {"role": "assistant", "content": str(reply)}, "stop"
                self._sse(
                    None, {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                )
                usage = {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
                self._sse(None, {"choices": [], "usage": usage})
                self._sse(None, "[DONE]")

        super().__init__(Handler, "/v1")


@pytest.fixture(scope="session")
def opencode_bin() -> Path:
    exe, reason = npm_cli(
        "opencode-ai",
        OPENCODE_VERSION,
        "opencode",
        "opencode",
        lambda exe: OPENCODE_VERSION in (cli_version(exe) or ""),
        timeout=900,
    )
    if reason:
        pytest.skip(reason)
    return exe


@pytest.fixture
def chat() -> Iterator[FakeChat]:
    fake = FakeChat().start()
    yield fake
    fake.stop()


class OpenCodeSession(MycoSession):
    """A session on OpenCode: each turn is ``myco run S DIR --agent opencode -- run ...``."""

    turn_timeout = TURN_TIMEOUT

    def turn(self, prompt: str) -> subprocess.CompletedProcess[str]:
        return self.myco(
            "run",
            self.session,
            str(self.project),
            "--agent",
            "opencode",
            "--",
            "run",
            "--format",
            "json",
            "-m",
            "fake/fake-model",
            prompt,
        )


@pytest.fixture
def make_opencode(
    tmp_path: Path, opencode_bin: Path, chat: FakeChat, daemon: DaemonProcess
) -> Callable[[str], OpenCodeSession]:
    def make(session: str) -> OpenCodeSession:
        home = tmp_path / f"home-{session}"
        project = tmp_path / f"proj-{session}"
        project.mkdir()
        xdg = {
            k: home / k.lower()
            for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")
        }
        for d in (*xdg.values(), home / "tmp"):
            d.mkdir(parents=True)
        provider = {
            "autoupdate": False,
            "share": "disabled",
            "model": "fake/fake-model",
            "provider": {
                "fake": {
                    "npm": "@ai-sdk/openai-compatible",
                    "options": {"baseURL": chat.url, "apiKey": "sk-fake"},
                    "models": {
                        "fake-model": {
                            "tool_call": True,
                            "limit": {"context": 100000, "output": 4096},
                        }
                    },
                }
            },
        }
        config = home / "provider.json"
        config.write_text(json.dumps(provider))
        env = {
            "PATH": f"{opencode_bin.parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(home),
            "TMPDIR": str(home / "tmp"),
            "LANG": "C.UTF-8",
            **{k: str(v) for k, v in xdg.items()},
            "OPENCODE_CONFIG": str(config),
            "OPENCODE_DISABLE_MODELS_FETCH": "1",
            "OPENCODE_DISABLE_AUTOUPDATE": "1",
            "MYCO_URL": daemon.url,
            "MYCO_TOKEN": TOKEN,
        }
        return OpenCodeSession(session, project, env)

    return make


def tool_results(body: dict[str, Any]) -> list[str]:
    return [str(m.get("content")) for m in body.get("messages", []) if m.get("role") == "tool"]


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_claude_asks_opencode_which_replies_through_mcp(
    make_agent: Callable[..., Agent],
    model: FakeAnthropic,
    make_opencode: Callable[[str], OpenCodeSession],
    chat: FakeChat,
    daemon: DaemonProcess,
) -> None:
    # the scenario checks full-view sections on FRONT's later turns (deltas are covered by
    # tests/e2e/test_context_claude.py)
    front = scenario.claude_party(make_agent("FRONT", MYCO_FULL_VIEW="1"), model)
    opencode = make_opencode("OPEN")
    question = "Which token format do you issue: JWT (HS256) or opaque? Expiry?"
    obj, answer, name = "token-format", "jwt-hs256-15min", "FRONT-001.md"
    reply = f"reply FRONT {answer} re:msg/{name}"

    def script(replies: Sequence[Any]) -> None:
        chat.script(replies)

    open_party = scenario.Party("OPEN", opencode.turn, script, chat.turns)
    ask = scenario.ask_with_message(daemon.url, front, open_party, obj, question, name)

    chat.script(
        [
            {"tool": "myco_get_view", "arguments": {}},
            {"tool": "myco_read_message", "arguments": {"name": f"msg/{name}"}},
            {"tool": "myco_post_events", "arguments": {"lines": [reply]}},
            "Answered FRONT.",
        ]
    )
    proc = opencode.turn("Check the swarm and answer what is asked of you")
    assert proc.returncode == 0, (proc.stderr[-3000:], proc.stdout[-3000:])
    main = chat.turns()
    assert len(main) == 4, ([tool_results(b) for b in main], proc.stderr[-6000:])
    tools = {t["function"]["name"] for t in main[0]["tools"]}
    assert {"myco_get_view", "myco_post_events", "myco_read_message", "myco_search"} <= tools
    view = tool_results(main[1])[-1]  # what get_view answered, as the model got it
    assert f"FRONT → OPEN: {obj}" in scenario.section(view, "PENDING QUESTIONS")
    assert f"msg/{name}" in scenario.section(view, "PENDING MESSAGES")
    assert question in tool_results(main[2])[-1]  # read_message: the message itself
    assert '"seq"' in tool_results(main[3])[-1]  # post_events: the sequence numbers
    assert scenario.events_of(daemon.url, "OPEN") == [f"ack msg/{name}", reply]
    assert (opencode.project / "AGENTS.md").read_text().count("myco_get_view") >= 1

    scenario.sees_answer(front, open_party, answer, then="start login-form")
    assert scenario.events_of(daemon.url, "FRONT") == [ask, "start login-form"]

    status, events = call(daemon.url, "GET", "/events", TOKEN)
    ask_seq = next(e["seq"] for e in events["events"] if e["line"] == ask)
    status, thread = call(daemon.url, "GET", f"/threads/{ask_seq}", TOKEN)
    assert status == 200, thread
    assert [e["line"] for e in thread["events"]] == [ask, reply]  # (the ack is bookkeeping)


def system_text(body: dict[str, Any]) -> str:
    return "\n".join(
        str(m.get("content")) for m in body.get("messages", []) if m.get("role") == "system"
    )


def test_the_plugin_puts_the_view_in_the_system_prompt_and_posts_the_block(
    make_opencode: Callable[[str], OpenCodeSession], chat: FakeChat, daemon: DaemonProcess
) -> None:
    """No MCP tool call: the view reaches the model, the reply's block reaches the daemon."""
    directive = "direct OPEN freeze the public API until the release"
    status, _ = call(
        daemon.url, "POST", "/events", TOKEN, {"session": "DIRECTOR", "events": [directive]}
    )
    assert status == 200
    opencode = make_opencode("OPEN")
    chat.script(["On it.\n<myco>\nstart api-freeze\n</myco>"])
    proc = opencode.turn("Anything for me?")
    assert proc.returncode == 0, (proc.stderr[-3000:], proc.stdout[-3000:])
    (body,) = chat.turns()
    system = system_text(body)
    assert "# myco view — OPEN" in system
    assert "freeze the public API until the release" in system
    assert not tool_results(body)  # the model called no tool to see it
    assert wait_for(lambda: "start api-freeze" in scenario.events_of(daemon.url, "OPEN"))
    # the plugin lives in a config directory of myco's own, not in the project
    assert list(Path(opencode.env["HOME"]).rglob("plugins/myco.js"))
    assert not list(opencode.project.rglob("myco.js"))
    # a second run rewrites nothing of the user's and gets the fresh view again
    chat.script(["Still on it."])
    assert opencode.turn("And now?").returncode == 0
    assert "# myco view — OPEN" in system_text(chat.turns()[-1])


def test_worker_delivers_a_queued_prompt_with_the_view_and_posts_the_block(
    make_opencode: Callable[[str], OpenCodeSession], chat: FakeChat, daemon: DaemonProcess
) -> None:
    """``myco worker --agent opencode``: headless runs get the plugin and MCP wiring too."""
    bot = make_opencode("BOT")
    chat.script(
        ["Queued.\n<myco>\nstart queued-job\n</myco>", "Again.\n<myco>\ndone queued-job\n</myco>"]
    )
    for prompt in ("the queued job", "the follow-up"):
        status, _ = call(daemon.url, "POST", "/dispatch/BOT", TOKEN, {"prompt": prompt})
        assert status == 200
        proc = bot.myco(
            "worker", "BOT", str(bot.project), "--agent", "opencode", "--once", "--interval", "0.2"
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
    first, second = chat.turns()
    assert "# myco view — BOT" in system_text(first) and "the queued job" in json.dumps(first)
    # the second prompt continues the first conversation
    assert "the queued job" in json.dumps(second) and "the follow-up" in json.dumps(second)
    assert wait_for(
        lambda: scenario.events_of(daemon.url, "BOT") == ["start queued-job", "done queued-job"]
    )
