"""Hook output in the Claude Code shape, which Codex CLI shares.

Both CLIs parse stdout as JSON when it starts with ``{``: ``hookSpecificOutput.
additionalContext`` adds text for the model, ``systemMessage`` is shown to the human and
``{"decision": "block", "reason": ...}`` from a Stop hook makes the model continue.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from myco.hooks.runtime import BeginResult, StopResult


def context_output(event_name: str, begin: BeginResult) -> str:
    """Stdout of a prompt hook: the view as additional context, notices for the human."""
    out: dict[str, Any] = {}
    if begin.view:
        out["hookSpecificOutput"] = {"hookEventName": event_name, "additionalContext": begin.view}
    if begin.notices:
        out["systemMessage"] = "\n".join(begin.notices)
    return _dump(out)


def stop_output(result: StopResult) -> str:
    """Stdout of a stop hook: notices, and the enforcement block when decided."""
    out: dict[str, Any] = {}
    if result.block_reason:
        out["decision"] = "block"
        out["reason"] = result.block_reason
    if result.notices:
        out["systemMessage"] = "\n".join(result.notices)
    return _dump(out)


def system_message(lines: Sequence[str]) -> str:
    return _dump({"systemMessage": "\n".join(lines)} if lines else {})


def _dump(out: dict[str, Any]) -> str:
    return json.dumps(out, ensure_ascii=False) + "\n" if out else ""
