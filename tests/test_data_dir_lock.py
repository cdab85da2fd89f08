"""The data-directory lock belongs to the file store's ``open`` (no longer to ``myco serve``).

One daemon process per data directory; ``myco token add`` uses the lock to warn when no
daemon is using the directory it writes to (issue 11: tokens added to the default
directory while the daemon ran elsewhere).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from myco.cli import main
from myco.config import Config
from myco.daemon import ConfigError
from myco.default_plugins.storage_file import FileStorage
from myco.storage import lock
from tests.conftest import TOKEN, TOKEN2

HOLD = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
print("held", flush=True)
sys.stdin.read()
"""


async def test_the_file_store_locks_while_open(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path / "data")
    first, second = FileStorage(config), FileStorage(config)
    assert not lock.in_use(config.data_dir)
    await first.open()
    assert lock.in_use(config.data_dir)
    await second.open()  # the same process shares the lock (a reader, in tests)
    await first.close()
    assert lock.in_use(config.data_dir)
    await second.close()
    assert not lock.in_use(config.data_dir)


def test_another_process_holding_the_directory_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()

    async def open_and_close() -> None:
        store = FileStorage(Config(data_dir=data))
        try:
            await store.open()
        finally:
            await store.close()

    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data / ".myco.lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline() == "held\n"
            assert lock.in_use(data)
            with pytest.raises(ConfigError, match=f"already using {data}$"):
                asyncio.run(open_and_close())
        finally:
            holder.kill()
            holder.wait(timeout=10)


async def test_token_add_says_when_no_daemon_uses_the_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert main(["token", "add", TOKEN, "--data-dir", str(data)]) == 0
    out = capsys.readouterr()
    assert f"in {data / 'tokens'}" in out.out
    assert out.err.startswith(f"note: no myco daemon is using {data} (--data-dir) right now")
    store = FileStorage(Config(data_dir=data))
    await store.open()
    try:
        assert main(["token", "add", TOKEN2, "--data-dir", str(data)]) == 0
    finally:
        await store.close()
    assert capsys.readouterr().err == ""


def test_token_add_follows_myco_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MYCO_DATA_DIR", str(tmp_path / "env-dir"))
    assert main(["token", "add", TOKEN]) == 0
    assert (tmp_path / "env-dir" / "tokens").exists()
    assert "(MYCO_DATA_DIR)" in capsys.readouterr().err
