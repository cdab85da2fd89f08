"""``myco worker``: deliver prompts queued with ``POST /dispatch/{session}`` headlessly.

One prompt at a time: the worker polls ``GET /dispatch/{session}`` (every ``--interval``
seconds, backing off while the daemon is away), runs the adapter's headless command to the
end, and only then polls again, so a running turn is never interrupted. The CLI
conversation id is kept under the state directory so later prompts resume it; a lock file
keeps a second worker for the same session out.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from urllib.parse import quote

from myco.launcher import LaunchError, Session, prepare, write_files

MAX_BACKOFF = 10.0
RUN_TIMEOUT = 3600.0


class Worker:
    """The poll → run → remember loop for one session."""

    def __init__(self, session: Session, interval: float) -> None:
        from myco.agent_hooks.env import read_env
        from myco.client import Client

        self.session = session
        self.interval = min(max(interval, 0.2), 60.0)
        env = session.env
        self.client = Client(env["MYCO_URL"], env["MYCO_TOKEN"], timeout=5.0)
        hook_env = read_env(env)
        self.dir = hook_env.state_dir / "worker" / hook_env.tenant_key
        self.state_file = self.dir / f"{session.request.session}.json"
        self.stopping = False
        self.delivered = 0

    def log(self, message: str) -> None:
        print(
            f"[myco worker {self.session.request.session}] {message}", file=sys.stderr, flush=True
        )

    # -- state ------------------------------------------------------------------------
    def conversation(self) -> str:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return ""
        if isinstance(data, dict) and data.get("agent") == self.session.adapter.name:
            return str(data.get("conversation", ""))
        return ""

    def remember(self, conversation: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.state_file.write_text(
            json.dumps({"agent": self.session.adapter.name, "conversation": conversation}) + "\n",
            encoding="utf-8",
        )

    # -- loop -------------------------------------------------------------------------
    def take(self) -> str | None:
        """The next queued prompt, or None (nothing queued); raises ClientError."""
        status, body, _ = self.client.request(
            "GET", f"/dispatch/{quote(self.session.request.session, safe='')}"
        )
        if status != 200 or not body:
            return None
        data = json.loads(body)
        prompt = data.get("prompt") if isinstance(data, dict) else None
        return prompt if isinstance(prompt, str) and prompt.strip() else None

    def deliver(self, prompt: str) -> bool:
        """Run *prompt* to completion in the session's conversation."""
        adapter, req = self.session.adapter, self.session.request
        run = adapter.headless(req, prompt, self.conversation())
        argv = [self.session.executable, *run.argv[1:]]
        self.delivered += 1
        self.log(f"prompt #{self.delivered} ({len(prompt)} chars) → {adapter.name}")
        started = time.monotonic()
        try:
            proc = subprocess.run(
                argv,
                cwd=req.project_dir,
                env=self.session.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            self.log(f"failed to run {adapter.executable}: {exc}")
            return False
        took = time.monotonic() - started
        if proc.returncode != 0:
            self.log(
                f"{adapter.executable} exited {proc.returncode} after {took:.1f}s: "
                f"{(proc.stderr or proc.stdout).strip()[-300:]}"
            )
            return False
        self.remember(adapter.conversation_from_output(proc.stdout, run))
        self.log(f"done in {took:.1f}s")
        if proc.stdout.strip():
            print(proc.stdout.strip(), flush=True)
        return True

    def sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < end:
            time.sleep(min(0.1, max(0.0, end - time.monotonic())))

    def loop(self, once: bool = False) -> int:
        from myco.client import ClientError

        failures = 0
        while not self.stopping:
            try:
                prompt = self.take()
            except (ClientError, ValueError) as exc:
                failures += 1
                if failures == 1:
                    self.log(f"daemon unavailable, retrying: {exc}")
                self.sleep(min(self.interval * 2 ** min(failures, 6), MAX_BACKOFF))
                continue
            if failures:
                self.log("daemon reachable again")
                failures = 0
            if prompt is None:
                self.sleep(self.interval)
                continue
            ok = self.deliver(prompt)
            if once:
                return 0 if ok else 1
        return 0


def _lock(path: Path) -> int | None:
    """Hold an exclusive lock for the worker's lifetime; None if another worker has it."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def run(args: argparse.Namespace) -> int:
    """``myco worker``."""
    from myco.cli import CommandError

    try:
        session = prepare(args, offline=True)  # the daemon may come later: we poll anyway
        plan = session.adapter.launch(session.request)
        session.env.update(plan.env)  # e.g. aider's shim comes in through the environment
        write_files(plan.files)
    except LaunchError as exc:
        raise CommandError(str(exc)) from None
    worker = Worker(session, args.interval)
    fd = _lock(worker.dir / f"{session.request.session}.lock")
    if fd is None:
        raise CommandError(f"another worker is already delivering to {session.request.session}")

    def stop(signum: int, frame: FrameType | None) -> None:
        worker.stopping = True  # a running turn finishes first

    signal.signal(signal.SIGTERM, stop)
    worker.log(
        f"polling {session.env['MYCO_URL']} every {worker.interval:g}s "
        f"(agent {session.adapter.name}, project {session.request.project_dir})"
    )
    try:
        return worker.loop(once=args.once)
    finally:
        os.close(fd)
