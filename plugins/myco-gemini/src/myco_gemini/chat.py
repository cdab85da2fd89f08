"""The turn that just ended, read from Gemini CLI's chat record (``transcript_path``).

Why not the AfterAgent payload's ``prompt_response``: Gemini CLI 0.61 builds it by joining
the streamed chunks with spaces after the full text (google-gemini/gemini-cli #27030,
#27109), so a block streamed in more than one chunk comes out garbled (``need B ACK.api``).
The chat record holds each model message's exact text.

The record is an append-only JSONL log (``chats/session-<time>-<id8>.jsonl``): a metadata
line, then message records ``{id, type: "user"|"gemini"|"info"|…, content, toolCalls?}``.
A message is appended again, whole, when it changes (tokens, tool calls): the newest copy
of an id wins. ``{"$set": {...}}`` lines patch metadata; one with ``messages`` replaces the
whole history (start-up, compression, a rolled-back request); ``{"$rewindTo": id}`` drops
messages. Tool results are ``user`` records made of ``functionResponse`` parts, so only a
``user`` record with text starts a turn. Reading backwards from the end stops there.
"""

from __future__ import annotations

from myco.agent_hooks.transcript import tail_records
from myco.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

#: tools whose use means the turn changed files (``run_shell_command`` is not counted)
WRITE_TOOLS = frozenset({"write_file", "replace"})
#: what the CLI sends by itself when its next-speaker check hands the turn back to the model
CONTINUE_PROMPT = "Please continue."


class ChatTurn(Record):
    """The model's side of the last turn, as the chat record has it."""

    #: text of each model message of the turn, oldest first
    texts: list[str]
    #: names of the tools the model called in the turn
    tools: frozenset[str]
    #: id of the user message that started the turn (``""``: not found)
    key: str


def read_turn(path: str) -> ChatTurn:
    """Model messages after the last user prompt of the chat record at *path*."""
    reader = _Reader()
    for record in tail_records(path):
        if "$rewindTo" in record:
            break  # messages before it may be gone: the turn cannot reach further back
        patch = record.get("$set")
        if isinstance(patch, dict):
            history = patch.get("messages")
            if isinstance(history, list):  # the whole history at that point: nothing older
                reader.take_all(reversed(history))
                break
            continue
        if reader.take(record):
            break
    return ChatTurn(reader.texts[::-1], frozenset(reader.tools), reader.key)


class _Reader:
    """Collects one turn from message records fed newest first."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.texts: list[str] = []
        self.tools: set[str] = set()
        self.key = ""

    def take_all(self, records: Iterable[Any]) -> None:
        for record in records:
            if isinstance(record, dict) and self.take(record):
                return

    def take(self, record: Mapping[str, Any]) -> bool:
        """Account for one message record; True once it is the turn's user prompt."""
        msg_id = record.get("id")
        kind = record.get("type")
        if not isinstance(msg_id, str) or not isinstance(kind, str):
            return False  # the metadata line, or something newer than this reader
        if msg_id in self.seen:
            return False  # an older copy of a message already read
        self.seen.add(msg_id)
        content = record.get("content")
        if kind == "gemini":
            text = unescape_blocks(message_text(content))
            if text.strip():
                self.texts.append(text)
            self.tools.update(_tool_names(record, content))
        elif kind == "user" and _is_prompt(content):
            self.key = msg_id
            return True
        return False


def unescape_blocks(text: str) -> str:
    """``&lt;myco&gt;`` → ``<myco>`` (and the closing tag).

    Gemini escapes ``<`` and ``>`` in hook context, so the model sees the view as
    ``&lt;!-- myco protocol v1 --&gt;``; a model that copies that style still gets its
    block sent.
    """
    if "&lt;" not in text:
        return text
    return text.replace("&lt;myco&gt;", "<myco>").replace("&lt;/myco&gt;", "</myco>")


def message_text(content: Any) -> str:
    """The text of a message's ``content``: a string, or parts (thoughts left out)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "".join(
        part["text"]
        for part in content
        if isinstance(part, dict) and isinstance(part.get("text"), str) and not part.get("thought")
    )


def _is_prompt(content: Any) -> bool:
    """A user message that starts a turn: text, not tool results, not the CLI's nudge."""
    if isinstance(content, list) and any(
        isinstance(part, dict) and "functionResponse" in part for part in content
    ):
        return False
    text = message_text(content).strip()
    return bool(text) and text != CONTINUE_PROMPT


def _tool_names(record: Mapping[str, Any], content: Any) -> set[str]:
    calls = record.get("toolCalls")
    names = {
        str(call.get("name", ""))
        for call in (calls if isinstance(calls, list) else [])
        if isinstance(call, dict)
    }
    for part in content if isinstance(content, list) else []:
        call = part.get("functionCall") if isinstance(part, dict) else None
        if isinstance(call, dict):
            names.add(str(call.get("name", "")))
    names.discard("")
    return names
