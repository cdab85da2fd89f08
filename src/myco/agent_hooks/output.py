"""Hook output in the Claude Code shape, which Codex CLI shares.

Both CLIs parse stdout as JSON when it starts with ``{``: ``hookSpecificOutput.
additionalContext`` adds text for the model, ``systemMessage`` is shown to the human and
``{"decision": "block", "reason": ...}`` from a Stop hook makes the model continue.

An adapter for a CLI with these semantics can be a few lines: ``hook(ctx)`` returns
``prompt_or_stop(ctx, turn_of)`` with a function that reads the finished turn from the
payload. Every helper returns ``""`` rather than an empty object, so a hook with nothing
to say prints nothing.
"""

from __future__ import annotations

from myco.adapters import HookOutput
from myco.agent_hooks import jsonlite
from myco.agent_hooks.runtime import (
    BeginResult,
    HookContext,
    StopResult,
    Turn,
    begin_turn,
    finish_turn,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any


def prompt_or_stop(ctx: HookContext, turn_of: Callable[[HookContext], Turn]) -> HookOutput:
    """A Claude-shaped CLI's two hooks: the view before a prompt, the capture at Stop.

    Event ``prompt`` runs :func:`~myco.agent_hooks.runtime.begin_turn` with the payload's
    ``prompt`` and answers with :func:`context_output`; event ``stop`` runs
    :func:`~myco.agent_hooks.runtime.finish_turn` on ``turn_of(ctx)`` and answers with
    :func:`stop_output`. Any other event prints nothing.
    """
    if ctx.event == "prompt":
        begin = begin_turn(ctx, ctx.payload_str("prompt"))
        return HookOutput(context_output("UserPromptSubmit", begin))
    if ctx.event == "stop":
        return HookOutput(stop_output(finish_turn(ctx, turn_of(ctx))))
    ctx.log(f"unknown event {ctx.event!r}")
    return HookOutput()


def context_output(event_name: str, begin: BeginResult, *, empty: str = "") -> str:
    """Stdout of a hook that adds context (a prompt hook, a tool hook's warning): the view
    as ``additionalContext`` for the model, notices for the human.

    :param empty: what to print when there is nothing to say (Gemini CLI wants ``"{}"``).
    """
    out: dict[str, Any] = {}
    if begin.view:
        out["hookSpecificOutput"] = {"hookEventName": event_name, "additionalContext": begin.view}
    if begin.notices:
        out["systemMessage"] = "\n".join(begin.notices)
    return _dump(out, empty)


def stop_output(result: StopResult, *, decision: str = "block", empty: str = "") -> str:
    """Stdout of a stop hook: notices, and the enforcement block when decided.

    :param decision: the word that makes the model go on (Gemini CLI's AfterAgent: ``deny``).
    :param empty: what to print when there is nothing to say (Gemini CLI wants ``"{}"``).
    """
    out: dict[str, Any] = {}
    if result.block_reason:
        out["decision"] = decision
        out["reason"] = result.block_reason
    if result.notices:
        out["systemMessage"] = "\n".join(result.notices)
    return _dump(out, empty)


def system_message(lines: Sequence[str], *, empty: str = "") -> str:
    """Stdout showing *lines* to the human only (*empty* when there are none)."""
    return _dump({"systemMessage": "\n".join(lines)} if lines else {}, empty)


def _dump(out: dict[str, Any], empty: str = "") -> str:
    if not out:
        return empty + "\n" if empty else ""
    return jsonlite.dumps(out, ensure_ascii=False) + "\n"
