"""The Codex CLI adapter: ``UserPromptSubmit`` injects the view, ``Stop`` captures the block.

Contract (Codex 0.169, /work/shared/docs/agent-cli-codex-aider.md §2): hook payloads are
Claude-shaped JSON on stdin plus ``turn_id``; ``Stop`` carries ``last_assistant_message``
(the final message only) and ``transcript_path``, the rollout JSONL where a block written
before a tool call lives. Output is the Claude shape too (:mod:`myco.agent_hooks.output`): the
view as ``additionalContext`` becomes a developer message after the prompt.

Hooks are wired with ``-c hooks.<Event>=[...]`` (nothing in the repository) or, with
``--wire local``, in ``.codex/hooks.json``. Either way Codex skips them silently unless
they are trusted: :mod:`myco.adapters.codex.trust` pins their hashes in ``config.toml``.
"""

from __future__ import annotations

import os

from myco.adapters import HeadlessRun, HookOutput, LaunchPlan, LaunchRequest
from myco.agent_hooks import jsonlite, output
from myco.agent_hooks.runtime import HookContext, Turn, lifecycle_notices
from myco.agent_hooks.transcript import tail_records

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path
    from typing import Any

#: hook events myco wires, by the ``myco hook codex <event>`` name. The lifecycle ones
#: (``myco.agent_hooks.runtime.lifecycle_notices``) feed deltas and liveness as Claude
#: Code's do: SessionStart (sources startup, resume, clear, compact, fork), PostCompact,
#: PermissionRequest (Codex's prompt to its human: awaiting-human; myco decides nothing,
#: so Codex asks as usual) and SessionEnd, all in Codex 0.169's hook schemas
EVENTS = {
    "prompt": "UserPromptSubmit",
    "stop": "Stop",
    "session-start": "SessionStart",
    "compacted": "PostCompact",
    "notify": "PermissionRequest",
    "session-end": "SessionEnd",
}
#: tool hooks (edit tracking and leases) on the patch tool only
TOOL_EVENTS = {"pre-edit": "PreToolUse", "post-edit": "PostToolUse"}
TOOL_MATCHER = "apply_patch"
HOOK_TIMEOUT_S = 10
#: tools whose use means the turn changed files (``exec_command`` is not counted)
WRITE_TOOLS = frozenset({"apply_patch"})
HOOKS_LOCAL = os.path.join(".codex", "hooks.json")
BYPASS = "--dangerously-bypass-hook-trust"


# -- the turn, from the rollout -------------------------------------------------------
def _turn_of(payload: Mapping[str, Any]) -> str:
    meta = payload.get("internal_chat_message_metadata_passthrough")
    turn = meta.get("turn_id") if isinstance(meta, dict) else None
    return turn if isinstance(turn, str) else ""


def read_turn(path: str, turn_id: str) -> tuple[list[str], bool]:
    """(assistant texts of turn *turn_id*, oldest first; whether it patched files).

    Reads the rollout backwards and stops at the turn's ``task_started`` (or at a record
    of an earlier turn). Assistant messages are ``response_item`` records.
    """
    texts: list[str] = []
    changed = False
    for record in tail_records(path):
        payload = record.get("payload")
        if not isinstance(payload, dict):
            continue
        kind = payload.get("type")
        if record.get("type") == "event_msg" and kind == "task_started":
            if turn_id and payload.get("turn_id") not in (turn_id, None):
                return [], False  # the rollout is behind: what we read is an older turn
            break
        if record.get("type") != "response_item":
            continue
        owner = _turn_of(payload)
        if turn_id and owner and owner != turn_id:
            break
        if kind == "message" and payload.get("role") == "assistant":
            content = payload.get("content")
            parts = [
                str(c.get("text", ""))
                for c in content if isinstance(c, dict) and c.get("type") == "output_text"
            ] if isinstance(content, list) else []  # fmt: skip
            if parts:
                texts.append("".join(parts))
        elif kind in ("function_call", "custom_tool_call") and payload.get("name") in WRITE_TOOLS:
            changed = True
    return texts[::-1], changed


def turn_from_payload(ctx: HookContext) -> Turn:
    """The turn that just ended: rollout text, plus the final message if not flushed yet."""
    path = ctx.payload_str("transcript_path")
    turn_id = ctx.payload_str("turn_id")
    texts, changed = read_turn(path, turn_id) if path else ([], False)
    final = ctx.payload_str("last_assistant_message")
    if final.strip() and final.strip() not in "\n".join(texts):
        texts.append(final)
    return Turn(
        texts=texts,
        changed_files=changed,
        key=turn_id,
        continued=ctx.payload.get("stop_hook_active") is True,
    )


# -- TOML for -c values ---------------------------------------------------------------
def toml_inline(value: Any) -> str:
    """*value* as a TOML inline value (``-c key=<value>`` is parsed as TOML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return jsonlite.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(toml_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}={toml_inline(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML for {type(value).__name__}")


def tool_hook(ctx: HookContext) -> HookOutput:
    """PreToolUse/PostToolUse of ``apply_patch``: the files are named in the patch text."""
    from myco.agent_hooks import edits

    if ctx.payload_str("tool_name") not in WRITE_TOOLS:
        return HookOutput()
    tool_input = ctx.payload.get("tool_input")
    patch = tool_input.get("command") if isinstance(tool_input, dict) else None
    paths = edits.patch_paths(patch) if isinstance(patch, str) else []
    return HookOutput(edits.claude_shaped(ctx, paths, TOOL_EVENTS[ctx.event]))


class Wiring:
    """What a launch adds to ``codex``: argv flags, files, notes (computed once per run)."""

    def __init__(self, flags: list[str], files: dict[Path, str], notes: list[str]) -> None:
        self.flags = flags
        self.files = files
        self.notes = notes


class Codex:
    """OpenAI Codex CLI (``codex``)."""

    name = "codex"
    executable = "codex"
    instructions_file = "AGENTS.md"
    install_hint = "install it with `npm install -g @openai/codex`"

    def __init__(self) -> None:
        self._wiring: dict[tuple[str, ...], Wiring] = {}

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
    def hooks(self, hook_command: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Claude-shaped hook groups that call ``myco hook codex <event>``."""
        from myco.launcher import command_hooks

        hooks = command_hooks(hook_command, EVENTS, HOOK_TIMEOUT_S)
        for event, cli_event in TOOL_EVENTS.items():
            (group,) = command_hooks(hook_command, {event: cli_event}, HOOK_TIMEOUT_S)[cli_event]
            hooks[cli_event] = [{"matcher": TOOL_MATCHER, **group}]
        return hooks

    def wiring(self, req: LaunchRequest) -> Wiring:
        """Hook flags or files, the trust pins, the instructions; cached per request."""
        cache_key = (str(req.project_dir), req.wire, *req.hook_command, req.role)
        if cache_key not in self._wiring:
            self._wiring[cache_key] = self._wire(req)
        return self._wiring[cache_key]

    def _wire(self, req: LaunchRequest) -> Wiring:
        from myco.adapters.codex import trust
        from myco.launcher import managed_block, merge_hook_settings, read_text

        instructions = req.project_dir / self.instructions_file
        files = {instructions: managed_block(read_text(instructions), req.instructions)}
        hooks = self.hooks(req.hook_command)
        cli_flags = [a for e, g in hooks.items() for a in ("-c", f"hooks.{e}={toml_inline(g)}")]
        if req.wire == "local":
            local = req.project_dir / HOOKS_LOCAL
            owned = f" hook {self.name} "
            files[local] = merge_hook_settings(read_text(local), hooks, owned=owned)
            wanted = trust.pins(str(local), jsonlite.loads(files[local])["hooks"], owned=owned)
            flags: list[str] = []
        else:
            wanted = trust.pins(trust.SESSION_FLAGS, hooks)
            flags = list(cli_flags)
        if req.role:
            flags += ["-c", f"developer_instructions={toml_inline(req.role)}"]
        config, text, sure, notes = self._pin(req, hooks, cli_flags, wanted)
        if text is not None and (sure or req.wire == "local"):
            files[config] = text  # local: best effort for plain `codex` sessions later
        if text is None or not sure:
            flags.append(BYPASS)
            notes.append(f"Codex hook trust unconfirmed: running with {BYPASS}")
        return Wiring(flags, files, notes)

    def _pin(
        self,
        req: LaunchRequest,
        hooks: dict[str, list[dict[str, Any]]],
        cli_flags: list[str],
        wanted: dict[str, str],
    ) -> tuple[Path, str | None, bool, list[str]]:
        """(``config.toml``, its text with the pins or None, whether Codex confirmed, notes).

        Codex is asked for its own hashes of the same handlers (they win over ours); with
        ``--wire local`` the project is marked trusted too (Codex ignores ``.codex/``
        elsewhere).
        """
        from myco.adapters.codex import trust
        from myco.launcher import read_text

        ours = trust.pins(trust.SESSION_FLAGS, hooks)
        import shutil  # launch time only: it imports fnmatch and re

        executable = shutil.which(self.executable) or self.executable
        reported = trust.reported_hashes(executable, cli_flags, req.project_dir, os.environ)
        sure = reported is not None and all(k in reported for k in ours)
        if reported is not None:
            fix = {ours[k]: reported[k] for k in ours if k in reported}
            wanted = {k: fix.get(v, v) for k, v in wanted.items()}
        projects = [str(req.project_dir)] if req.wire == "local" else []
        config = trust.codex_home(os.environ) / "config.toml"
        existing = read_text(config)
        text = trust.pin_config(existing, wanted, projects)
        notes = [] if text is not None else [f"could not pin myco's hooks in {config} safely"]
        for project in projects:
            if text is not None and f"[projects.{jsonlite.dumps(project)}]" not in (existing or ""):
                notes.append(f"{config}: trusting {project} (Codex reads .codex/ only there)")
        return config, text, sure, notes

    def launch(self, req: LaunchRequest) -> LaunchPlan:
        wiring = self.wiring(req)
        argv = [self.executable, *wiring.flags]
        if req.resume is not None:
            argv += ["resume", req.resume] if req.resume else ["resume"]
        return LaunchPlan([*argv, *req.args], {}, wiring.files, wiring.notes)

    def headless(self, req: LaunchRequest, prompt: str, conversation: str) -> HeadlessRun:
        wiring = self.wiring(req)
        argv = [self.executable, *wiring.flags, "exec", "--json", *req.args]
        if conversation:
            argv += ["resume", conversation]
        return HeadlessRun([*argv, "--", prompt], conversation)

    def conversation_from_output(self, stdout: str, run: HeadlessRun) -> str:
        """The ``thread_id`` of ``{"type": "thread.started"}`` in ``codex exec --json``."""
        for line in stdout.splitlines():
            try:
                event = jsonlite.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("type") == "thread.started":
                tid = event.get("thread_id")
                if isinstance(tid, str) and tid:
                    return tid
        return run.conversation


ADAPTER = Codex()
