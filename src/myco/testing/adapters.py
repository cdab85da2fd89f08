"""An adapter harness: feed hook payloads to an adapter, get its :class:`HookOutput` back.

An adapter's job is to turn its CLI's hook payloads into views in and events out. The
harness plays the CLI: it calls the adapter's ``hook`` the way ``myco hook NAME EVENT``
does (same :class:`~myco.agent_hooks.runtime.HookContext`, same environment variables),
against a real daemon, with a private state directory (outbox, markers)::

    from myco.adapters.claude_code.adapter import ADAPTER
    from myco.testing import AdapterHarness, DaemonProcess

    def test_stop_posts_the_block(tmp_path):
        with DaemonProcess(tmp_path / "data") as daemon:
            harness = AdapterHarness(ADAPTER, daemon, tmp_path / "state", session="FRONT")
            stop = {"last_assistant_message": "done\\n<myco>\\nstart api\\n</myco>"}
            out = harness.hook("stop", stop)
            assert out.exit_code == 0
            assert [e["line"] for e in daemon.events()] == ["start api"]
            view = harness.hook("prompt", {"prompt": "next"})
            assert "# myco view — FRONT" in view.stdout

:meth:`AdapterHarness.hook` runs in this process (easy to debug, coverage counts it);
:meth:`AdapterHarness.run` runs ``myco hook`` as a process, which also proves the adapter
is installed and selected (its entry point, ``MYCO_DISABLE_PLUGINS``, ``MYCO_LOAD_PLUGINS``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from myco.adapters import Adapter, HookOutput
from myco.agent_hooks.deadline import Deadline
from myco.agent_hooks.env import read_env
from myco.agent_hooks.runtime import HookContext

if TYPE_CHECKING:
    from myco.testing.daemon import DaemonProcess


def installed_verbs() -> frozenset[str]:
    """Every verb and alias the installed plugins register (what ``myco hook`` accepts)."""
    from myco.plugins import Hooks, make_plugin_manager

    return frozenset(Hooks(make_plugin_manager()).register_verbs().names())


class AdapterHarness:
    """Plays an agent CLI calling an adapter's hooks.

    :param adapter: the adapter object under test.
    :param daemon: a running :class:`~myco.testing.DaemonProcess` (its URL and token are
        used), or None for a daemon that is down (events then wait in the outbox).
    :param state_dir: the hooks' state directory (``MYCO_STATE_DIR``): outbox, markers.
    :param session: ``MYCO_SESSION``.
    :param env: more variables (``MYCO_REQUIRE_BLOCK``, ``MYCO_HOOK_BUDGET``, ...).
    :param verbs: the verbs capture accepts; default :func:`installed_verbs`.
    :param budget: seconds each in-process hook may take (``myco hook`` uses 0.7).
    """

    def __init__(
        self,
        adapter: Adapter,
        daemon: DaemonProcess | None,
        state_dir: Path,
        *,
        session: str = "TEST",
        env: Mapping[str, str] | None = None,
        verbs: Collection[str] | None = None,
        budget: float = 5.0,
    ) -> None:
        self.adapter = adapter
        self.budget = budget
        self.verbs = frozenset(installed_verbs() if verbs is None else verbs)
        self.environ: dict[str, str] = {
            "MYCO_URL": daemon.url if daemon is not None else "http://127.0.0.1:9",
            "MYCO_TOKEN": daemon.token if daemon is not None else "",
            "MYCO_SESSION": session,
            "MYCO_STATE_DIR": str(state_dir),
            **(env or {}),
        }

    def context(self, event: str, payload: Mapping[str, Any]) -> HookContext:
        """The context ``myco hook`` would build for *event* and *payload*."""
        cwd = payload.get("cwd")
        env = read_env(self.environ, cwd if isinstance(cwd, str) else "")
        env = env._replace(verbs=self.verbs)
        return HookContext(self.adapter.name, event, payload, env, Deadline(self.budget))

    def hook(self, event: str, payload: Mapping[str, Any]) -> HookOutput:
        """Call the adapter's hook in this process; exceptions propagate (it is a test)."""
        out = self.adapter.hook(self.context(event, payload))
        assert isinstance(out, HookOutput), f"hook returned {type(out).__name__}, not HookOutput"
        return out

    def run(
        self, event: str, payload: Mapping[str, Any] | str, timeout: float = 10.0
    ) -> HookOutput:
        """Run ``myco hook NAME EVENT`` as a process, as the CLI does; its stdout and status.

        *payload* may be text, to feed what is not JSON. The process sees this process's
        environment plus the harness's variables.
        """
        from myco.launcher import hook_argv

        stdin = payload if isinstance(payload, str) else json.dumps(payload)
        proc = subprocess.run(
            [*hook_argv(), "hook", self.adapter.name, event],
            input=stdin,
            text=True,
            capture_output=True,
            env={**os.environ, **self.environ},
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0 and proc.stderr:
            print(proc.stderr, file=sys.stderr)
        return HookOutput(proc.stdout, proc.returncode)

    def errors(self) -> list[str]:
        """Lines ``myco hook`` recorded in ``hook-errors.log`` (failures it kept quiet)."""
        path = Path(self.environ["MYCO_STATE_DIR"]) / "hook-errors.log"
        try:
            return path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
