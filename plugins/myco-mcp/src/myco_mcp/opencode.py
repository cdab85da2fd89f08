"""``myco run S DIR --agent opencode``: OpenCode joins the swarm through MCP.

OpenCode has no shell hooks like Claude Code's, so nothing posts a ``<myco>`` block for
it: the session speaks the protocol through the daemon's MCP tools (``get_view``,
``post_events``, ...). The launch wires one MCP server, ``myco``, pointing at the
daemon's ``/mcp`` with the token and the session header, and writes the agents' guide
(with how to use the tools) into ``AGENTS.md``'s managed block.

The user's configuration is never rewritten: by default the server is added through
``OPENCODE_CONFIG_CONTENT`` (OpenCode merges it over the user's config files; an existing
value is kept and extended); with ``--wire local`` the project's ``opencode.json`` gets
the ``mcp.myco`` entry and every other key is kept as it was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from myco.adapters import HeadlessRun, HookOutput, LaunchPlan, LaunchRequest

if TYPE_CHECKING:
    from myco.agent_hooks.runtime import HookContext

SERVER_KEY = "myco"
CONFIG_ENV = "OPENCODE_CONFIG_CONTENT"
PROJECT_CONFIG = "opencode.json"

MCP_GUIDE = """\
## Using myco through MCP (OpenCode)

You have no `<myco>` block hook: speak the protocol with the `myco` MCP tools.
- Call `myco_get_view` at the start of every task and after you post.
- Post each protocol line with `myco_post_events` (`lines: ["start login-form"]`) instead
  of a `<myco>` block; read and write messages with `myco_read_message` and
  `myco_write_message`; find earlier work with `myco_search` and `myco_thread`.
"""


class OpenCodeError(ValueError):
    """A configuration myco cannot extend safely (the launcher prints it)."""


def server_entry(url: str, token: str, session: str) -> dict[str, Any]:
    """OpenCode's ``mcp`` entry for the daemon at *url*, acting as *session*."""
    return {
        "type": "remote",
        "url": url.rstrip("/") + "/mcp",
        "headers": {"Authorization": f"Bearer {token}", "X-Myco-Session": session},
        "oauth": False,
        "enabled": True,
    }


def merged_config(existing: str | None, entry: dict[str, Any]) -> str:
    """*existing* OpenCode config JSON with ``mcp.myco`` set; every other key kept."""
    try:
        data = json.loads(existing) if existing and existing.strip() else {}
    except ValueError as exc:
        raise OpenCodeError(f"OpenCode config is not valid JSON ({exc}); fix it") from None
    if not isinstance(data, dict):
        raise OpenCodeError("OpenCode config is not a JSON object; fix it")
    servers = data.setdefault("mcp", {})
    if not isinstance(servers, dict):
        raise OpenCodeError("OpenCode config: `mcp` is not an object; fix it")
    if servers.get(SERVER_KEY) == entry and existing:
        return existing
    servers[SERVER_KEY] = entry
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


class OpenCodeAdapter:
    name = "opencode"
    executable = "opencode"
    instructions_file = "AGENTS.md"
    install_hint = "install it with `npm install -g opencode-ai`"

    def hook(self, ctx: HookContext) -> HookOutput:
        """OpenCode calls no myco hook: the MCP tools carry the protocol."""
        return HookOutput()

    def _wiring(self, req: LaunchRequest) -> tuple[dict[str, str], dict[Path, str]]:
        from myco.agent_hooks.env import daemon_url
        from myco.launcher import LaunchError, managed_block, read_text

        url = req.url or daemon_url(os.environ.get("MYCO_URL"))
        entry = server_entry(url, os.environ.get("MYCO_TOKEN", ""), req.session)
        guide = req.instructions.rstrip() + "\n\n" + MCP_GUIDE
        if req.role:
            guide += "\n" + req.role
        instructions = req.project_dir / self.instructions_file
        files = {instructions: managed_block(read_text(instructions), guide)}
        try:
            if req.wire == "local":
                local = req.project_dir / PROJECT_CONFIG
                files[local] = merged_config(read_text(local), entry)
                return {}, files
            return {CONFIG_ENV: merged_config(os.environ.get(CONFIG_ENV), entry)}, files
        except OpenCodeError as exc:
            raise LaunchError(str(exc)) from None

    def launch(self, req: LaunchRequest) -> LaunchPlan:
        env, files = self._wiring(req)
        argv = [self.executable]
        if req.resume is not None:
            argv += ["--session", req.resume] if req.resume else ["--continue"]
        return LaunchPlan([*argv, *req.args], env, files)

    def headless(self, req: LaunchRequest, prompt: str, conversation: str) -> HeadlessRun:
        argv = [self.executable, "run", "--format", "json", *req.args]
        if conversation:
            argv += ["--session", conversation]
        return HeadlessRun([*argv, prompt], conversation)

    def conversation_from_output(self, stdout: str, run: HeadlessRun) -> str:
        """The ``sessionID`` of the JSON events ``opencode run --format json`` prints."""
        for line in stdout.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            part = event.get("part")
            found = event.get("sessionID") or (
                part.get("sessionID") if isinstance(part, dict) else None
            )
            if isinstance(found, str) and found:
                return found
        return run.conversation


ADAPTER = OpenCodeAdapter()
