"""The Claude Code adapter: ``UserPromptSubmit`` injects the view, ``Stop`` captures the block.

Contract (Claude Code 2.1.x, see docs/adapters.md): hooks get a JSON payload on stdin;
``Stop`` carries ``last_assistant_message`` (the final API message only) and
``transcript_path`` (where blocks written before a tool call live) plus ``prompt_id`` and
``stop_hook_active``. Hooks are wired with ``--settings '<json>'`` (merged with the user's
own settings, nothing written in the repository) or, with ``--wire local``, merged into
``.claude/settings.local.json``.
"""

from __future__ import annotations

import os
import time

from myco.adapters import HeadlessRun, HookOutput, LaunchPlan, LaunchRequest
from myco.agent_hooks import jsonlite, output
from myco.agent_hooks.runtime import HookContext, Turn, lifecycle_notices
from myco.agent_hooks.transcript import tail_records

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

#: tools whose use means the turn changed files (Bash is not counted: it may only read)
WRITE_TOOLS = frozenset({"Edit", "MultiEdit", "Write", "NotebookEdit"})
#: hook events myco wires, by the ``myco hook claude-code <event>`` name (the lifecycle
#: ones feed deltas and liveness: ``myco.agent_hooks.runtime.lifecycle``)
EVENTS = {
    "prompt": "UserPromptSubmit",
    "stop": "Stop",
    "session-start": "SessionStart",
    "notify": "Notification",
    "session-end": "SessionEnd",
}
#: tool hooks (edit tracking and leases), wired for the write tools only
TOOL_EVENTS = {"pre-edit": "PreToolUse", "post-edit": "PostToolUse"}
TOOL_MATCHER = "|".join(sorted(WRITE_TOOLS))
HOOK_TIMEOUT_S = 10
SETTINGS_LOCAL = os.path.join(".claude", "settings.local.json")


class TranscriptTurn:
    """The current turn as the transcript records it: text blocks, tools used, prompt id."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.tools: set[str] = set()
        self.key = ""


def read_turn(path: str) -> TranscriptTurn:
    """Assistant text of the last turn: every record after the last real user prompt.

    Tool results and stop-hook feedback are ``user`` records too, but not turn starts.
    One API message becomes one ``assistant`` record per content block.
    """
    turn = TranscriptTurn()
    texts: list[str] = []
    for record in tail_records(path):
        if record.get("isSidechain"):
            continue
        kind = record.get("type")
        message = record.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if kind == "assistant":
            blocks = [content] if isinstance(content, str) else content or []
            for block in reversed(blocks if isinstance(blocks, list) else []):
                if isinstance(block, str):
                    texts.append(block)
                elif isinstance(block, dict) and block.get("type") == "text":
                    texts.append(str(block.get("text", "")))
                elif isinstance(block, dict) and block.get("type") == "tool_use":
                    turn.tools.add(str(block.get("name", "")))
        elif kind == "user" and not record.get("isMeta") and not _is_tool_result(content):
            turn.key = str(record.get("promptId") or record.get("uuid") or "")
            break
    turn.texts = texts[::-1]
    return turn


def _is_tool_result(content: Any) -> bool:
    return isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    )


def turn_from_payload(ctx: HookContext) -> Turn:
    """The turn that just ended: transcript text, plus the final message if not flushed yet."""
    path = ctx.payload_str("transcript_path")
    final = ctx.payload_str("last_assistant_message")
    seen = read_turn(path) if path else TranscriptTurn()
    prompt_id = ctx.payload_str("prompt_id")
    if path and prompt_id and seen.key and seen.key != prompt_id:
        # The transcript is behind this turn: never resend the previous turn's block.
        stop = time.monotonic() + min(0.3, ctx.deadline.remaining() / 3)
        while seen.key != prompt_id and time.monotonic() < stop:
            time.sleep(0.02)
            seen = read_turn(path)
        if seen.key != prompt_id:
            seen = TranscriptTurn()  # only last_assistant_message belongs to this turn
    if path and "last_assistant_message" not in ctx.payload:
        # Older CLIs fire Stop before the final record is flushed: re-read briefly.
        stop = time.monotonic() + min(0.3, ctx.deadline.remaining() / 3)
        while not seen.texts and time.monotonic() < stop:
            time.sleep(0.02)
            seen = read_turn(path)
    texts = list(seen.texts)
    if final.strip() and final.strip() not in "\n".join(texts):
        texts.append(final)
    key = ctx.payload_str("prompt_id") or seen.key
    return Turn(
        texts=texts,
        changed_files=bool(seen.tools & WRITE_TOOLS),
        key=key,
        continued=ctx.payload.get("stop_hook_active") is True,
    )


def tool_hook(ctx: HookContext) -> HookOutput:
    """PreToolUse: lease check (deny or warn); PostToolUse: report the edit."""
    from myco.agent_hooks import edits

    if ctx.payload_str("tool_name") not in WRITE_TOOLS:
        return HookOutput()
    paths = edits.tool_paths(ctx.payload.get("tool_input"))
    return HookOutput(edits.claude_shaped(ctx, paths, TOOL_EVENTS[ctx.event]))


class ClaudeCode:
    """Claude Code (``claude``)."""

    name = "claude-code"
    executable = "claude"
    instructions_file = "CLAUDE.md"
    install_hint = "install it with `npm install -g @anthropic-ai/claude-code`"

    # -- hooks ------------------------------------------------------------------------
    def hook(self, ctx: HookContext) -> HookOutput:
        if ctx.event in TOOL_EVENTS:
            return tool_hook(ctx)
        said = lifecycle_notices(ctx)
        if said is not None:
            return HookOutput(output.system_message(said))
        if ctx.event == "stop":
            from myco.agent_hooks.edits import report_committed

            report_committed(ctx)
        return output.prompt_or_stop(ctx, turn_from_payload)

    # -- launching --------------------------------------------------------------------
    def settings(self, hook_command: list[str]) -> dict[str, Any]:
        """The ``hooks`` settings that call ``myco hook claude-code <event>``."""
        from myco.launcher import command_hooks

        hooks = command_hooks(hook_command, EVENTS, HOOK_TIMEOUT_S)
        for event, cli_event in TOOL_EVENTS.items():
            (group,) = command_hooks(hook_command, {event: cli_event}, HOOK_TIMEOUT_S)[cli_event]
            hooks[cli_event] = [{"matcher": TOOL_MATCHER, **group}]
        return {"hooks": hooks}

    def _common(self, req: LaunchRequest) -> tuple[list[str], dict[Path, str]]:
        from myco.launcher import managed_block, merge_hook_settings, read_text

        files: dict[Path, str] = {}
        instructions = req.project_dir / self.instructions_file
        files[instructions] = managed_block(read_text(instructions), req.instructions)
        settings = self.settings(list(req.hook_command))
        argv = [self.executable]
        if req.wire == "local":
            local = req.project_dir / SETTINGS_LOCAL
            files[local] = merge_hook_settings(
                read_text(local), settings["hooks"], owned=f" hook {self.name} "
            )
        else:
            argv += ["--settings", jsonlite.dumps(settings)]
        if req.role:
            argv += ["--append-system-prompt", req.role]
        return argv, files

    def launch(self, req: LaunchRequest) -> LaunchPlan:
        argv, files = self._common(req)
        if req.resume is not None:
            argv += ["--resume", req.resume] if req.resume else ["--resume"]
        return LaunchPlan([*argv, *req.args], {}, files)

    def headless(self, req: LaunchRequest, prompt: str, conversation: str) -> HeadlessRun:
        argv, _ = self._common(req)
        if conversation:
            argv += ["--resume", conversation]
        else:
            import uuid

            conversation = str(uuid.uuid4())
            argv += ["--session-id", conversation]
        argv += ["-p", "--output-format", "json", *req.args, "--", prompt]
        return HeadlessRun(argv, conversation)

    def conversation_from_output(self, stdout: str, run: HeadlessRun) -> str:
        try:
            data = jsonlite.loads(stdout)
        except ValueError:
            return run.conversation
        sid = data.get("session_id") if isinstance(data, dict) else None
        return sid if isinstance(sid, str) and sid else run.conversation


ADAPTER = ClaudeCode()
