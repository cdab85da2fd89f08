"""Reusable steps of a cross-vendor conversation through the daemon (any CLI, any fake).

A :class:`Party` is one session as the scenario sees it: how to run its next turn, how to
script its fake model, the request bodies that model received, and (when its CLI has a
shell tool) a reply that runs a command. Builders for Claude Code, Codex and Aider are
below; another vendor (Gemini CLI, ...) adds its own builder in its test file and reuses
the steps:

1. :func:`ask_with_message` — ASKER writes ``msg/NAME`` through the daemon
   (``myco msg put`` from its shell tool, else ``POST /msg/NAME``) and asks TARGET;
2. :func:`answer` — TARGET's next model request shows the question (PENDING QUESTIONS)
   and the message (PENDING MESSAGES); TARGET reads it and replies ``re:msg/NAME``;
3. :func:`sees_answer` — ASKER's next request shows the reply, and no pending question;
4. :func:`witness` — a third session sees what the protocol shows it: the ``ask`` in
   RECENT EVENTS and both sessions in PEERS. It does **not** see the ``reply`` (a reply is
   visible only to its target) nor the message (addressed to TARGET).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from myco.launcher import myco_command
from tests.conftest import TOKEN
from tests.daemon_process import call

#: how a view starts (the protocol guide mentions the first line alone)
MARKER = "<!-- myco protocol v1 -->\n# myco view — "
Reply = Any  # a scripted reply in the shape of the party's fake model

#: internal verbs the agent hooks post themselves (deltas, receipts, liveness, edits)
BOOKKEEPING = frozenset({"seen", "live", "edit", "clean"})


class Party(NamedTuple):
    session: str
    #: run the session's next turn with this prompt (through ``myco run``)
    turn: Callable[[str], subprocess.CompletedProcess[str]]
    #: queue replies for the session's fake model
    script: Callable[[Sequence[Reply]], None]
    #: bodies of the main requests the session's model received, oldest first
    requests: Callable[[], list[dict[str, Any]]]
    #: (text, shell command) → a reply whose tool call runs the command; None: no tool
    shell: Callable[[str, str], Reply] | None = None


# -- builders -------------------------------------------------------------------------
def claude_party(agent: Any, model: Any) -> Party:
    """A Claude Code session (``tests.e2e.conftest.Agent`` + ``FakeAnthropic``)."""
    import uuid

    conversation = str(uuid.uuid4())
    started: list[bool] = []

    def turn(prompt: str) -> subprocess.CompletedProcess[str]:
        proc: subprocess.CompletedProcess[str] = agent.turn(
            prompt, sid=conversation, first=not started, claude_args=("--allowedTools", "Bash")
        )
        started.append(True)
        return proc

    def shell(text: str, command: str) -> Reply:
        return {"text": text, "tool_use": {"name": "Bash", "input": {"command": command}}}

    return Party(agent.session, turn, model.script, model.turns, shell)


def codex_party(session: Any, fake: Any) -> Party:
    """A Codex session (``tests.e2e.clis.CodexSession`` + ``FakeOpenAI``)."""

    def shell(text: str, command: str) -> Reply:
        return {"text": text, "tool_call": {"name": "exec_command", "arguments": {"cmd": command}}}

    return Party(session.session, session.turn, fake.script, lambda: fake.turns("responses"), shell)


def aider_party(session: Any, fake: Any) -> Party:
    """An Aider session (``tests.e2e.clis.AiderSession`` + ``FakeOpenAI``); no shell tool."""
    return Party(session.session, session.turn, fake.script, lambda: fake.turns("chat"))


# -- reading what a model received ----------------------------------------------------
def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def views_in(body: dict[str, Any]) -> list[str]:
    """Every myco view in a request body, in order (history first, the fresh one last)."""
    return [MARKER + part for s in _strings(body) for part in s.split(MARKER)[1:]]


def latest_view(party: Party) -> str:
    requests = party.requests()
    assert requests, f"{party.session}'s model received no request"
    views = views_in(requests[-1])
    assert views, f"{party.session}'s last request holds no myco view"
    return views[-1]


def section(view: str, heading: str) -> str:
    """The body of ``## HEADING`` in a view ("" when the section is absent)."""
    start = view.find(f"## {heading}\n")
    if start < 0:
        return ""
    start += len(heading) + 4
    end = view.find("\n## ", start)
    return view[start:] if end < 0 else view[start:end]


def events_of(url: str, session: str) -> list[str]:
    status, body = call(url, "GET", "/events", TOKEN)
    assert status == 200, body
    # the hooks' own bookkeeping (``seen``, ``live``: deltas, receipts, liveness) is left out
    return [
        e["line"]
        for e in body["events"]
        if e["session"] == session and e["line"].split(None, 1)[0] not in BOOKKEEPING
    ]


def put_message(url: str, name: str, text: str) -> None:
    """``POST /msg/NAME`` with *text* as the body (``myco msg put``)."""
    req = urllib.request.Request(
        f"{url}/msg/{name}",
        data=text.encode(),
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/markdown"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200


def _ok(party: Party, proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 0, (party.session, proc.stderr[-3000:], proc.stdout[-3000:])


def myco_shell(*args: str) -> str:
    return shlex.join([*myco_command(), *args])


# -- the steps ------------------------------------------------------------------------
def ask_with_message(
    url: str, asker: Party, target: Party, obj: str, question: str, name: str
) -> str:
    """ASKER puts *question* in ``msg/NAME`` through the daemon and asks TARGET; the ask line."""
    line = f"ask {target.session} {obj} spec:msg/{name}"
    block = f"Asked.\n<myco>\n{line}\n</myco>"
    if asker.shell is not None:
        command = f"printf %s {shlex.quote(question)} | {myco_shell('msg', 'put', name)}"
        asker.script([asker.shell("Writing the question down.", command), block])
    else:  # what `myco msg put` does, done by the test on the session's behalf
        put_message(url, name, question)
        asker.script([block])
    _ok(asker, asker.turn(f"ask {target.session} about {obj}"))
    status, text = call(url, "GET", f"/msg/{name}", TOKEN)
    assert status == 200 and text == question, (status, text)
    assert events_of(url, asker.session).count(line) == 1
    return line


def answer(
    url: str, target: Party, asker: Party, obj: str, question: str, name: str, reply_obj: str
) -> str:
    """TARGET's model sees the question, reads the message, replies; the reply line."""
    line = f"reply {asker.session} {reply_obj} re:msg/{name}"
    block = f"Answered.\n<myco>\n{line}\n</myco>"
    if target.shell is not None:
        target.script(
            [target.shell("Reading the question.", myco_shell("msg", "get", name)), block]
        )
    else:
        target.script([block])
    before = len(target.requests())
    _ok(target, target.turn("continue"))
    first = target.requests()[before]
    view = views_in(first)[-1]
    assert f"{asker.session} → {target.session}: {obj}" in section(view, "PENDING QUESTIONS")
    assert f"msg/{name}" in section(view, "PENDING MESSAGES")
    assert f"{asker.session} ask {target.session} {obj}" in section(view, "RECENT EVENTS")
    if target.shell is not None:  # the tool result: the message, read through the daemon
        assert question in json.dumps(target.requests()[-1], ensure_ascii=False)
    assert events_of(url, target.session).count(line) == 1
    return line


def sees_answer(asker: Party, target: Party, reply_obj: str, then: str = "") -> str:
    """ASKER's next request shows the reply and no pending question; that view.

    *then*: an event line ASKER's reply ends with (acting on the answer), else no block.
    """
    asker.script([f"Thanks.\n<myco>\n{then}\n</myco>" if then else "Thanks, noted."])
    _ok(asker, asker.turn("continue"))
    view = latest_view(asker)
    assert f"{target.session} reply {asker.session} {reply_obj}" in section(view, "RECENT EVENTS")
    assert section(view, "PENDING QUESTIONS").strip() == "None."
    return view


def witness(third: Party, asker: Party, target: Party, obj: str, reply_obj: str) -> str:
    """A third session sees the ask and both peers, not the reply; that view."""
    third.script(["Noted what the others do."])
    _ok(third, third.turn("what is going on?"))
    view = latest_view(third)
    recent = section(view, "RECENT EVENTS")
    assert f"{asker.session} ask {target.session} {obj}" in recent, view
    assert reply_obj not in view  # a reply is visible only to its target
    peers = section(view, "PEERS")
    assert f"**{asker.session}**" in peers and f"**{target.session}**" in peers
    assert section(view, "PENDING QUESTIONS").strip() == "None."
    return view
