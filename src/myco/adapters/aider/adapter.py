"""The Aider adapter: a view file Aider re-reads before every model call, every reply out.

Aider has no hooks (/work/shared/docs/agent-cli-codex-aider.md §3). ``myco run --agent
aider`` starts the user's ``aider`` with ``site/`` on ``PYTHONPATH``; the shim it
loads (:mod:`myco.adapters.aider.shim`, inside Aider's own interpreter) calls
``myco hook aider prompt`` before each model call and ``myco hook aider stop`` after each
user turn. This module answers those two calls in myco's interpreter, with the runtime
every adapter shares. The payloads and answers are myco's own small JSON:

- ``prompt`` ``{"cwd", "deltas", "resync"}`` → ``{"context", "down", "notices"}``: the shim
  puts ``context`` before the message (the full view first, and again after ``resync``
  ``startup`` or ``compact``; then deltas). Without ``deltas`` (an older shim) →
  ``{"view", ...}``, always the full view, which the shim writes to the view file;
- ``stop`` ``{"texts", "turn_id", "edited", "continued", "cwd"}`` → ``{"notices", "reason"}``.

The protocol guide goes into ``CONVENTIONS.md`` (managed block) and both it and the view
file are passed with ``--read``.
"""

from __future__ import annotations

import os

from myco.adapters import HeadlessRun, HookOutput, LaunchPlan, LaunchRequest
from myco.agent_hooks import jsonlite
from myco.agent_hooks.runtime import HookContext, Turn, begin_turn, finish_turn, session_start

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

SITE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "site")
VIEW_NAME = "myco-view.md"
HEADLESS_FLAGS = (
    "--yes-always",
    "--no-pretty",
    "--no-fancy-input",
    "--no-check-update",
    "--no-show-release-notes",
)


def _dump(out: dict[str, Any]) -> str:
    return jsonlite.dumps(out, ensure_ascii=False) + "\n"


def report_edits(ctx: HookContext) -> None:
    """The files aider edited this turn (``coder.aider_edited_files``, sent by the shim):
    ``edit`` events, then ``clean`` for those already committed (aider auto-commits)."""
    files = ctx.payload.get("files")
    paths = [f for f in files if isinstance(f, str) and f] if isinstance(files, list) else []
    from myco.agent_hooks import edits

    if paths:
        edits.after_edit(ctx, paths[:100])
    edits.report_committed(ctx)


class Aider:
    """Aider (``aider``), driven through the in-process shim."""

    name = "aider"
    executable = "aider"
    instructions_file = "CONVENTIONS.md"
    install_hint = "install it with `python -m pip install aider-chat` (or pipx / uv tool)"

    # -- hooks (called by the shim) ---------------------------------------------------
    def hook(self, ctx: HookContext) -> HookOutput:
        if ctx.event == "prompt":
            if ctx.payload.get("deltas") is True:  # the shim puts it in the message
                resync = ctx.payload_str("resync")
                if resync in ("startup", "compact"):
                    session_start(ctx, resync)
                begin = begin_turn(ctx)
                said = {"context": begin.view, "down": ctx.daemon_down, "notices": begin.notices}
                return HookOutput(_dump(said))
            # an older shim writes it to a file Aider re-sends whole on every call: that
            # must be the full view, never a delta
            ctx.env = ctx.env._replace(full_views=True)
            begin = begin_turn(ctx)
            return HookOutput(
                _dump({"view": begin.view, "down": ctx.daemon_down, "notices": begin.notices})
            )
        if ctx.event == "stop":
            report_edits(ctx)
            texts = ctx.payload.get("texts")
            turn = Turn(
                texts=[t for t in texts if isinstance(t, str)] if isinstance(texts, list) else [],
                changed_files=ctx.payload.get("edited") is True,
                key=ctx.payload_str("turn_id"),
                continued=ctx.payload.get("continued") is True,
            )
            result = finish_turn(ctx, turn)
            return HookOutput(_dump({"notices": result.notices, "reason": result.block_reason}))
        ctx.log(f"unknown event {ctx.event!r}")
        return HookOutput()

    # -- launching --------------------------------------------------------------------
    def state_dir(self, req: LaunchRequest) -> Path:
        """Where the session's view (and role) files live: the hook state, per tenant."""
        from myco.agent_hooks.env import read_env

        env = read_env(os.environ)
        return env.state_dir / "aider" / env.tenant_key / req.session

    def _common(self, req: LaunchRequest) -> tuple[list[str], dict[str, str], dict[Path, str]]:
        """``--read`` flags, environment and files shared by launch and headless runs."""
        from myco.launcher import managed_block, read_text

        here = self.state_dir(req)
        view = here / VIEW_NAME
        conventions = req.project_dir / self.instructions_file
        files = {conventions: managed_block(read_text(conventions), req.instructions)}
        reads = ["--read", str(conventions), "--read", str(view)]
        if not view.exists():  # aider drops a --read file that is missing at start-up
            files[view] = "<!-- myco protocol v1 -->\n# myco view\n"
        if req.role:
            role = here / "myco-role.md"
            files[role] = req.role.strip() + "\n"
            reads += ["--read", str(role)]
        path = [str(SITE_DIR), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        env = {
            "PYTHONPATH": os.pathsep.join(dict.fromkeys(path)),
            "MYCO_AIDER_HOOK": jsonlite.dumps(list(req.hook_command)),
            "MYCO_AIDER_VIEW": str(view),
        }
        return reads, env, files

    def launch(self, req: LaunchRequest) -> LaunchPlan:
        reads, env, files = self._common(req)
        argv = [self.executable, *reads]
        if req.resume:  # aider has no session ids: an id names a chat history file
            argv += ["--chat-history-file", req.resume]
        if req.resume is not None:
            argv.append("--restore-chat-history")
        return LaunchPlan([*argv, *req.args], env, files)

    def headless(self, req: LaunchRequest, prompt: str, conversation: str) -> HeadlessRun:
        """``aider --message``; the conversation is the chat history file it restores."""
        reads, _, _ = self._common(req)
        history = conversation or str(self.state_dir(req) / "chat-history.md")
        argv = [self.executable, *reads, *HEADLESS_FLAGS, "--chat-history-file", history]
        if conversation:
            argv.append("--restore-chat-history")
        return HeadlessRun([*argv, *req.args, "--message", prompt], history)

    def conversation_from_output(self, stdout: str, run: HeadlessRun) -> str:
        return run.conversation


ADAPTER = Aider()
