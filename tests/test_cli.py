"""The ``myco`` command line against a real daemon process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from myco.auth.tokens import new_token
from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess

pytestmark = pytest.mark.slow


def myco(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "myco", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        input=stdin,
        timeout=60,
    )


@pytest.fixture(scope="module")
def daemon_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("cli") / "data"
    with DaemonProcess(data, "--quiet") as d:
        yield d.url


def env_for(url: str, session: str = "ALICE") -> dict[str, str]:
    return {"MYCO_URL": url, "MYCO_TOKEN": TOKEN, "MYCO_SESSION": session}


def test_post_view_status(daemon_url: str) -> None:
    env = env_for(daemon_url)
    posted = myco("post", "ALICE", "start cli-work", "need BOB.api", env=env)
    assert posted.returncode == 0, posted.stderr
    assert json.loads(posted.stdout)["count"] == 2
    view = myco("view", env=env)
    assert view.returncode == 0
    assert "# myco view — ALICE" in view.stdout and "Blocked by: BOB.api" in view.stdout
    status = myco("status", env=env)
    assert json.loads(status.stdout)["sessions"]["ALICE"]["action"] == "start cli-work"


def test_post_prints_lint_warnings_on_stderr(daemon_url: str) -> None:
    out = myco("post", "BOB", "reply ALICE unsolicited", env=env_for(daemon_url, "BOB"))
    assert out.returncode == 0
    assert "warning: reply ALICE: no pending ask" in out.stderr


def test_msg_put_and_get_acknowledges(daemon_url: str, tmp_path: Path) -> None:
    env = env_for(daemon_url, "CAROL")
    body = tmp_path / "spec.md"
    body.write_text("# the contract\n")
    put = myco("msg", "put", "CLI-001.md", str(body), env=env)
    assert put.returncode == 0, put.stderr
    again = myco("msg", "put", "CLI-001.md", "-", env=env, stdin="x")
    assert again.returncode == 1
    assert again.stderr.strip() == "myco: 409: msg already exists"
    got = myco("msg", "get", "CLI-001.md", env=env)
    assert got.stdout == "# the contract\n"


def test_client_errors_are_one_line_without_traceback(daemon_url: str) -> None:
    bad_session = myco("post", "../x", "start x", env=env_for(daemon_url))
    assert bad_session.returncode == 1
    assert bad_session.stderr.startswith("myco: 400: invalid session name")
    down = myco(
        "view", "ALICE", env={**env_for("http://127.0.0.1:9"), "MYCO_URL": "http://127.0.0.1:9"}
    )
    assert down.returncode == 1
    assert down.stderr.startswith("myco: cannot reach the myco daemon at http://127.0.0.1:9")
    assert "start it with `myco serve`, or set MYCO_URL" in down.stderr
    assert len(down.stderr.strip().splitlines()) == 1
    no_session = myco("view", env={"MYCO_SESSION": "", "MYCO_URL": daemon_url})
    assert no_session.returncode == 1
    assert "MYCO_SESSION" in no_session.stderr
    for result in (bad_session, down, no_session):
        assert "Traceback" not in result.stderr


def test_token_new_and_add(tmp_path: Path) -> None:
    new = myco("token", "new")
    token = new.stdout.strip()
    assert new.returncode == 0 and len(token) >= 32
    added = myco("token", "add", token, "--data-dir", str(tmp_path))
    assert added.returncode == 0, added.stderr
    assert token not in (tmp_path / "tokens").read_text()
    weak = myco("token", "add", "short", "--data-dir", str(tmp_path))
    assert weak.returncode == 1
    assert weak.stderr.strip() == "myco: token rejected: token too short (min 32 chars)"


def test_closed_daemon_accepts_only_registered_tokens(tmp_path: Path) -> None:
    data = tmp_path / "data"
    token = myco("token", "new").stdout.strip()
    assert myco("token", "add", token, "--data-dir", str(data)).returncode == 0
    with DaemonProcess(data, "--tenants", "closed", "--quiet") as d:
        ok = myco("view", "ALICE", env={"MYCO_URL": d.url, "MYCO_TOKEN": token})
        assert ok.returncode == 0
        other = myco("view", "ALICE", env=env_for(d.url))
        assert other.returncode == 1 and "token rejected" in other.stderr


def test_unknown_storage_is_a_clear_error(tmp_path: Path) -> None:
    # only the built-in stores (installed plugins such as myco-sqlite would add theirs)
    builtin = {"MYCO_LOAD_PLUGINS": ""}
    out = myco("serve", "--storage", "nope", "--data-dir", str(tmp_path), env=builtin)
    assert out.returncode == 1
    assert out.stderr.strip() == "myco: unknown storage backend 'nope' (installed: file, redis)"


def test_no_command_prints_usage() -> None:
    out = myco()
    assert out.returncode == 2 and "usage: myco" in out.stderr


def test_second_daemon_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with DaemonProcess(data, "--quiet"):
        out = myco("serve", "--port", "0", "--data-dir", str(data))
    assert out.returncode == 1
    assert out.stderr.strip() == f"myco: another myco daemon is already using {data}"


def test_bad_trusted_proxy_is_a_clear_error(tmp_path: Path) -> None:
    out = myco("serve", "--trusted-proxy", "nope", "--data-dir", str(tmp_path))
    assert out.returncode == 1
    assert out.stderr.strip() == "myco: --trusted-proxy: not an IP address or network: 'nope'"


# -- the first hour: mistakes a new user makes ------------------------------------------


def test_a_new_token_says_it_created_a_swarm_and_status_says_why_empty(daemon_url: str) -> None:
    typo = {**env_for(daemon_url), "MYCO_TOKEN": new_token()}
    status = myco("status", env=typo)
    assert status.returncode == 0
    sessions = json.loads(status.stdout)["sessions"]
    assert [s["last_seen"] for s in sessions.values()] == [None]  # only DIRECTOR, never seen
    notes = status.stderr.strip().splitlines()
    assert notes[0].startswith("myco: new swarm created for this token")
    assert "check MYCO_TOKEN" in notes[0]
    assert notes[1].startswith("myco: this swarm is empty: it was created just now.")
    assert daemon_url in notes[1] and len(notes) == 2
    again = myco("status", env=typo)
    assert again.stderr.strip().startswith("myco: this swarm is empty: no session has posted")
    assert "new swarm" not in again.stderr
    posted = myco("post", "ALICE", "start x", env=typo)
    assert posted.returncode == 0 and posted.stderr == ""
    assert myco("status", env=typo).stderr == ""  # not empty any more: nothing to explain


def test_missing_token_names_the_variable(daemon_url: str) -> None:
    out = myco("view", "ALICE", env={**env_for(daemon_url), "MYCO_TOKEN": ""})
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "myco: no token: set MYCO_TOKEN to your swarm's token "
        "(`export MYCO_TOKEN=$(myco token new)` starts a new swarm)"
    )


def test_url_without_a_scheme_is_accepted(daemon_url: str) -> None:
    bare = daemon_url.removeprefix("http://") + "/"
    out = myco("post", "ALICE", "say bare-url", env={**env_for(daemon_url), "MYCO_URL": bare})
    assert out.returncode == 0, out.stderr
    other = myco("view", env={**env_for(daemon_url), "MYCO_URL": "ftp://127.0.0.1:1"})
    assert other.returncode == 1
    assert "must start with http:// or https://" in other.stderr


def test_a_mistyped_verb_gets_a_suggestion(daemon_url: str) -> None:
    out = myco("post", "ALICE", "strat x", env=env_for(daemon_url))
    assert out.returncode == 0
    assert "unknown verb 'strat'" in out.stderr and "Did you mean `start`?" in out.stderr


def test_missing_msg_hint_speaks_cli_and_is_printed_once(daemon_url: str) -> None:
    out = myco(
        "post",
        "DAVE",
        "ask ALICE q spec:msg/DAVE-9.md",
        "say see spec:msg/DAVE-9.md",
        env=env_for(daemon_url, "DAVE"),
    )
    assert out.returncode == 0
    assert "warning" not in json.loads(out.stdout) and "DAVE-9" not in out.stdout
    assert out.stderr.count("spec:msg/DAVE-9.md referenced") == 1
    assert "`myco msg put DAVE-9.md FILE`" in out.stderr
