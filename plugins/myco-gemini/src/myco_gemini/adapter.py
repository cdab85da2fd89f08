"""The Gemini CLI adapter: BeforeAgent injects the view, AfterAgent captures the block.

Contract (Gemini CLI 0.61, see the package README): hooks live in ``settings.json`` under
``hooks`` (``timeout`` in milliseconds); every scope's hooks run (the lists are
concatenated). Gemini has no ``--settings`` flag, so ``myco run`` merges its entries into
the project's ``.gemini/settings.json``, keeping everything else. A hook's stdout must be
one JSON object (``{}`` when there is nothing to say): with an empty stdout the CLI reads
stderr instead, and plain text is shown to the user rather than given to the model.

Only the standard library and :mod:`myco.agent_hooks` are imported at the top: ``myco hook
gemini`` runs this module on every turn. :mod:`myco.launcher` is imported inside the
functions that need it (launching, and the once-per-session ``start`` hook).
"""

from __future__ import annotations

import os
import time

from myco.adapters import HeadlessRun, HookOutput, LaunchPlan, LaunchRequest
from myco.agent_hooks import jsonlite, output
from myco.agent_hooks.runtime import (
    BeginResult,
    HookContext,
    StopResult,
    Turn,
    begin_turn,
    finish_turn,
    lifecycle_notices,
    session_start,
)
from myco_gemini.chat import WRITE_TOOLS, ChatTurn, read_turn

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path
    from typing import Any

#: ``myco hook gemini <event>`` → Gemini hook event, and the hook's name in Gemini's
#: trust warning ("project-level hooks have been detected")
EVENTS = {
    "start": ("SessionStart", "myco-role"),
    "prompt": ("BeforeAgent", "myco-view"),
    "stop": ("AfterAgent", "myco-capture"),
    # lifecycle (``myco.agent_hooks.runtime.lifecycle_notices``): liveness, as for
    # Claude Code; both advisory in Gemini CLI 0.61. PreCompress is not wired: 0.61 fires
    # it before every compression check (ChatCompressionService.compress), even when
    # nothing is compressed, so it cannot tell the next prompt to resync.
    "notify": ("Notification", "myco-notify"),
    "session-end": ("SessionEnd", "myco-end"),
}
#: tool hooks (edit tracking and leases) on Gemini's write tools
TOOL_EVENTS = {
    "pre-edit": ("BeforeTool", "myco-edit-check"),
    "post-edit": ("AfterTool", "myco-edit-report"),
}
TOOL_MATCHER = "write_file|replace"
HOOK_TIMEOUT_MS = 10_000
SETTINGS = os.path.join(".gemini", "settings.json")
#: how long the stop hook waits for a final message the CLI has not written yet
FLUSH_WAIT = 0.3
#: ``prompt_response`` of a turn whose model wrote no text
NO_TEXT = "[no response text]"

UNREADABLE = (
    "⚠️ myco: this turn's <myco> block was NOT sent: Gemini's chat record ({path}) could "
    "not be read, and the reply text the hook receives is garbled when streamed "
    "(gemini-cli #27030). Repeat the block in your next reply."
)
WIRED_NOTE = (
    "Gemini CLI has no --settings flag: the myco hooks were merged into {path} "
    "(your own settings and hooks are kept)"
)


class Gemini:
    """Gemini CLI (``gemini``)."""

    name = "gemini"
    executable = "gemini"
    instructions_file = "GEMINI.md"
    install_hint = "install it with `npm install -g @google/gemini-cli`"

    # -- hooks ------------------------------------------------------------------------
    def hook(self, ctx: HookContext) -> HookOutput:
        if ctx.event in TOOL_EVENTS:
            return HookOutput(tool_output(ctx))
        if ctx.event == "prompt":
            return HookOutput(prompt_output(begin_turn(ctx, ctx.payload_str("prompt"))))
        if ctx.event == "stop":
            from myco.agent_hooks.edits import report_committed

            report_committed(ctx)
            turn, said = turn_from_payload(ctx)
            result = finish_turn(ctx, turn)
            return HookOutput(stop_output(result._replace(notices=[*said, *result.notices])))
        if ctx.event == "start":  # SessionStart: the next prompt gets the full view again
            news = session_start(ctx, ctx.payload_str("source") or "startup").notices
            return HookOutput(start_output(role_for(ctx.session), news))
        told = lifecycle_notices(ctx)  # Notification (ToolPermission), SessionEnd
        if told is not None:
            return HookOutput(output.system_message(told, empty="{}"))
        ctx.log(f"unknown event {ctx.event!r}")
        return HookOutput(dump({}))

    # -- launching --------------------------------------------------------------------
    def hooks(self, hook_command: list[str]) -> dict[str, list[dict[str, Any]]]:
        """The ``hooks`` entries that call ``myco hook gemini <event>``."""
        from myco.launcher import shell_join

        tools = {
            gemini_event: [
                {
                    "matcher": TOOL_MATCHER,
                    "hooks": [
                        {
                            "type": "command",
                            "name": name,
                            "command": shell_join([*hook_command, event]),
                            "timeout": HOOK_TIMEOUT_MS,
                        }
                    ],
                }
            ]
            for event, (gemini_event, name) in TOOL_EVENTS.items()
        }
        return tools | {
            gemini_event: [
                {
                    "hooks": [
                        {
                            "type": "command",
                            "name": name,
                            "command": shell_join([*hook_command, event]),
                            "timeout": HOOK_TIMEOUT_MS,
                        }
                    ]
                }
            ]
            for event, (gemini_event, name) in EVENTS.items()
        }

    def files(self, req: LaunchRequest) -> dict[Path, str]:
        """``GEMINI.md`` with the protocol in its managed block, and the merged settings."""
        from myco.launcher import managed_block, read_text

        instructions = req.project_dir / self.instructions_file
        settings = req.project_dir / SETTINGS
        return {
            instructions: managed_block(read_text(instructions), req.instructions),
            settings: merge_settings(
                read_text(settings), self.hooks(list(req.hook_command)), f" hook {self.name} "
            ),
        }

    def launch(self, req: LaunchRequest) -> LaunchPlan:
        from myco.launcher import read_text

        files = self.files(req)
        settings = req.project_dir / SETTINGS
        notes = []
        if req.wire == "flag" and read_text(settings) != files[settings]:
            notes.append(WIRED_NOTE.format(path=settings))
        argv = [self.executable]
        if req.resume is not None:
            argv += ["--resume", req.resume or "latest"]
        return LaunchPlan([*argv, *req.args], {}, files, notes)

    def headless(self, req: LaunchRequest, prompt: str, conversation: str) -> HeadlessRun:
        # The worker writes launch()'s files first, so the hooks are already wired.
        argv = [self.executable]
        if conversation:
            argv += ["--resume", conversation]
        else:
            import uuid

            conversation = str(uuid.uuid4())
            argv += ["--session-id", conversation]
        # --skip-trust: headless Gemini exits 55 in an untrusted folder (claude -p has no
        # such check); the worker was started for this very folder.
        argv += ["--skip-trust", "--output-format", "json", *req.args, f"--prompt={prompt}"]
        return HeadlessRun(argv, conversation)

    def conversation_from_output(self, stdout: str, run: HeadlessRun) -> str:
        try:
            data = jsonlite.loads(stdout)
        except ValueError:
            return run.conversation
        sid = data.get("session_id") if isinstance(data, dict) else None
        return sid if isinstance(sid, str) and sid else run.conversation


# -- the stop hook ----------------------------------------------------------------------
def turn_from_payload(ctx: HookContext) -> tuple[Turn, list[str]]:
    """The turn that just ended, from the chat record; notices when it cannot be read."""
    path = ctx.payload_str("transcript_path")
    streamed = ctx.payload_str("prompt_response")
    chat = read_turn(path) if path else ChatTurn([], frozenset(), "")
    if path and streamed.strip() not in ("", NO_TEXT) and not chat.texts:
        # The CLI writes a message before AfterAgent fires; wait briefly in case it lags.
        stop = time.monotonic() + min(FLUSH_WAIT, ctx.deadline.remaining() / 3)
        while not chat.texts and time.monotonic() < stop:
            time.sleep(0.02)
            chat = read_turn(path)
    said = []
    if not chat.texts and "<myco>" in streamed:
        said.append(UNREADABLE.format(path=path or "no transcript_path"))
    session_id = ctx.payload_str("session_id")
    key = f"{session_id}/{chat.key}" if chat.key else ""
    turn = Turn(
        texts=chat.texts,
        changed_files=bool(chat.tools & WRITE_TOOLS),
        key=key,
        continued=ctx.payload.get("stop_hook_active") is True,
    )
    return turn, said


def role_for(session: str) -> str:
    """Extra role instructions for *session* (the DIRECTOR's guide), or ``""``.

    Gemini has no ``--append-system-prompt``: the SessionStart hook adds them as context
    at start-up, on resume and after ``/clear`` (``myco worker`` included).
    """
    from myco.launcher import guide_for

    return guide_for(session)[1]


# -- output (Gemini reads stdout as one JSON object) ------------------------------------
def dump(out: Mapping[str, Any]) -> str:
    return jsonlite.dumps(out, ensure_ascii=False) + "\n"


def prompt_output(begin: BeginResult) -> str:
    """BeforeAgent: the view as ``additionalContext`` (a ``<hook_context>`` part)."""
    return output.context_output("BeforeAgent", begin, empty="{}")


def stop_output(result: StopResult) -> str:
    """AfterAgent: notices for the human; ``deny`` makes the model answer *reason* (retry)."""
    return output.stop_output(result, decision="deny", empty="{}")


def tool_output(ctx: HookContext) -> str:
    """BeforeTool: deny under an enforced lease (``decision: deny``, the shape Gemini
    honours), else keep the warning; AfterTool: report the edit and give the model the
    warning as ``additionalContext``."""
    from myco.agent_hooks import edits

    paths = edits.tool_paths(ctx.payload.get("tool_input"))
    if ctx.payload_str("tool_name") not in ("write_file", "replace") or not paths:
        return dump({})
    if ctx.event == "post-edit":
        edits.after_edit(ctx, paths)
        warning = edits.take_warning(ctx)
        if not warning:
            return dump({})
        return output.context_output("AfterTool", BeginResult(warning, [warning]))
    decision = edits.before_edit(ctx, paths)
    if decision.deny:
        return dump({"decision": "deny", "reason": decision.deny})
    if decision.context:
        edits.stash_warning(ctx, decision.context)
    return dump({})


def start_output(role: str, notices: Sequence[str] = ()) -> str:
    """SessionStart: the role instructions as context, when the session has a role, and
    the daemon's news for the human."""
    return output.context_output("SessionStart", BeginResult(role, list(notices)), empty="{}")


# -- settings.json ----------------------------------------------------------------------
def merge_settings(
    existing: str | None, hooks: Mapping[str, list[dict[str, Any]]], owned: str
) -> str:
    """*existing* settings text with myco's hooks merged in; the user's own entries kept.

    Plain JSON goes through :func:`myco.launcher.merge_hook_settings` (unchanged text comes
    back byte for byte). Gemini also accepts comments in ``settings.json``; such a file is
    left as it is when it already has myco's hooks, and refused otherwise, since
    rewriting it would drop the comments.
    """
    from myco.launcher import LaunchError, merge_hook_settings

    plain, commented = existing, False
    try:
        jsonlite.loads(existing or "{}")
    except ValueError:
        plain, commented = strip_json_comments(existing or ""), True
    try:
        merged = merge_hook_settings(plain, hooks, owned)
    except LaunchError:
        raise LaunchError(
            f"{SETTINGS} is not a valid settings file (JSON object); fix it so that myco "
            "can add its hooks"
        ) from None
    if not commented:
        return merged
    if merged == plain:  # already wired: leave the commented file alone
        return existing or ""
    raise LaunchError(
        f"{SETTINGS} has comments, which myco would lose by rewriting it: remove them, or "
        f'add these entries under "hooks" yourself: {jsonlite.dumps(dict(hooks))}'
    )


def strip_json_comments(text: str) -> str:
    """*text* without ``//`` and ``/* */`` comments (outside strings), as Gemini reads it."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


ADAPTER = Gemini()
