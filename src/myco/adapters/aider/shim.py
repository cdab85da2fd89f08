"""myco inside Aider's own interpreter: a fresh view before every model call, every reply out.

Aider has no hooks. ``myco run --agent aider`` puts ``site/`` on ``PYTHONPATH``; its
``sitecustomize`` loads this file (by path: Aider's environment has no myco) when
``MYCO_AIDER_HOOK`` is set. It then patches ``aider.coders.base_coder.Coder`` as that
module is imported:

- ``send_message`` (one model call; a turn may make several: reflections, lint fixes,
  added files) first runs ``myco hook aider prompt`` and puts the context it prints before
  the message (the full view on the first call of the process and after Aider's history
  shrank, then only what changed, as for the other CLIs); with an older hook, it writes
  the full view to the file Aider reads with ``--read`` instead. Then it collects the
  reply;
- ``run_one`` (one user turn) ends with ``myco hook aider stop`` and every reply of the
  turn, so the last ``<myco>`` block of the whole turn is captured.

The hooks run as subprocesses of myco's own interpreter (the same ``myco hook`` entry
point as for the other CLIs: bounded, never failing). Nothing here may break Aider: every
failure is swallowed. Standard library only, Python 3.10+.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from types import ModuleType
from typing import Any

ENV_HOOK = "MYCO_AIDER_HOOK"  # JSON argv of ``myco hook aider``
ENV_VIEW = "MYCO_AIDER_VIEW"  # the view file, passed to aider with --read
TARGET = "aider.coders.base_coder"
HOOK_TIMEOUT = 5.0
PLACEHOLDER = (
    "<!-- myco protocol v1 -->\n# myco view\n\n"
    "(myco refreshes this file before every model request.)\n"
)
STALE = "> myco: no fresh view at {when} (daemon unreachable?); this one may be out of date.\n\n"
#: put before the message instead of a delta when the daemon could not be reached
DOWN = "> myco: no fresh view at {when} (daemon unreachable?); the last one you saw may be stale."


# -- start-up -------------------------------------------------------------------------
def bootstrap(site_dir: str, environ: MutableMapping[str, str] | None = None) -> bool:
    """Called by ``sitecustomize``: activate when asked to, then run the shadowed one."""
    env = os.environ if environ is None else environ
    active = False
    try:
        _strip_path(env, site_dir)  # children of aider (linters, shells) stay untouched
        active = activate(env)
    except Exception:  # never break aider's start-up
        active = False
    _chain_sitecustomize(site_dir)
    return active


def activate(env: Mapping[str, str]) -> bool:
    """Make sure the view file exists (aider drops a missing ``--read`` file), then patch."""
    hook = hook_argv(env)
    view = env.get(ENV_VIEW, "")
    if hook is None or not view:
        return False
    if not os.path.exists(view):
        _write(view, PLACEHOLDER)
    module = sys.modules.get(TARGET)
    if module is not None:
        patch(module.Coder, hook, view)
    else:
        sys.meta_path.insert(0, _Finder(hook, view))
    return True


def hook_argv(env: Mapping[str, str]) -> list[str] | None:
    try:
        argv = json.loads(env.get(ENV_HOOK, ""))
    except ValueError:
        return None
    if isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv):
        return argv
    return None


def _strip_path(env: MutableMapping[str, str], site_dir: str) -> None:
    parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    kept = [p for p in parts if os.path.abspath(p) != os.path.abspath(site_dir)]
    if len(kept) != len(parts):
        if kept:
            env["PYTHONPATH"] = os.pathsep.join(kept)
        else:
            env.pop("PYTHONPATH", None)


def _chain_sitecustomize(site_dir: str) -> None:
    """Run the ``sitecustomize`` ours shadows (a distribution's, a venv's), if any."""
    here = os.path.abspath(site_dir)
    rest = [p for p in sys.path if os.path.abspath(p or ".") != here]
    try:
        spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
        if spec is None or spec.loader is None:
            return
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception:
        pass


class _Finder(importlib.abc.MetaPathFinder):
    """Patches ``Coder`` right after ``aider.coders.base_coder`` is executed."""

    def __init__(self, hook: list[str], view: str) -> None:
        self.hook = hook
        self.view = view

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != TARGET:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _Loader(spec.loader, self)
                return spec
        return None


class _Loader(importlib.abc.Loader):
    def __init__(self, real: Any, finder: _Finder) -> None:
        self.real = real
        self.finder = finder

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        created: ModuleType | None = self.real.create_module(spec)
        return created

    def exec_module(self, module: ModuleType) -> None:
        self.real.exec_module(module)
        module.__loader__ = self.real
        if module.__spec__ is not None:
            module.__spec__.loader = self.real
        try:
            patch(module.Coder, self.finder.hook, self.finder.view)
        except Exception:
            pass
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


# -- the hooks ------------------------------------------------------------------------
def call_hook(hook: Sequence[str], event: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Run ``myco hook aider EVENT``; its JSON answer, ``{}`` on any trouble."""
    try:
        proc = subprocess.run(
            [*hook, event],
            input=json.dumps(payload).encode("utf-8"),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=HOOK_TIMEOUT,
            check=False,
        )
        data = json.loads(proc.stdout.decode("utf-8", "replace") or "{}")
    except (OSError, ValueError, subprocess.SubprocessError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""


#: what the view file says once the view travels in the messages (delta-first)
IN_MESSAGES = (
    "<!-- myco protocol v1 -->\n# myco view\n\n"
    "(myco puts its view in your messages: the whole view first, then what changed.)\n"
)
#: ``len(coder.done_messages)`` at the last model call of this process (None: no call yet)
_history: list[int | None] = [None]


def resync_reason(coder: Any) -> str:
    """``startup`` for the first model call of this process (a restored history holds no
    view), ``compact`` when Aider's history shrank (``/clear``, a summary), else ``""``."""
    done = getattr(coder, "done_messages", None)
    size = len(done) if isinstance(done, list) else 0
    last, _history[0] = _history[0], size
    if last is None:
        return "startup"
    return "compact" if size < last else ""


def refresh_view(
    hook: Sequence[str], view: str, cwd: str, resync: str = ""
) -> tuple[list[str], str]:
    """Fetch the context for the next model call: (notices for the human, text to put
    before the message). A hook that knows deltas answers ``context`` (full view first,
    then what changed, kept in Aider's history like other CLIs' injected context); an older
    one answers ``view``, written to the file Aider re-reads (or marked stale)."""
    answer = call_hook(hook, "prompt", {"cwd": cwd, "deltas": True, "resync": resync})
    notices = answer.get("notices")
    said = [str(n) for n in notices] if isinstance(notices, list) else []
    context = answer.get("context")
    if isinstance(context, str):
        if _read(view) != IN_MESSAGES:
            _write(view, IN_MESSAGES)
        if not context and answer.get("down"):
            context = DOWN.format(when=time.strftime("%H:%M"))
        return said, context
    text = answer.get("view")
    if isinstance(text, str) and text:
        if _read(view) != text:
            _write(view, text)
    elif answer.get("down") is True or not answer:
        old = _read(view)
        if old and not old.startswith(STALE[:22]):
            _write(view, STALE.format(when=time.strftime("%H:%M")) + old)
    return said, ""


class TurnState:
    """The replies of one user turn (``run_one``), across its model calls."""

    def __init__(self) -> None:
        self.id = uuid.uuid4().hex
        self.replies: list[str] = []
        self.continued = False


def finish(hook: Sequence[str], coder: Any, turn: TurnState) -> tuple[list[str], str]:
    """Send the turn's replies to the stop hook; (notices, enforcement reason)."""
    if not turn.replies:
        return [], ""
    payload = {
        "texts": turn.replies,
        "turn_id": turn.id,
        "edited": bool(getattr(coder, "aider_edited_files", None)),
        "files": sorted(str(f) for f in getattr(coder, "aider_edited_files", None) or ()),
        "continued": turn.continued,
        "cwd": str(getattr(coder, "root", "") or os.getcwd()),
    }
    answer = call_hook(hook, "stop", payload)
    notices = answer.get("notices")
    reason = answer.get("reason")
    return (
        [str(n) for n in notices] if isinstance(notices, list) else [],
        reason if isinstance(reason, str) else "",
    )


def _say(coder: Any, notices: Sequence[str]) -> None:
    for line in notices:
        try:
            coder.io.tool_warning(line)
        except Exception:
            pass


# -- the patch ------------------------------------------------------------------------
def patch(coder_cls: Any, hook: list[str], view: str) -> None:
    """Wrap ``Coder.run_one`` and ``Coder.send_message`` (once)."""
    if getattr(coder_cls, "_myco_patched", False):
        return
    run_one: Callable[..., Any] = coder_cls.run_one
    send_message: Callable[..., Iterator[Any]] = coder_cls.send_message
    view_abs = os.path.abspath(view)

    def myco_send_message(self: Any, inp: Any) -> Iterator[Any]:
        try:
            names = getattr(self, "abs_read_only_fnames", None)
            if isinstance(names, set) and os.path.exists(view_abs):
                names.add(view_abs)  # plain aider with the env set: read the view too
            root = str(getattr(self, "root", "") or "")
            said, context = refresh_view(hook, view_abs, root, resync_reason(self))
            _say(self, said)
            if context and isinstance(inp, str):
                inp = f"{context.rstrip()}\n\n---\n\n{inp}"
        except Exception:
            pass
        before = getattr(self, "partial_response_content", "")
        try:
            yield from send_message(self, inp)
        finally:
            after = getattr(self, "partial_response_content", "")
            turn = getattr(self, "_myco_turn", None)
            fresh = isinstance(after, str) and after and after is not before
            if isinstance(turn, TurnState) and fresh:
                turn.replies.append(after)

    def myco_run_one(self: Any, user_message: Any, preproc: Any) -> Any:
        turn = TurnState()
        message = user_message
        while True:
            outer = getattr(self, "_myco_turn", None)
            self._myco_turn = turn
            try:
                result = run_one(self, message, preproc)
            finally:
                self._myco_turn = outer
                try:
                    notices, reason = finish(hook, self, turn)
                    _say(self, notices)
                except Exception:
                    reason = ""
            if not reason or turn.continued:
                return result
            turn.continued = True  # once: the model continues the same turn
            message, preproc = reason, False

    coder_cls.run_one = myco_run_one
    coder_cls.send_message = myco_send_message
    coder_cls._myco_patched = True
