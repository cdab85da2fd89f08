"""``myco run S DIR --agent opencode``: OpenCode joins the swarm through MCP and a plugin.

OpenCode has no shell hooks like Claude Code's, but it loads JavaScript plugins from its
config directories. The launch wires:

- one MCP server, ``myco``, pointing at the daemon's ``/mcp`` with the token and the
  session header (the protocol's tools: ``get_view``, ``post_events``, ...);
- a plugin, ``plugins/myco.js`` (:data:`PLUGIN_SOURCE`), in a config directory of myco's
  own (``OPENCODE_CONFIG_DIR``, or the user's when already set). Before each model call
  it runs ``myco hook opencode prompt`` and adds the session's view to the system prompt
  (replaced on every call, so always the whole view, never piling up in the history);
  each finished reply text with a ``<myco>`` block goes to ``myco hook opencode text``,
  which posts the block like other CLIs' Stop hooks (the outbox keeps it while the
  daemon is away);
- the agents' guide in ``AGENTS.md``'s managed block.

The user's configuration is never rewritten: by default the server is added through
``OPENCODE_CONFIG_CONTENT`` (OpenCode merges it over the user's config files; an existing
value is kept and extended); with ``--wire local`` the project's ``opencode.json`` gets
the ``mcp.myco`` entry and every other key is kept as it was.
"""

from __future__ import annotations

import os

from myco.adapters import HeadlessRun, HookOutput, LaunchPlan, LaunchRequest
from myco.agent_hooks import jsonlite

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from myco.agent_hooks.runtime import HookContext

SERVER_KEY = "myco"
CONFIG_ENV = "OPENCODE_CONFIG_CONTENT"
CONFIG_DIR_ENV = "OPENCODE_CONFIG_DIR"
PROJECT_CONFIG = "opencode.json"
PLUGIN_FILE = "myco.js"

MCP_GUIDE = """\
## myco in OpenCode

Your system prompt carries the session's myco view, fresh for every model call. End your
replies with a `<myco>` block as the protocol says; myco posts it. The `myco` MCP tools
do the same on demand: `myco_get_view`, `myco_post_events` (`lines: ["start login-form"]`),
`myco_read_message`, `myco_write_message`, and `myco_search` / `myco_thread` to find
earlier work.
"""

#: The OpenCode plugin ``myco run`` writes (``__HOOK__``: the ``myco hook opencode`` argv).
#: Hook names and shapes as of OpenCode 1.18: ``experimental.chat.system.transform``
#: (``output.system``, before each model call) and ``experimental.text.complete``
#: (``output.text``, each finished text part). Failures are swallowed: never break the agent.
#: The hook runs as a child process without blocking OpenCode, and only in sessions whose
#: environment has ``MYCO_SESSION`` (``myco run`` sets it): a user's own config directory
#: may hold the file for sessions myco did not start.
PLUGIN_SOURCE = """\
// Written by `myco run --agent opencode` and rewritten on each run: do not edit.
// Puts the session's myco view in the system prompt before each model call, and posts
// the <myco> blocks of the replies, through `myco hook opencode`.
import { spawn } from "node:child_process";

const HOOK = __HOOK__;
// Only in sessions `myco run` started: this file may sit in a config directory that other
// OpenCode sessions read too, and those must not post or get a view.
const ACTIVE = Boolean(process.env.MYCO_SESSION);

// Runs the hook without blocking OpenCode's event loop; {} on any failure or after 5 s.
function hook(event, payload) {
  return new Promise((resolve) => {
    let out = "";
    let child;
    try {
      child = spawn(HOOK[0], [...HOOK.slice(1), event], { stdio: ["pipe", "pipe", "ignore"] });
    } catch {
      resolve({});
      return;
    }
    const timer = setTimeout(() => child.kill(), 5000);
    child.on("error", () => {
      clearTimeout(timer);
      resolve({});
    });
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      try {
        const answer = code === 0 && out ? JSON.parse(out) : {};
        resolve(answer && typeof answer === "object" ? answer : {});
      } catch {
        resolve({});
      }
    });
    child.stdin.on("error", () => {});
    child.stdin.end(JSON.stringify(payload));
  });
}

export const MycoPlugin = async ({ directory }) => ({
  "experimental.chat.system.transform": async (input, output) => {
    if (!ACTIVE || !input || !input.sessionID || !output || !Array.isArray(output.system)) return;
    const answer = await hook("prompt", { cwd: directory, session_id: input.sessionID });
    if (typeof answer.view === "string" && answer.view) output.system.push(answer.view);
  },
  "experimental.text.complete": async (input, output) => {
    if (!ACTIVE || !output || typeof output.text !== "string" || !output.text.includes("<myco>")) {
      return;
    }
    const key = input && input.partID ? String(input.partID) : "";
    await hook("text", { cwd: directory, text: output.text, turn_id: key });
  },
});
"""
#: OpenCode installs ``@opencode-ai/plugin`` into each config directory it reads; with this
#: lock file and a ``node_modules`` it sees nothing to install (offline it would stall)
PLUGIN_LOCK = '{"packages": {"": {"dependencies": {"@opencode-ai/plugin": "*"}}}}\n'


def plugin_source(hook_command: list[str]) -> str:
    """The plugin's JavaScript, calling *hook_command* (``[..., "hook", "opencode"]``)."""
    return PLUGIN_SOURCE.replace("__HOOK__", jsonlite.dumps(hook_command))


#: the token as ``--wire local`` writes it into the project's config (OpenCode substitutes it)
TOKEN_FROM_ENV = "{env:MYCO_TOKEN}"


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
    import json  # launch time only (a config file a human reads: indented)

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
        """The plugin's calls: ``prompt`` (the view for the system prompt) and ``text``
        (a finished reply text, whose last ``<myco>`` block is posted)."""
        from myco.agent_hooks.runtime import Turn, begin_turn, finish_turn

        if ctx.event == "prompt":
            # the system prompt is replaced on every call: always the whole view
            ctx.env = ctx.env._replace(full_views=True)
            begin = begin_turn(ctx)
            return HookOutput(jsonlite.dumps({"view": begin.view, "notices": begin.notices}))
        if ctx.event == "text":
            turn = Turn(texts=[ctx.payload_str("text")], key=ctx.payload_str("turn_id"))
            result = finish_turn(ctx, turn)
            return HookOutput(jsonlite.dumps({"notices": result.notices}))
        ctx.log(f"unknown event {ctx.event!r}")
        return HookOutput()

    def _plugin(self, req: LaunchRequest) -> tuple[dict[str, str], dict[Path, str]]:
        """The plugin in the user's ``OPENCODE_CONFIG_DIR``, else in a directory of
        myco's own (per tenant and session) that the variable then names."""
        from myco.agent_hooks.env import read_env

        source = plugin_source(list(req.hook_command))
        users = os.environ.get(CONFIG_DIR_ENV, "").strip()
        if users:
            from pathlib import Path

            return {}, {Path(users) / "plugins" / PLUGIN_FILE: source}
        env = read_env(os.environ)
        here = env.state_dir / "opencode" / env.tenant_key / req.session
        files = {
            here / "plugins" / PLUGIN_FILE: source,
            here / "package-lock.json": PLUGIN_LOCK,
            here / "node_modules" / ".myco": "",
        }
        return {CONFIG_DIR_ENV: str(here)}, files

    def _wiring(self, req: LaunchRequest) -> tuple[dict[str, str], dict[Path, str]]:
        from myco.agent_hooks.env import daemon_url
        from myco.launcher import LaunchError, managed_block, read_text

        url = req.url or daemon_url(os.environ.get("MYCO_URL"))
        # A project file may be committed: there OpenCode reads the token from the
        # session's environment (``{env:...}`` substitution), never from the file.
        local = req.wire == "local"
        token = TOKEN_FROM_ENV if local else os.environ.get("MYCO_TOKEN", "")
        entry = server_entry(url, token, req.session)
        guide = req.instructions.rstrip() + "\n\n" + MCP_GUIDE
        if req.role:
            guide += "\n" + req.role
        instructions = req.project_dir / self.instructions_file
        env, files = self._plugin(req)
        files[instructions] = managed_block(read_text(instructions), guide)
        try:
            if local:
                config = req.project_dir / PROJECT_CONFIG
                files[config] = merged_config(read_text(config), entry)
                return env, files
            return {**env, CONFIG_ENV: merged_config(os.environ.get(CONFIG_ENV), entry)}, files
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
                event = jsonlite.loads(line)
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
