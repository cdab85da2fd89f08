"""Edit tracking from the CLIs' tool hooks: where a path lives, what stands in its way.

Adapters call :func:`before_edit` from their pre-tool hook (a lease check against the
daemon, time-bounded, failing open) and :func:`after_edit` from their post-tool hook (an
internal ``edit <path> repo:<id>`` event through the outbox); :func:`at_stop` reports the
paths ``git status`` shows committed (``clean``). Paths are relative to the git work-tree
root and a repository is named by its root commit (cached per work tree), so two clones
are one repository; outside git, a path is absolute and named by the host.

Standard library only: this runs on every file-writing tool call.
"""

from __future__ import annotations

import os

from myco.agent_hooks import http, jsonlite
from myco.agent_hooks.env import sha256_hex
from myco.agent_hooks.files import read_text, write_text
from myco.agent_hooks.http import quote, urlencode
from myco.agent_hooks.runtime import HookContext, deliver, new_batch
from myco.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from os import PathLike
    from typing import Any

#: the most the pre-edit check waits for the daemon before letting the edit through
CHECK_TIMEOUT = 0.4
#: what one check may carry (``GET /edits/check``): more paths, or longer, go unchecked
CHECK_PATHS = 8
CHECK_PATH_CHARS = 256
GIT_TIMEOUT = 2.0


class Located(Record):
    """A path as the swarm compares it."""

    repo: str  # ``git:<root commit>`` or ``host:<hostname>``
    path: str  # relative to the work tree (``/``-separated), or absolute; URL-quoted
    top: str  # the work tree ("" outside git)


class Decision(Record):
    """What the pre-edit hook answers: deny (with the reason) or let through with a note."""

    deny: str = ""
    context: str = ""


def _work_tree(directory: str) -> str | None:
    """The nearest directory from *directory* up that holds ``.git``."""
    while True:
        if os.path.exists(os.path.join(directory, ".git")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def root_commit(top: str | PathLike[str], cache_dir: str | PathLike[str]) -> str:
    """The work tree's root commit, from a cache file after the first call (one git run)."""
    top = os.fspath(top)
    cache = os.path.join(cache_dir, sha256_hex(top.encode("utf-8", "surrogatepass"))[:24])
    try:
        return read_text(cache).strip()
    except OSError:
        pass
    import subprocess  # only on a cache miss: the hook path stays light

    try:
        out = subprocess.run(
            ["git", "-C", top, "rev-list", "--max-parents=0", "HEAD"],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    roots = sorted(out.stdout.split()) if out.returncode == 0 else []
    if not roots:
        return ""  # no commit yet: not cached, asked again next time
    try:
        write_text(cache, roots[0])
    except OSError:
        pass
    return roots[0]


def locate(raw: str, cwd: str, cache_dir: str | PathLike[str]) -> Located:
    """Repository identity and comparable path of *raw* (absolute, or relative to *cwd*)."""
    path = os.path.abspath(os.path.join(cwd or os.getcwd(), raw))
    top = _work_tree(os.path.dirname(path))
    if top is not None:
        commit = root_commit(top, cache_dir)
        if commit:
            rel = os.path.relpath(path, top).replace(os.sep, "/")
            return Located(f"git:{commit[:16]}", quote(rel, safe="/"), top)
    return Located(f"host:{http.hostname()}", quote(path.replace(os.sep, "/"), safe="/"), "")


def tool_paths(tool_input: Any) -> list[str]:
    """The file paths a write tool's input names (Claude Code, Gemini and Codex shapes)."""
    if not isinstance(tool_input, dict):
        return []
    found = []
    for key in ("file_path", "notebook_path", "path", "absolute_path"):
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            found.append(value)
    return found


def patch_paths(patch: str) -> list[str]:
    """Paths named by an ``apply_patch`` body (``*** Update File: x`` and friends)."""
    out = []
    for line in patch.splitlines():
        for head in ("*** Update File: ", "*** Add File: ", "*** Delete File: ", "*** Move to: "):
            if line.startswith(head):
                out.append(line[len(head) :].strip())
    return out


def _cache_dir(ctx: HookContext) -> str:
    return os.path.join(ctx.env.state_root, "edits", "roots")


def _cwd(ctx: HookContext) -> str:
    return ctx.payload_str("cwd") or os.getcwd()


def mode(ctx: HookContext, server_mode: str) -> str:
    """``MYCO_LEASES`` (set by ``myco run --leases``), else the daemon's default."""
    local = os.environ.get("MYCO_LEASES", "").strip().lower()
    return local if local in ("advisory", "enforce") else server_mode


def before_edit(ctx: HookContext, raw_paths: Sequence[str]) -> Decision:
    """Ask the daemon about *raw_paths*; deny under another live lease when enforcing."""
    if not raw_paths or ctx.daemon_down:
        return Decision()
    located = [locate(p, _cwd(ctx), _cache_dir(ctx)) for p in raw_paths]
    by_repo: dict[str, list[str]] = {}
    for loc in located[:CHECK_PATHS]:
        if len(loc.path) <= CHECK_PATH_CHARS:
            by_repo.setdefault(loc.repo, []).append(loc.path)
    leases: list[dict[str, Any]] = []
    editors: list[dict[str, Any]] = []
    server_mode = "advisory"
    for repo, paths in by_repo.items():
        query = urlencode([("session", ctx.session), ("repo", repo), *(("path", p) for p in paths)])
        try:
            resp = http.request(
                "GET",
                ctx.env.url,
                f"/edits/check?{query}",
                ctx.deadline,
                token=ctx.env.token,
                timeout=CHECK_TIMEOUT,
            )
        except http.HTTPFailure as exc:
            ctx.daemon_down = True
            ctx.log(f"edit check unavailable: {exc}")
            return Decision()
        data = _json(resp.body) if resp.status == 200 else None
        if not isinstance(data, dict):
            ctx.log(f"edit check: HTTP {resp.status}")
            return Decision()
        server_mode = str(data.get("mode", server_mode))
        leases += [x for x in data.get("leases", []) if isinstance(x, dict)]
        editors += [x for x in data.get("editors", []) if isinstance(x, dict)]
    return decide(mode(ctx, server_mode), leases, editors)


def decide(
    how: str, leases: Iterable[dict[str, Any]], editors: Iterable[dict[str, Any]]
) -> Decision:
    """The hook's answer for what the daemon reported."""
    held = [
        f"`{lease.get('path')}` is under {lease.get('holder')}'s lease `{lease.get('glob')}`"
        f" ({int(lease.get('remaining_s', 0)) // 60} min left"
        + (f": {lease.get('why')}" if lease.get("why") else "")
        + ")"
        for lease in leases
    ]
    touched = [
        f"{e.get('session')} edited `{e.get('path')}` {int(e.get('ago_s', 0)) // 60} min ago"
        for e in editors
    ]
    if held and how == "enforce":
        return Decision(
            deny="myco: edit refused: "
            + "; ".join(held)
            + ". Ask the holder (`ask <SESSION> ...`) or wait for its `release`."
        )
    notes = held + touched
    if not notes:
        return Decision()
    return Decision(
        context="myco warning: "
        + "; ".join(notes)
        + ". You may be overwriting another session's work: coordinate before going on."
    )


def after_edit(ctx: HookContext, raw_paths: Sequence[str]) -> None:
    """Report the edit (through the outbox) and remember the path for :func:`at_stop`."""
    if not raw_paths:
        return
    located = [locate(p, _cwd(ctx), _cache_dir(ctx)) for p in raw_paths]
    lines = [f"edit {loc.path} repo:{loc.repo}" for loc in located]
    _remember(ctx, located)
    deliver(ctx, new_batch(ctx, lines))


def _touched_file(ctx: HookContext) -> str:
    return os.path.join(ctx.env.state_root, "edits", "touched", ctx.env.tenant_key, ctx.session)


def _remember(ctx: HookContext, located: Sequence[Located]) -> None:
    path = _touched_file(ctx)
    known = _touched(path)
    for loc in located:
        if loc.top:
            known[f"{loc.repo} {loc.path}"] = loc.top
    try:
        write_text(path, jsonlite.dumps(known))
    except OSError:
        pass


def _touched(path: str) -> dict[str, str]:
    try:
        data = jsonlite.loads(read_text(path))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def at_stop(ctx: HookContext) -> list[str]:
    """``clean`` lines for the edited paths ``git status`` no longer shows as changed."""
    path = _touched_file(ctx)
    known = _touched(path)
    if not known:
        return []
    dirty_by_top: dict[str, set[str] | None] = {}
    lines = []
    for key, top in list(known.items()):
        if top not in dirty_by_top:
            dirty_by_top[top] = _dirty(top)
        dirty = dirty_by_top[top]
        if dirty is None:
            continue
        repo, rel = key.split(" ", 1)
        if rel not in dirty:
            lines.append(f"clean {rel} repo:{repo}")
            del known[key]
    if lines:
        try:
            write_text(path, jsonlite.dumps(known))
        except OSError:
            pass
    return lines


def _dirty(top: str) -> set[str] | None:
    import subprocess  # only at Stop, and only after this session edited files

    try:
        out = subprocess.run(
            ["git", "-C", top, "status", "--porcelain", "-z", "--untracked-files=all"],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    dirty = set()
    for entry in out.stdout.split("\0"):
        if len(entry) > 3:
            dirty.add(quote(entry[3:], safe="/"))
    return dirty


def _json(body: bytes) -> Any:
    try:
        return jsonlite.loads(body)
    except ValueError:
        return None


def claude_shaped(ctx: HookContext, raw_paths: Sequence[str], cli_event: str) -> str:
    """The whole tool hook for Claude-shaped CLIs (Claude Code, Codex): stdout to print.

    ``post-edit`` reports the edit; ``pre-edit`` answers ``permissionDecision: deny`` with
    the reason, or ``additionalContext`` with the warning, or nothing.
    """
    if ctx.event == "post-edit":
        after_edit(ctx, raw_paths)
        return ""
    decision = before_edit(ctx, raw_paths)
    if decision.deny:
        answer: dict[str, Any] = {
            "hookEventName": cli_event,
            "permissionDecision": "deny",
            "permissionDecisionReason": decision.deny,
        }
    elif decision.context:
        answer = {"hookEventName": cli_event, "additionalContext": decision.context}
    else:
        return ""
    return jsonlite.dumps({"hookSpecificOutput": answer})


def report_committed(ctx: HookContext) -> None:
    """At the end of a turn: ``clean`` the edited paths ``git status`` shows committed."""
    lines = at_stop(ctx)
    if lines:
        deliver(ctx, new_batch(ctx, lines))


def _pending_file(ctx: HookContext) -> str:
    return os.path.join(ctx.env.state_root, "edits", "pending", ctx.env.tenant_key, ctx.session)


def stash_warning(ctx: HookContext, text: str) -> None:
    """Keep a pre-edit warning for the post-edit hook (CLIs whose pre-tool hook cannot
    add context, such as Gemini's BeforeTool)."""
    path = _pending_file(ctx)
    try:
        write_text(path, text)
    except OSError:
        pass


def take_warning(ctx: HookContext) -> str:
    """The warning :func:`stash_warning` kept (once), or ``""``."""
    path = _pending_file(ctx)
    try:
        text = read_text(path)
        os.unlink(path)
    except OSError:
        return ""
    return text
