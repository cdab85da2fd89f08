"""The e2e suite's CLI installs: once per run under a lock, killed when hung, explained.

These run in the unit suite with stand-in installer commands (Python one-liners), so the
lock, the stall and timeout kills and the failure messages are checked without npm.
"""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.e2e import install
from tests.e2e.install import InstallError

ROOT = Path(__file__).resolve().parent.parent

#: a process that installs "tool" through install_once; the install appends to a log
WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tests.e2e import install

    log, target, outcome = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

    def work():
        with log.open("a") as f:
            f.write("installed\\n")
        time.sleep(1.0)  # long enough for the other process to wait on the lock
        if outcome == "fail":
            raise install.InstallError("npm tool@1: UNABLE_TO_GET_ISSUER_CERT_LOCALLY")
        target.write_text("ok")

    try:
        install.install_once("tool", "npm tool@1", target.exists, work, timeout=30)
    except install.InstallError as exc:
        print(exc)
        sys.exit(3)
    """
)


def start_worker(tmp_path: Path, outcome: str = "ok") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(tmp_path / "log"), str(tmp_path / "tool"), outcome],
        cwd=ROOT,
        env={**os.environ, "MYCO_E2E_CACHE": str(tmp_path / "cache")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, out, err


def wait_for(path: Path, deadline_s: float = 20.0) -> None:
    deadline = time.monotonic() + deadline_s
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_parallel_runs_install_once_and_share_the_result(tmp_path: Path) -> None:
    first = start_worker(tmp_path)
    wait_for(tmp_path / "log")  # the first holds the lock now
    second = start_worker(tmp_path)
    results = [finish(first), finish(second)]
    assert [r[0] for r in results] == [0, 0], results
    assert (tmp_path / "log").read_text() == "installed\n"  # one install, not two
    assert "installed by another process; reusing it" in results[1][2]
    assert "waiting for another process" in results[1][2]


def test_a_failure_is_not_retried_by_the_process_that_waited(tmp_path: Path) -> None:
    first = start_worker(tmp_path, "fail")
    wait_for(tmp_path / "log")
    second = start_worker(tmp_path, "fail")
    (code1, out1, _), (code2, out2, _) = finish(first), finish(second)
    assert code1 == code2 == 3
    assert "UNABLE_TO_GET_ISSUER_CERT_LOCALLY" in out1
    assert "UNABLE_TO_GET_ISSUER_CERT_LOCALLY" in out2 and "another process" in out2
    assert (tmp_path / "log").read_text() == "installed\n"
    # a later run (nobody waiting) tries again: the cause may have been fixed since
    code3, _, _ = finish(start_worker(tmp_path, "ok"))
    assert code3 == 0 and (tmp_path / "log").read_text() == "installed\n" * 2


def test_a_silent_installer_is_killed_with_its_last_words(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    script = (
        f"import os, time, pathlib; pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()));"
        " print('npm http fetch GET 200 tool 12ms', flush=True); time.sleep(120)"
    )
    started = time.monotonic()
    with pytest.raises(InstallError) as failure:
        install.run([sys.executable, "-c", script], "npm tool@1", timeout=60, stall=1.5)
    assert time.monotonic() - started < 20
    message = str(failure.value)
    assert message.startswith("npm tool@1: ")
    assert "printed nothing for 2s" in message and "npm http fetch GET 200 tool" in message
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)  # gone, not left running


def test_a_chatty_installer_still_stops_at_the_timeout(tmp_path: Path) -> None:
    script = "import time\nwhile True:\n    print('fetch', flush=True); time.sleep(0.1)"
    with pytest.raises(InstallError, match=r"timed out after 1s; its last output:\nfetch"):
        install.run([sys.executable, "-c", script], "pip tool", timeout=1, stall=30)


def test_a_failing_installer_quotes_its_error(tmp_path: Path) -> None:
    script = (
        "import sys; print('npm error code UNABLE_TO_GET_ISSUER_CERT_LOCALLY', file=sys.stderr);"
        " sys.exit(1)"
    )
    with pytest.raises(InstallError) as failure:
        install.run([sys.executable, "-c", script], "npm tool@1", timeout=30)
    assert "exited with status 1" in str(failure.value)
    assert str(failure.value).endswith("npm error code UNABLE_TO_GET_ISSUER_CERT_LOCALLY")


def test_a_missing_installer_is_an_install_error(tmp_path: Path) -> None:
    with pytest.raises(InstallError, match="cannot start"):
        install.run([str(tmp_path / "no-npm")], "npm tool@1", timeout=5)


# -- what tox passes to the installers --------------------------------------------------

NETWORK_VARIABLES = [
    "NODE_EXTRA_CA_CERTS",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "PIP_*",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "npm_config_*",
]


def test_tox_passes_the_ca_and_proxy_variables() -> None:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    passed = tox["testenv"]["pass_env"].split()
    missing = [v for v in NETWORK_VARIABLES if v not in passed]
    assert not missing, f"tox.ini [testenv] pass_env lacks {missing}"
    for env in ("e2e", "browser", "docs"):  # they inherit pass_env: none may replace it
        assert "pass_env" not in tox[f"testenv:{env}"], env
