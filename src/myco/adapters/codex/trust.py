"""Codex hook trust: pins in ``$CODEX_HOME/config.toml`` so myco's hooks are never skipped.

Codex (0.16x) runs an unmanaged hook only when ``config.toml`` pins its hash under
``[hooks.state."<source>:<event>:<group>:<handler>"]``; otherwise it skips the hook without
a word. Hooks given with ``-c hooks.<Event>=[...]`` have the source
``/<session-flags>/config.toml``. The hash is sha256 over the handler's canonical JSON
(appendix C of /work/shared/docs/agent-cli-codex-aider.md); because that is an internal
detail, :func:`reported_hashes` asks Codex itself (``app-server`` → ``hooks/list``) and the
launcher falls back to ``--dangerously-bypass-hook-trust`` when it cannot be sure.

Pins live in a marked region of ``config.toml``; text outside it is never touched, except a
stale ``trusted_hash`` line for one of myco's own keys that Codex itself wrote there.
Launch-time only: this module is never imported on the hook path.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

SESSION_FLAGS = "/<session-flags>/config.toml"
REGION_BEGIN = "# >>> myco: Codex hook trust pins (managed by `myco run --agent codex`)"
REGION_END = "# <<< myco"
SNAKE = {
    "SessionStart": "session_start",
    "UserPromptSubmit": "user_prompt_submit",
    "Stop": "stop",
    "PreToolUse": "pre_tool_use",
    "PostToolUse": "post_tool_use",
    "PermissionRequest": "permission_request",
    "PreCompact": "pre_compact",
    "PostCompact": "post_compact",
    "SubagentStart": "subagent_start",
    "SubagentStop": "subagent_stop",
    "SessionEnd": "session_end",
    "StopFailure": "stop_failure",
}
#: events whose groups' ``matcher`` is part of the hash (the others ignore it)
USES_MATCHER = frozenset(
    {
        "pre_tool_use",
        "permission_request",
        "post_tool_use",
        "session_start",
        "pre_compact",
        "post_compact",
        "subagent_start",
        "subagent_stop",
    }
)
DEFAULT_TIMEOUT = 600
_HEADER_RE = re.compile(r"^\s*\[(?!\[)")


def codex_home(env: Mapping[str, str]) -> Path:
    """``$CODEX_HOME``, else ``~/.codex``."""
    explicit = env.get("CODEX_HOME")
    return Path(explicit) if explicit else Path(env.get("HOME") or Path.home()) / ".codex"


# -- hashes ---------------------------------------------------------------------------
def _canon(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canon(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_canon(v) for v in value]
    return value


def handler_hash(event: str, handler: Mapping[str, Any], matcher: str | None = None) -> str:
    """``sha256:<hex>`` of one command handler, as Codex computes ``currentHash``."""
    label = SNAKE.get(event, event)
    norm: dict[str, Any] = {
        "type": "command",
        "command": handler["command"],
        "timeout": max(1, int(handler.get("timeout", DEFAULT_TIMEOUT))),
        "async": bool(handler.get("async", False)),
    }
    if handler.get("statusMessage"):
        norm["statusMessage"] = handler["statusMessage"]
    ident: dict[str, Any] = {"event_name": label, "hooks": [norm]}
    if matcher is not None and label in USES_MATCHER:
        ident["matcher"] = matcher
    text = json.dumps(_canon(ident), separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def pins(
    source: str, hooks: Mapping[str, Sequence[Mapping[str, Any]]], owned: str = ""
) -> dict[str, str]:
    """Trust keys → hashes of the handlers of *hooks* (Claude-shaped) loaded from *source*.

    With *owned*, only handlers whose command contains it (myco's, among the user's own:
    the key holds the handler's position in the whole file).
    """
    out: dict[str, str] = {}
    for event, groups in hooks.items():
        for gi, group in enumerate(groups):
            if not isinstance(group, dict):
                continue
            for hi, handler in enumerate(group.get("hooks", [])):
                if not isinstance(handler, dict) or owned not in str(handler.get("command", "")):
                    continue
                key = f"{source}:{SNAKE.get(event, event)}:{gi}:{hi}"
                out[key] = handler_hash(event, handler, group.get("matcher"))
    return out


# -- config.toml ----------------------------------------------------------------------
def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a valid TOML basic string


def _region(existing: str) -> tuple[str, str, str]:
    """(before, region body, after) of *existing*; the body is "" when there is no region."""
    start = existing.find(REGION_BEGIN)
    end = existing.find(REGION_END, start + 1) if start >= 0 else -1
    if start < 0 or end < 0:
        return existing, "", ""
    body = existing[start + len(REGION_BEGIN) : end]
    return existing[:start], body, existing[end + len(REGION_END) :]


def _parse_region(body: str) -> tuple[dict[str, str], list[str]]:
    """The pins and trusted projects myco wrote earlier (its own simple format)."""
    found: dict[str, str] = {}
    projects: list[str] = []
    table: tuple[str, str] | None = None
    for raw in body.splitlines():
        line = raw.strip()
        m = re.fullmatch(r'\[hooks\.state\.("(?:[^"\\]|\\.)*")\]', line)
        if m:
            table = ("pin", json.loads(m.group(1)))
            continue
        m = re.fullmatch(r'\[projects\.("(?:[^"\\]|\\.)*")\]', line)
        if m:
            table = ("project", json.loads(m.group(1)))
            continue
        m = re.fullmatch(r'(trusted_hash|trust_level)\s*=\s*("(?:[^"\\]|\\.)*")', line)
        if m and table is not None:
            if table[0] == "pin" and m.group(1) == "trusted_hash":
                found[table[1]] = json.loads(m.group(2))
            elif table[0] == "project" and table[1] not in projects:
                projects.append(table[1])
    return found, projects


def _elsewhere(text: str, header: str) -> int:
    """Index of the line holding table *header* in *text* (outside myco's region), or -1."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == header:
            return i
    return -1


def _fix_hash_in_place(text: str, header: str, digest: str) -> str | None:
    """*text* with the ``trusted_hash`` of table *header* set (if it has that table).

    None when the table is there but its ``trusted_hash`` is not a plain line.
    """
    header_line = _elsewhere(text, header)
    if header_line < 0:
        return text
    lines = text.splitlines(keepends=True)
    for i in range(header_line + 1, len(lines)):
        if _HEADER_RE.match(lines[i]):
            break
        if re.match(r"\s*trusted_hash\s*=", lines[i]):
            end = "\n" if lines[i].endswith("\n") else ""
            lines[i] = f"trusted_hash = {_quote(digest)}{end}"
            return "".join(lines)
    return None


def pin_config(
    existing: str | None, wanted: Mapping[str, str], projects: Sequence[str] = ()
) -> str | None:
    """``config.toml`` text with *wanted* pins (and trusted *projects*) in place.

    Pins myco wrote before for other keys (another project's hooks file) are kept; a key
    the user's own part of the file already holds is updated there instead of duplicated
    (a duplicate table would make Codex refuse the file). None when the result cannot be
    made safely (a form of the key this function cannot edit, or TOML that does not parse).
    """
    text = existing or ""
    before, body, after = _region(text)
    outside = before + after
    mine, my_projects = _parse_region(body)
    for key, digest in wanted.items():
        header = f"[hooks.state.{_quote(key)}]"
        if _elsewhere(outside, header) < 0:
            mine[key] = digest
            continue
        mine.pop(key, None)  # the user's (or Codex's own) table for this key: fix it there
        fixed = [_fix_hash_in_place(part, header, digest) for part in (before, after)]
        if fixed[0] is None or fixed[1] is None:
            return None
        before, after = fixed[0], fixed[1]
        outside = before + after
    for project in projects:
        if _elsewhere(outside, f"[projects.{_quote(project)}]") < 0 and project not in my_projects:
            my_projects.append(project)
    tables = [f"[hooks.state.{_quote(k)}]\ntrusted_hash = {_quote(v)}\n" for k, v in mine.items()]
    tables += [f'[projects.{_quote(p)}]\ntrust_level = "trusted"\n' for p in my_projects]
    has_region = REGION_BEGIN in text and REGION_END in text[text.find(REGION_BEGIN) :]
    if tables:
        region = REGION_BEGIN + "\n" + "\n".join(tables) + REGION_END
        if has_region:
            new = before + region + after
        else:  # no region yet: *before* is the whole (maybe corrected) text
            new = (before.rstrip("\n") + "\n\n" if before.strip() else "") + region + "\n"
    else:
        new = before.rstrip("\n") + "\n" + after.lstrip("\n") if has_region else before
    if new == text:
        return text
    return new if _still_valid(new, wanted) else None


def _still_valid(new: str, wanted: Mapping[str, str]) -> bool:
    """The new text parses and pins what we want (when ``tomllib`` exists: Python ≥ 3.11)."""
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return True
    try:
        data = tomllib.loads(new)
    except ValueError:
        return False
    state = data.get("hooks", {}).get("state", {}) if isinstance(data, dict) else {}
    return all(
        isinstance(state.get(k), dict) and state[k].get("trusted_hash") == v
        for k, v in wanted.items()
    )


# -- asking Codex ---------------------------------------------------------------------
def reported_hashes(
    executable: str, cli: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float = 8.0
) -> dict[str, str] | None:
    """Trust keys → ``currentHash`` as Codex's ``app-server`` lists them, or None.

    Starts ``codex app-server`` with the same ``-c`` hook flags, sends ``initialize`` and
    ``hooks/list`` over stdio JSON-RPC and stops it. None when anything goes wrong (an old
    or new Codex without this API): the caller then cannot rely on pins.
    """
    try:
        proc = subprocess.Popen(
            [executable, *cli, "app-server"],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None
    try:
        assert proc.stdin is not None and proc.stdout is not None
        requests = [
            {"jsonrpc": "2.0", "id": 1, "method": "initialize",
             "params": {"clientInfo": {"name": "myco", "version": "1"}}},
            {"jsonrpc": "2.0", "method": "initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "hooks/list",
             "params": {"cwds": [str(cwd)]}},
        ]  # fmt: skip
        proc.stdin.write(b"".join(json.dumps(r).encode() + b"\n" for r in requests))
        proc.stdin.flush()
        answer = _read_answer(proc.stdout, 2, time.monotonic() + timeout)
    except (OSError, ValueError):
        answer = None
    finally:
        _stop(proc)
    if not isinstance(answer, dict):
        return None
    out: dict[str, str] = {}
    for entry in (answer.get("result") or {}).get("data") or []:
        for hook in entry.get("hooks") or [] if isinstance(entry, dict) else []:
            if isinstance(hook, dict) and hook.get("key") and hook.get("currentHash"):
                out[str(hook["key"])] = str(hook["currentHash"])
    return out


def _read_answer(stream: Any, want: int, deadline: float) -> Any:
    buf = b""
    fd = stream.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if isinstance(msg, dict) and msg.get("id") == want:
                return msg
    return None


def _stop(proc: subprocess.Popen[bytes]) -> None:
    for stream in (proc.stdin, proc.stdout):
        try:
            if stream is not None:
                stream.close()
        except OSError:
            pass
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=3)
