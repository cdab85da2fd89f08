"""``myco run``: start an agent CLI as a myco session, wired in without clobbering anything.

The launcher validates the session name, finds the adapter and the CLI, checks that the
daemon answers (``--offline`` to go on without it), installs the protocol guide in the
instructions file's managed block, wires the hooks the adapter's way, exports
``MYCO_URL``/``MYCO_TOKEN``/``MYCO_SESSION`` and execs the CLI. Running it twice changes
nothing the second time: files are rewritten only when their content would differ.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from myco.adapters import Adapter, LaunchPlan, LaunchRequest

MANAGED_BEGIN = "<!-- myco:begin -->"
MANAGED_END = "<!-- myco:end -->"
MANAGED_NOTE = "<!-- Managed by `myco run`: replaced on every launch. Edit outside the markers. -->"
DIRECTOR = "DIRECTOR"

#: adapters that ship as their own distribution: how to get one that is not installed
ADAPTER_PACKAGES = {"gemini": "myco-gemini"}


class LaunchError(Exception):
    """A one-line reason why the session cannot start."""


# -- text helpers adapters use --------------------------------------------------------
def shell_join(argv: Sequence[str]) -> str:
    """A shell command line for *argv* (hook commands run through the shell)."""
    return shlex.join(argv)


def command_hooks(
    hook_command: Sequence[str], events: Mapping[str, str], timeout_s: int
) -> dict[str, list[dict[str, Any]]]:
    """Claude-shaped hook groups (Codex shares the shape): CLI event -> ``myco hook ... <event>``.

    *events* maps myco's event names (``prompt``, ``stop``) to the CLI's own.
    """
    return {
        cli_event: [
            {
                "hooks": [
                    {
                        "type": "command",
                        "command": shell_join([*hook_command, event]),
                        "timeout": timeout_s,
                    }
                ]
            }
        ]
        for event, cli_event in events.items()
    }


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LaunchError(f"cannot read {path}: {exc.strerror}") from None


def managed_block(existing: str | None, body: str) -> str:
    """*existing* with myco's marked block set to *body*; everything else untouched."""
    block = f"{MANAGED_BEGIN}\n{MANAGED_NOTE}\n{body.strip()}\n{MANAGED_END}"
    if not existing or not existing.strip():
        return block + "\n"
    start = existing.find(MANAGED_BEGIN)
    end = existing.find(MANAGED_END, start + 1) if start >= 0 else -1
    if start >= 0 and end >= 0:
        return existing[:start] + block + existing[end + len(MANAGED_END) :]
    return existing.rstrip("\n") + "\n\n" + block + "\n"


def merge_hook_settings(
    existing: str | None, hooks: Mapping[str, list[dict[str, Any]]], owned: str
) -> str:
    """Settings JSON text with myco's hook groups merged in, the user's own kept.

    A handler whose command contains *owned* is myco's: a stale one (other path) is
    replaced, a current one left where it is. Unchanged input comes back byte for byte.
    """
    try:
        data = json.loads(existing) if existing and existing.strip() else {}
    except ValueError as exc:
        raise LaunchError(
            f"settings file is not valid JSON ({exc}); fix it or use --wire flag"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.setdefault("hooks", {}), dict):
        raise LaunchError("settings file has an unexpected shape; fix it or use --wire flag")
    changed = False
    for event, groups in hooks.items():
        current = data["hooks"].get(event)
        current = current if isinstance(current, list) else []
        wanted = [h for g in groups for h in g.get("hooks", [])]
        present = [
            h
            for g in current
            if isinstance(g, dict)
            for h in g.get("hooks", [])
            if isinstance(h, dict)
        ]
        if all(h in present for h in wanted) and not any(
            _is_owned(h, owned) and h not in wanted for h in present
        ):
            continue
        kept = []
        for group in current:
            if not isinstance(group, dict):
                kept.append(group)
                continue
            handlers = [h for h in group.get("hooks", []) if not _is_owned(h, owned)]
            if handlers:
                kept.append({**group, "hooks": handlers})
            elif not group.get("hooks"):
                kept.append(group)
        data["hooks"][event] = kept + list(groups)
        changed = True
    if not changed and existing:
        return existing
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _is_owned(handler: Any, owned: str) -> bool:
    return isinstance(handler, dict) and owned in str(handler.get("command", ""))


# -- what every launch needs ----------------------------------------------------------
def myco_command() -> list[str]:
    """Absolute argv of this myco installation (never a pyenv shim, never bare python3)."""
    script = Path(sys.executable).with_name("myco")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("myco")
    if found and "shims" not in Path(found).parts:
        return [str(Path(found).absolute())]
    return [sys.executable, "-m", "myco"]


#: the hook entry point (:func:`hook_argv`): ``myco``'s command line as a plain file
HOOK_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "agent_hooks", "bin", "myco")


def hook_argv() -> list[str]:
    """Absolute argv of ``myco`` for agent-CLI hooks: this interpreter running
    :data:`HOOK_SCRIPT`, else :func:`myco_command`.

    A hook is a fresh process on every turn, and the console script an installer writes
    imports :mod:`re` before anything else, a third of what the rest of the hook costs.
    The argv still reads ``… myco hook AGENT EVENT``.
    """
    if os.path.isfile(HOOK_SCRIPT):
        return [sys.executable, HOOK_SCRIPT]
    return myco_command()


def guide_for(session: str) -> tuple[str, str]:
    """(protocol guide for the instructions file, role text for this session).

    The guide is assembled with the installed plugins: their verbs and guide entries.
    """
    from myco import agent_guide

    try:
        return agent_guide.for_role("director" if session == DIRECTOR else "worker")
    except Exception as exc:
        raise LaunchError(f"cannot assemble the agents' guide: {exc}") from None


def find_adapter(name: str) -> Adapter:
    """The adapter *name*, from the plugin manager the daemon would build.

    The plugin manager is built as the daemon builds it (same selection, same entry
    points); what the hooks need from it (where each adapter lives, every verb) is written
    to the plugin cache (:mod:`myco.agent_hooks.plugin_cache`), so that ``myco hook`` knows
    plugin verbs and adapters without loading plugins itself.
    """
    from myco.agent_hooks import plugin_cache
    from myco.plugins import Hooks, make_plugin_manager

    try:
        hooks = Hooks(make_plugin_manager())
        registry = hooks.register_adapters()
    except Exception as exc:
        raise LaunchError(f"cannot load plugins: {exc}") from None
    adapter: Adapter | None = registry.get(name)
    if adapter is None:
        known = ", ".join(registry.names()) or "none"
        raise LaunchError(
            f"no agent adapter named {name!r} (installed: {known}){_plugin_hint(name)}"
        )
    plugin_cache.record(hooks, os.environ)  # a broken verb plugin: hooks use the built-ins
    return adapter


def _plugin_hint(adapter: str) -> str:
    """How to install the plugin of a known separately packaged *adapter* ('' if unknown)."""
    package = ADAPTER_PACKAGES.get(adapter)
    if package is None:
        return "; adapters for other agent CLIs come as plugins (see `myco plugins`)"
    return f"; install its plugin with `pip install {package}`"


def check_daemon(url: str, token: str) -> str | None:
    """Why the daemon at *url* cannot serve this token, or None when it can."""
    from myco.client import Client, ClientError

    def notice(message: str) -> None:
        print(f"[myco] {message}", file=sys.stderr)

    client = Client(url, token, timeout=3.0, notice=notice)
    try:
        client.request("GET", "/healthz")
    except ClientError as exc:
        return f"{exc}; or pass --offline to work without it (events wait in a local outbox)"
    try:
        client.request("GET", "/status")
    except ClientError as exc:
        if not token:
            return (
                f"the daemon at {url} needs a token: export MYCO_TOKEN (create one "
                "with `myco token new`)"
            )
        return f"the daemon at {url} refused the token ({exc})"
    return None


class Session(NamedTuple):
    """A validated launch: the adapter, its CLI, the request and the environment."""

    adapter: Adapter
    executable: str
    request: LaunchRequest
    env: dict[str, str]
    #: why the launch would fail (``--dry-run`` plans anyway and lists them)
    problems: tuple[str, ...] = ()


def prepare(
    args: argparse.Namespace,
    *,
    resume: str | None = None,
    wire: str = "flag",
    offline: bool = False,
    dry_run: bool = False,
) -> Session:
    """Validate the command line and build the launch request (shared with the worker).

    With *dry_run*, a missing agent CLI or an unreachable daemon does not stop the plan:
    it is listed in :attr:`Session.problems` instead.
    """
    from myco.agent_hooks.env import daemon_url
    from myco.names import InvalidName, session_name

    try:
        session = session_name(args.session)
    except InvalidName as exc:
        raise LaunchError(str(exc)) from None
    project = Path(args.project_dir).expanduser().resolve()
    if not project.is_dir():
        raise LaunchError(f"project directory {args.project_dir!r} does not exist")
    adapter = find_adapter(args.agent)
    problems: list[str] = []
    executable = shutil.which(adapter.executable)
    if executable is None:
        hint = getattr(adapter, "install_hint", "")
        problems.append(
            f"{adapter.executable!r} (the {adapter.name} CLI) is not installed "
            f"or not on PATH{'; ' + hint if hint else ''}"
        )
    url = daemon_url(args.url or os.environ.get("MYCO_URL"))
    token = os.environ.get("MYCO_TOKEN", "")
    if not offline and (dry_run or not problems):  # a dry run lists every problem
        problem = check_daemon(url, token)
        if problem:
            problems.append(problem)
    if problems and not dry_run:
        raise LaunchError(problems[0])
    instructions, role = guide_for(session)
    request = LaunchRequest(
        session=session,
        project_dir=project,
        hook_command=[*hook_argv(), "hook", adapter.name],
        instructions=instructions,
        role=role,
        resume=resume,
        args=list(getattr(args, "agent_args", [])),
        wire=wire,
        url=url,
    )
    env = {
        **os.environ,
        "MYCO_URL": url,
        "MYCO_TOKEN": token,
        "MYCO_SESSION": session,
        "MYCO_AGENT": adapter.name,
    }
    leases = getattr(args, "leases", None)
    if leases:
        env["MYCO_LEASES"] = leases  # read by the pre-edit hook (myco.agent_hooks.edits)
    return Session(adapter, executable or adapter.executable, request, env, tuple(problems))


def write_files(files: Mapping[Path, str]) -> list[Path]:
    """Write the files whose content differs; returns those written."""
    written = []
    for path, text in files.items():
        if read_text(path) == text:
            continue
        target = path.resolve() if path.is_symlink() else path
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.myco-tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
        written.append(path)
    return written


def final_argv(session: Session, plan: LaunchPlan) -> list[str]:
    return [session.executable, *plan.argv[1:]]


def run(args: argparse.Namespace) -> int:
    """``myco run``: prepare, write, exec (or print with ``--dry-run``)."""
    from myco.cli import CommandError

    try:
        session = prepare(
            args, resume=args.resume, wire=args.wire, offline=args.offline, dry_run=args.dry_run
        )
        plan = session.adapter.launch(session.request)
        argv = final_argv(session, plan)
        env = {**session.env, **plan.env}
        req = session.request
        if args.dry_run:
            changes = [p for p, text in plan.files.items() if read_text(p) != text]
            print(
                json.dumps(
                    {
                        "cwd": str(req.project_dir),
                        "argv": argv,
                        "would_write": [str(p) for p in changes],
                        "env": {
                            k: v
                            for k, v in env.items()
                            if k.startswith("MYCO_") and k != "MYCO_TOKEN"
                        },
                        "problems": list(session.problems),
                    },
                    indent=2,
                )
            )
            for problem in session.problems:
                print(f"[myco] a real launch would stop here: {problem}", file=sys.stderr)
            return 0
        written = write_files(plan.files)
    except LaunchError as exc:
        raise CommandError(str(exc)) from None
    say = f"[myco] session={req.session} agent={session.adapter.name} project={req.project_dir}"
    print(say, file=sys.stderr)
    print(
        f"[myco] daemon={env['MYCO_URL']}"
        + ("" if env["MYCO_TOKEN"] else " (no MYCO_TOKEN set: the daemon will refuse the hooks)"),
        file=sys.stderr,
    )
    for path in written:
        print(f"[myco] updated {path}", file=sys.stderr)
    for note in plan.notes:
        print(f"[myco] {note}", file=sys.stderr)
    os.chdir(req.project_dir)
    os.execvpe(argv[0], argv, env)
