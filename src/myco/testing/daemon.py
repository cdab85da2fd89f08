"""A real daemon for integration tests: ``myco serve`` as a process on a free loopback port.

It loads the installed plugins exactly as a user's daemon does (entry points,
``MYCO_DISABLE_PLUGINS``/``MYCO_LOAD_PLUGINS`` from *env*), so a plugin's test proves that
it is packaged and selected, not only that its functions work::

    from myco.testing import DaemonProcess

    def test_my_verb(tmp_path):
        with DaemonProcess(tmp_path / "data") as daemon:
            daemon.post("ALICE", "lease db ttl:60")
            assert "## LEASES" in daemon.view("BOB")

Extra ``myco serve`` arguments follow the data directory
(``DaemonProcess(path, "--storage", "sqlite")``). The process is stopped (SIGTERM, then
SIGKILL) on exit; :meth:`kill` simulates a crash. The ``myco_daemon`` pytest fixture
(:mod:`myco.testing.pytest_plugin`) wraps one per test.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import selectors
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

LISTEN_RE = re.compile(r"myco listening on (http://\S+)")


def new_token() -> str:
    """A strong random token: with ``--tenants open`` (the default) it is a fresh tenant."""
    return "myco_" + secrets.token_urlsafe(32)


class DaemonProcess:
    """One daemon process; ``start`` waits (polling, with a deadline) until it listens.

    :param data_dir: the daemon's ``--data-dir`` (created when missing).
    :param args: more ``myco serve`` arguments.
    :param env: variables added to this process's environment for the daemon.
    :param token: the token :meth:`post`, :meth:`view` and :meth:`request` use by default
        (a new random one, hence a new empty tenant, when omitted).
    """

    def __init__(
        self,
        data_dir: Path,
        *args: str,
        env: dict[str, str] | None = None,
        token: str | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.args = args
        self.env = {**os.environ, **(env or {})}
        self.token = token or new_token()
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.stderr_path = data_dir.parent / f"daemon-{os.getpid()}-{id(self)}.stderr"

    def start(self, timeout: float = 20.0) -> str:
        """Start the daemon and wait until it listens; returns its URL.

        Starting again after :meth:`stop` or :meth:`kill` reuses the data directory.
        """
        if self.proc is not None:
            self.stop()  # a killed process: release its pipe and log file
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "myco",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(self.data_dir),
            *self.args,
        ]
        self.stderr_file = self.stderr_path.open("ab")
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=self.stderr_file, env=self.env
        )
        try:
            self.url = self._wait_listening(timeout)
        except BaseException:
            self.stop()  # kill it if it runs, release its pipe and log file
            raise
        return self.url

    def _wait_listening(self, timeout: float) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        buf = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"daemon exited with {self.proc.returncode}: {self.stderr()}"
                    )
                if sel.select(timeout=0.1):
                    buf += os.read(self.proc.stdout.fileno(), 4096)
                    m = LISTEN_RE.search(buf.decode(errors="replace"))
                    if m:
                        return m.group(1)
        raise TimeoutError(f"daemon did not listen within {timeout}s: {self.stderr()}")

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to flush or clean up."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM and wait; returns the exit code (SIGKILL after *timeout*)."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.stderr_file.close()
        return self.proc.returncode

    # -- talking to it, as tenant ``self.token`` unless told otherwise ------------------
    def request(
        self, method: str, path: str, payload: Any = None, *, token: str | None = None
    ) -> tuple[int, Any]:
        """One HTTP request; returns (status, parsed JSON or text)."""
        return call(self.url, method, path, self.token if token is None else token, payload)

    def post(self, session: str, *lines: str, token: str | None = None) -> dict[str, Any]:
        """``POST /events``; raises AssertionError (with the daemon's answer) unless 200."""
        payload = {"session": session, "events": list(lines)}
        status, body = self.request("POST", "/events", payload, token=token)
        assert status == 200, f"POST /events answered {status}: {body}"
        return body  # type: ignore[no-any-return]

    def view(self, session: str, fmt: str = "markdown", *, token: str | None = None) -> Any:
        """``GET /view/SESSION`` (markdown text, or parsed JSON with ``fmt="json"``)."""
        path = f"/view/{urllib.parse.quote(session, safe='')}?format={fmt}"
        status, body = self.request("GET", path, token=token)
        assert status == 200, f"GET {path} answered {status}: {body}"
        return body

    def events(self, *, token: str | None = None) -> list[dict[str, Any]]:
        """Every stored event of the tenant, oldest first (``GET /events``)."""
        status, body = self.request("GET", "/events", token=token)
        assert status == 200, f"GET /events answered {status}: {body}"
        return body["events"]  # type: ignore[no-any-return]

    def restart(self, timeout: float = 20.0) -> str:
        """Stop (SIGTERM) and start again on the same data; returns the new URL."""
        self.stop()
        return self.start(timeout)

    def __enter__(self) -> DaemonProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def call(
    url: str, method: str, path: str, token: str, payload: Any = None, timeout: float = 10.0
) -> tuple[int, Any]:
    """One HTTP request; returns (status, parsed JSON or text)."""
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(url + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
            status = resp.status
            ctype = resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        body, status, ctype = exc.read(), exc.code, exc.headers.get("Content-Type", "")
    if ctype.startswith("application/json"):
        return status, json.loads(body)
    return status, body.decode()
