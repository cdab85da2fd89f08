"""``myco guard``: git hooks that refuse a commit (or push) touching another session's lease.

``myco guard install`` writes ``pre-commit`` and ``pre-push`` hooks into the repository
that call ``myco guard check``; ``git commit --no-verify`` is the human's way past it. The
check fails open when the daemon does not answer: a guard must never lock a human out.
"""

from __future__ import annotations

import argparse
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from myco.cli.registry import Command

MARK = "# myco guard: refuses commits under another session's lease"


def _git(*args: str, cwd: str = ".") -> str:
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        from myco.cli import CommandError

        raise CommandError(f"git failed: {exc}") from None
    if out.returncode != 0:
        from myco.cli import CommandError

        raise CommandError(f"git {' '.join(args)}: {out.stderr.strip() or 'failed'}")
    return out.stdout


def _script(hook: str) -> str:
    argv = [sys.executable, "-m", "myco", "guard", "check", f"--{hook}"]
    return f"#!/bin/sh\n{MARK}\nexec {shlex.join(argv)}\n"


def install(args: argparse.Namespace) -> int:
    from myco.cli import CommandError

    hooks = Path(_git("rev-parse", "--git-path", "hooks", cwd=args.dir).strip())
    if not hooks.is_absolute():
        hooks = Path(args.dir) / hooks
    hooks.mkdir(parents=True, exist_ok=True)
    for hook in ("pre-commit", "pre-push"):
        path = hooks / hook
        theirs = path.exists() and MARK not in path.read_text(encoding="utf-8", errors="replace")
        if theirs and not args.force:
            raise CommandError(f"{path} exists and is not myco's; pass --force to replace it")
        path.write_text(_script(hook), encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        print(f"installed {path}")
    return 0


def _pushed_paths() -> list[str]:
    zero = "0" * 40
    paths: set[str] = set()
    for line in sys.stdin.read().splitlines():
        parts = line.split()
        if len(parts) != 4 or parts[1] == zero:
            continue
        local, remote = parts[1], parts[3]
        spec = [f"{remote}..{local}"] if remote != zero else [f"{local}~1..{local}"]
        try:
            paths.update(_git("diff", "--name-only", *spec).split("\n"))
        except Exception:  # a first commit has no parent: its own tree
            paths.update(_git("ls-tree", "-r", "--name-only", local).split("\n"))
    return sorted(p for p in paths if p)


#: paths per ``GET /edits/check`` (its limit), and the most one commit checks
CHUNK = 8
MAX_CHECKED = 400


def _check(
    env: Any, session: str, repo: str, paths: list[str], deadline: Any
) -> list[dict[str, Any]] | None:
    """Other sessions' leases over *paths*; None when the daemon cannot say (fail open)."""
    import json
    from urllib.parse import quote, urlencode

    from myco.agent_hooks import http

    pairs = [("session", session), ("repo", repo)]
    pairs += [("path", quote(p, safe="/")) for p in paths if len(quote(p, safe="/")) <= 256]
    try:
        resp = http.request(
            "GET", env.url, f"/edits/check?{urlencode(pairs)}", deadline, token=env.token
        )
    except http.HTTPFailure as exc:
        print(f"myco guard: daemon unreachable ({exc}); not checked", file=sys.stderr)
        return None
    try:
        data = json.loads(resp.body) if resp.status == 200 else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        print(f"myco guard: check failed (HTTP {resp.status}); not checked", file=sys.stderr)
        return None
    found = data.get("leases")
    return [x for x in found if isinstance(x, dict)] if isinstance(found, list) else []


def check(args: argparse.Namespace) -> int:
    from myco.agent_hooks.deadline import Deadline
    from myco.agent_hooks.edits import root_commit
    from myco.agent_hooks.env import read_env

    top = Path(_git("rev-parse", "--show-toplevel").strip())
    if args.pre_push:
        paths = _pushed_paths()
    else:
        paths = _git("diff", "--cached", "--name-only", "-z").split("\0")
    paths = [p for p in paths if p]
    if not paths:
        return 0
    env = read_env(os.environ, str(top))
    commit = root_commit(top, env.state_dir / "edits" / "roots")
    session = os.environ.get("MYCO_SESSION", "") or "HUMAN"
    leases: list[dict[str, Any]] = []
    deadline = Deadline(10.0)
    for i in range(0, min(len(paths), MAX_CHECKED), CHUNK):
        found = _check(env, session, f"git:{commit[:16]}", paths[i : i + CHUNK], deadline)
        if found is None:
            return 0  # fail open: said why on stderr
        leases += found
    if not leases:
        return 0
    for lease in leases:
        print(
            f"myco guard: {lease.get('path')} is under {lease.get('holder')}'s lease "
            f"`{lease.get('glob')}` ({int(lease.get('remaining_s', 0)) // 60} min left"
            + (f": {lease.get('why')}" if lease.get("why") else "")
            + ")",
            file=sys.stderr,
        )
    print("myco guard: commit refused; `git commit --no-verify` overrides.", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    if args.action == "install":
        return install(args)
    return check(args)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", choices=("install", "check"), help="install the git hooks, or run the check"
    )
    parser.add_argument("--dir", default=".", help="the repository (install; default .)")
    parser.add_argument("--force", action="store_true", help="replace hooks that are not myco's")
    parser.add_argument(
        "--pre-commit", action="store_true", help="check the staged paths (default)"
    )
    parser.add_argument(
        "--pre-push", action="store_true", help="check the pushed commits (stdin as git gives it)"
    )


COMMAND = Command(
    "guard",
    "git hooks refusing commits under another live session's lease (myco guard install)",
    run,
    configure,
)
