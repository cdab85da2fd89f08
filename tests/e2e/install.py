"""Install the pinned agent CLIs for the e2e tests: once per run, visibly, failing fast.

A machine whose npm needs a CA bundle or a proxy from the environment used to hang the
suite twice for ten minutes with nothing on screen. Here every install

- runs under a file lock in the cache, so parallel tox envs or xdist workers install a CLI
  once: the others wait, then reuse it (or, if it failed while they waited, fail with the
  same reason instead of trying again);
- reports progress on the terminal (through pytest's capture) every few seconds;
- is killed when it prints nothing for ``stall`` seconds or runs past ``timeout``, and fails
  with the tail of the installer's own output: the real cause (a TLS error, a proxy refusal).

Standard library only; :func:`say` is pointed at pytest's terminal by ``tests/e2e/conftest.py``.
"""

from __future__ import annotations

import collections
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

#: seconds without any output after which an installer counts as hung
STALL_TIMEOUT = 150.0
#: how often a running install reports that it is still going
PROGRESS_EVERY = 15.0
#: lines of the installer's output quoted in a failure
TAIL_LINES = 25
#: npm options that turn a network problem into a quick, explained failure
NPM_FAIL_FAST = (
    "--fetch-timeout=30000",
    "--fetch-retries=2",
    "--fetch-retry-mintimeout=2000",
    "--fetch-retry-maxtimeout=10000",
    "--prefer-offline",
    "--no-audit",
    "--no-fund",
    "--no-update-notifier",
    "--loglevel=http",
)
#: pip options with the same purpose (progress lines stay: "Collecting ...")
PIP_FAIL_FAST = ("--timeout", "30", "--retries", "2", "--progress-bar", "off")


class InstallError(Exception):
    """An install that failed or hung; the message carries the installer's own words."""


def _default_say(message: str) -> None:
    print(f"[e2e install] {message}", file=sys.stderr, flush=True)


#: where progress goes; the e2e conftest replaces it with pytest's terminal writer
say: Callable[[str], None] = _default_say


def cache_dir() -> Path:
    explicit = os.environ.get("MYCO_E2E_CACHE")
    return Path(explicit) if explicit else Path.home() / ".cache" / "myco-e2e"


@contextmanager
def file_lock(path: Path, what: str, timeout: float) -> Iterator[bool]:
    """Hold an exclusive lock on *path*; yields whether another process held it first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        waited = False
        deadline = time.monotonic() + timeout
        next_note = 0.0
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                now = time.monotonic()
                if now > deadline:
                    raise InstallError(
                        f"{what}: another process held the install lock {path} for over "
                        f"{timeout:.0f}s"
                    ) from None
                if now >= next_note:
                    say(f"{what}: waiting for another process that is installing it")
                    next_note = now + PROGRESS_EVERY
                waited = True
                time.sleep(0.2)
        try:
            yield waited
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def install_once(
    name: str,
    what: str,
    ready: Callable[[], bool],
    install: Callable[[], None],
    *,
    timeout: float,
) -> None:
    """Make ``ready()`` true by calling *install*, at most once across processes.

    *name* keys the lock and the failure record in the cache; *what* names the package in
    messages. Raises :class:`InstallError` with the cause.
    """
    if ready():
        return
    locks = cache_dir() / ".locks"
    failed = locks / f"{name}.failed"
    started = time.time()
    # the lock may be held by an install that itself runs up to *timeout*
    with file_lock(locks / f"{name}.lock", what, timeout + 60) as waited:
        if ready():
            if waited:
                say(f"{what}: installed by another process; reusing it")
            return
        if waited:
            reason = _failure_since(failed, started)
            if reason:
                raise InstallError(f"{reason} (failed in another process of this run)")
        say(f"{what}: installing into {cache_dir()} (first use; reused afterwards)")
        begun = time.monotonic()
        try:
            install()
            if not ready():
                raise InstallError(f"{what}: installed, but the program does not run")
        except InstallError as exc:
            failed.write_text(json.dumps({"reason": str(exc), "time": time.time()}))
            raise
        failed.unlink(missing_ok=True)
        say(f"{what}: installed in {time.monotonic() - begun:.0f}s")


def _failure_since(path: Path, since: float) -> str:
    """The reason recorded in *path* by an install that failed after *since* ('' if none)."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return ""
    if not isinstance(record, dict) or float(record.get("time", 0)) < since:
        return ""
    return str(record.get("reason", ""))


def run(
    argv: Sequence[str],
    what: str,
    *,
    timeout: float,
    stall: float = STALL_TIMEOUT,
    env: dict[str, str] | None = None,
) -> None:
    """Run installer *argv*, reporting progress; raise :class:`InstallError` on failure.

    Killed (its whole process group) after *timeout* seconds, or after *stall* seconds
    without a line of output. The error quotes the last lines the installer printed.
    """
    try:
        proc = subprocess.Popen(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        raise InstallError(f"{what}: cannot start {argv[0]}: {exc}") from None
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    seen = {"lines": 0, "last": time.monotonic()}

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            tail.append(line.rstrip())
            seen["lines"] += 1
            seen["last"] = time.monotonic()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    start = time.monotonic()
    next_note = start + PROGRESS_EVERY
    problem = ""
    while proc.poll() is None:
        now = time.monotonic()
        if now - start > timeout:
            problem = f"timed out after {timeout:.0f}s"
        elif now - seen["last"] > stall:
            problem = f"printed nothing for {stall:.0f}s (hung on the network?)"
        if problem:
            _kill(proc)
            break
        if now >= next_note:
            say(f"{what}: still installing ({now - start:.0f}s, {seen['lines']} lines of output)")
            next_note = now + PROGRESS_EVERY
        time.sleep(0.2)
    reader.join(timeout=5)
    if proc.stdout is not None and not reader.is_alive():
        proc.stdout.close()
    if not problem and proc.returncode != 0:
        problem = f"exited with status {proc.returncode}"
    if problem:
        quoted = "\n".join(tail) or "(no output)"
        raise InstallError(
            f"{what}: `{' '.join(argv[:2])} ...` {problem}; its last output:\n{quoted}"
        )


def _kill(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
