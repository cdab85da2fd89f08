"""``myco hook`` as the CLI runs it: a fresh process that always exits 0, fast."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from myco.agent_hooks.deadline import DEFAULT_BUDGET
from myco.launcher import HOOK_SCRIPT, hook_argv, myco_command
from tests.agent_hooks.fakes import FakeDaemon, free_port
from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call

pytestmark = pytest.mark.slow
STOP = {
    "session_id": "s1",
    "prompt_id": "p1",
    "hook_event_name": "Stop",
    "stop_hook_active": False,
    "last_assistant_message": "ok\n<myco>\nstart api\n</myco>",
}


def hook(
    event: str, payload: object, env: dict[str, str], agent: str = "claude-code"
) -> tuple[subprocess.CompletedProcess[str], float]:
    stdin = payload if isinstance(payload, str) else json.dumps(payload)
    started = time.monotonic()
    proc = subprocess.run(
        [*hook_argv(), "hook", agent, event],  # what `myco run` wires
        input=stdin,
        text=True,
        capture_output=True,
        env={**os.environ, **env},
        timeout=10,
    )
    return proc, time.monotonic() - started


#: The hook's own budget plus room for interpreter start-up on a loaded machine. A hook that
#: waited on a hanging daemon instead would run into ``hook()``'s 10 s timeout.
BOUNDED = DEFAULT_BUDGET + 1.5


def assert_harmless(proc: subprocess.CompletedProcess[str], took: float) -> None:
    assert proc.returncode == 0
    assert took < BOUNDED, took
    assert proc.stdout == "" or isinstance(json.loads(proc.stdout), dict)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"MYCO_TOKEN": TOKEN, "MYCO_SESSION": "FRONT", "MYCO_STATE_DIR": str(tmp_path / "st")}


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with DaemonProcess(tmp_path_factory.mktemp("hookd") / "data", "--quiet") as d:
        yield d.url


def test_real_daemon_gets_the_block_exactly_once_and_the_view_comes_back(
    env: dict[str, str], daemon: str
) -> None:
    env = {**env, "MYCO_URL": daemon, "MYCO_SESSION": "ONCE"}
    for _ in range(2):  # a doubly registered Stop hook
        proc, took = hook("stop", {**STOP, "prompt_id": "once-1"}, env)
        assert_harmless(proc, took)
    _, events = call(daemon, "GET", "/events", TOKEN)
    assert [e["line"] for e in events["events"] if e["session"] == "ONCE"] == ["start api"]
    proc, took = hook("prompt", {"prompt": "next", "session_id": "s1"}, env)
    assert_harmless(proc, took)
    out = json.loads(proc.stdout)["hookSpecificOutput"]
    assert out["hookEventName"] == "UserPromptSubmit"
    assert "# myco view — ONCE" in out["additionalContext"]


def test_a_url_without_a_scheme_reaches_the_daemon(env: dict[str, str], daemon: str) -> None:
    """Users write MYCO_URL=127.0.0.1:8000 as often as the full URL: the hooks accept it."""
    env = {**env, "MYCO_URL": daemon.removeprefix("http://"), "MYCO_SESSION": "BARE"}
    proc, took = hook("stop", {**STOP, "prompt_id": "bare-1"}, env)
    assert_harmless(proc, took)
    _, events = call(daemon, "GET", "/events", TOKEN)
    assert [e["line"] for e in events["events"] if e["session"] == "BARE"] == ["start api"]


@pytest.mark.parametrize("mode", ["down", "hang", "garbage", "error"])
@pytest.mark.parametrize("event", ["prompt", "stop"])
def test_a_broken_daemon_never_breaks_the_agent(env: dict[str, str], mode: str, event: str) -> None:
    fake = FakeDaemon().start()
    try:
        fake.mode = "ok" if mode == "down" else mode
        url = f"http://127.0.0.1:{free_port()}" if mode == "down" else fake.url
        proc, took = hook(
            event, STOP if event == "stop" else {"prompt": "hi"}, {**env, "MYCO_URL": url}
        )
        assert_harmless(proc, took)
        if event == "prompt":
            assert proc.stdout == ""  # no view, no noise
        else:
            assert "outbox" in json.loads(proc.stdout)["systemMessage"]
    finally:
        fake.stop()


@pytest.mark.parametrize("stdin", ["", "not json", "[1, 2]", '{"prompt": 5}'])
def test_bad_payloads_and_arguments_are_harmless(env: dict[str, str], stdin: str) -> None:
    env = {**env, "MYCO_URL": f"http://127.0.0.1:{free_port()}"}
    for args in (("prompt",), ("stop",), ("nonsense",)):
        assert_harmless(*hook(args[0], stdin, env))
    assert_harmless(*hook("stop", stdin, env, agent="no-such-agent"))
    proc = subprocess.run([*myco_command(), "hook"], capture_output=True, text=True, timeout=10)
    assert proc.returncode == 0 and proc.stdout == ""


def test_a_stdin_that_never_closes_still_ends_in_time(env: dict[str, str]) -> None:
    started = time.monotonic()
    proc = subprocess.Popen(
        [*myco_command(), "hook", "claude-code", "stop"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env={**os.environ, **env},
    )
    try:
        assert proc.wait(timeout=5) == 0
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert time.monotonic() - started < BOUNDED


@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_the_hook_path_imports_no_heavy_modules(
    env: dict[str, str], tmp_path: Path, cache: str
) -> None:
    """Neither the cached resolution nor the fallback for a built-in loads plugins."""
    if cache == "warm":  # what `myco run` leaves behind
        cache_env = {**os.environ, **env}
        subprocess.run([sys.executable, "-m", "myco.agent_hooks.plugin_cache"], env=cache_env)
        assert list((tmp_path / "st" / "plugins").glob("*.json"))
    probe = (
        "import sys, io\n"
        "from myco.cli import main\n"
        "sys.stdin = io.TextIOWrapper(io.BytesIO(sys.argv[1].encode()))\n"
        "main(['hook', 'claude-code', 'stop'])\n"
        "heavy = {'pluggy', 'attrs', 'aiohttp', 'cattrs', 'structlog', 'argparse',\n"
        "         'urllib.request', 'http.client', 'importlib.metadata', 'asyncio',\n"
        "         'subprocess', 'myco.plugins', 'encodings.idna',\n"
        # OpenSSL's bindings and the socket wrapper's enums: milliseconds of every start
        "         'hashlib', '_hashlib', 'socket', 'selectors'}\n"
        "print(sorted(heavy & set(sys.modules)), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(STOP)],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "MYCO_URL": f"http://127.0.0.1:{free_port()}"},
        timeout=10,
    )
    assert proc.stderr.strip().splitlines()[-1] == "[]"


#: what the interpreter does not load at start-up and a hook must not import: each costs
#: milliseconds of every turn (``re`` alone about 5 ms, ``typing`` 3 ms, ``pathlib`` 4 ms)
SLOW_STDLIB = frozenset(
    {
        "re",
        "enum",
        "functools",
        "collections",
        "typing",
        "pathlib",
        "json",
        "urllib.parse",
        "ipaddress",
        "contextlib",
        "signal",
        "shutil",
        "fnmatch",
        "importlib",
        "dataclasses",
        "inspect",
    }
)
AIDER_STOP = {"texts": ["<myco>\nsay x\n</myco>"], "turn_id": "t"}


@pytest.mark.parametrize(
    ("agent", "event", "payload"),
    [
        ("claude-code", "prompt", {"session_id": "s1", "prompt": "go"}),
        ("claude-code", "stop", STOP),
        ("claude-code", "session-start", {"session_id": "s1", "source": "startup"}),
        ("codex", "prompt", {"session_id": "s1", "prompt": "go"}),
        ("codex", "stop", {"turn_id": "t", "last_assistant_message": "<myco>\nsay x\n</myco>"}),
        ("aider", "prompt", {"deltas": True}),
        ("aider", "stop", AIDER_STOP),
    ],
)
def test_the_wired_hook_imports_nothing_slow(
    env: dict[str, str], daemon: str, agent: str, event: str, payload: dict[str, object]
) -> None:
    """The command `myco run` wires loads only modules that cost microseconds, daemon up.

    A hook is a fresh interpreter on every turn; what it imports is most of its cost.
    """
    assert hook_argv()[1:] == [HOOK_SCRIPT]
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", HOOK_SCRIPT, "hook", agent, event],
        input=json.dumps(payload),
        text=True,
        capture_output=True,
        env={**os.environ, **env, "MYCO_URL": daemon, "PYTHONPROFILEIMPORTTIME": "1"},
        timeout=10,
    )
    assert proc.returncode == 0
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "myco.agent_hooks.runtime" in imported  # the probe saw the hook's imports
    assert sorted(SLOW_STDLIB & imported) == []
