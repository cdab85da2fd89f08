"""Reading the current turn from a Claude Code transcript."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from myco.adapters.claude_code.adapter import read_turn
from myco.agent_hooks.transcript import tail_records


def user(text: str, prompt_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "user",
        "promptId": prompt_id,
        "uuid": "u-" + prompt_id,
        "message": {"role": "user", "content": text},
        **extra,
    }


def assistant(*blocks: dict[str, Any]) -> list[dict[str, Any]]:
    # Claude Code writes one record per content block of an API message.
    return [{"type": "assistant", "message": {"role": "assistant", "content": [b]}} for b in blocks]


def text(t: str) -> dict[str, Any]:
    return {"type": "text", "text": t}


def tool_use(name: str) -> dict[str, Any]:
    return {"type": "tool_use", "id": "toolu_1", "name": name, "input": {}}


def tool_result() -> dict[str, Any]:
    return {
        "type": "user",
        "message": {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}],
        },
        "toolUseResult": {},
    }


def write(path: Path, records: list[dict[str, Any]], tail: str = "") -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail)
    return path


def test_turn_spans_tool_calls_and_stops_at_the_real_prompt(tmp_path: Path) -> None:
    records = [
        user("old task", "p0"),
        *assistant(text("<myco>\nstart old\n</myco>")),
        {"type": "attachment", "attachment": {"type": "hook_success"}},
        user("new task", "p1"),
        *assistant(text("early <myco>\nstart a\n</myco>"), tool_use("Write")),
        tool_result(),
        {
            "type": "user",
            "isMeta": True,
            "message": {"role": "user", "content": "Stop hook feedback:\nx"},
        },
        *assistant(text("final <myco>\ndone a\n</myco>")),
    ]
    turn = read_turn(str(write(tmp_path / "t.jsonl", records, tail='{"type": "assis')))
    assert turn.texts == ["early <myco>\nstart a\n</myco>", "final <myco>\ndone a\n</myco>"]
    assert turn.tools == {"Write"}
    assert turn.key == "p1"


def test_missing_transcript_is_an_empty_turn(tmp_path: Path) -> None:
    turn = read_turn(str(tmp_path / "nope.jsonl"))
    assert turn.texts == [] and turn.key == ""


def test_tail_reads_large_files_backwards(tmp_path: Path) -> None:
    big = [{"type": "user", "message": {"content": "x" * 5000}, "n": i} for i in range(300)]
    path = write(tmp_path / "big.jsonl", big)
    records = tail_records(path)
    newest = [next(records)["n"] for _ in range(3)]
    assert newest == [299, 298, 297]
    assert len(list(tail_records(path))) == 300
