"""plugins/myco-sqlite: a third-party store, tested with what myco ships for authors.

The contract suite comes from ``myco.testing`` (as a plugin outside this repository would
import it); a real ``myco serve --storage sqlite`` restarts and serves the same view.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import pytest

from myco.cli import build_parser
from myco.config import Config
from myco.plugins import Hooks, make_plugin_manager
from myco.storage.contract import Snapshots, Storage
from myco.testing import DaemonProcess, StorageContract
from myco.testing.storage import TS, A, Reopen, collect, opening

# installed by tox (commands_pre); by hand: pip install -e plugins/myco-sqlite
myco_sqlite = pytest.importorskip("myco_sqlite")
SQLiteStorage = myco_sqlite.SQLiteStorage
make_storage = myco_sqlite.make_storage


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "myco.sqlite3"


class TestSQLiteStorage(StorageContract):
    """The whole shipped contract."""

    @pytest.fixture
    async def storage(self, db: Path) -> AsyncIterator[Storage]:
        store = SQLiteStorage(db)
        await store.open()
        yield store
        await store.close()

    @pytest.fixture
    async def reopen(self, db: Path) -> AsyncIterator[Reopen]:
        async with opening(lambda: SQLiteStorage(db)) as open_one:
            yield open_one


def test_the_entry_point_offers_the_backend(tmp_path: Path) -> None:
    backends = Hooks(make_plugin_manager()).register_storage()
    assert backends.owner("sqlite") == "sqlite"
    store = backends.get("sqlite").factory(Config(data_dir=tmp_path))  # type: ignore[union-attr]
    assert isinstance(store, SQLiteStorage) and isinstance(store, Storage)
    assert isinstance(store, Snapshots)
    assert store.path == tmp_path / "myco.sqlite3" and store.sync == "NORMAL"
    elsewhere = str(tmp_path / "elsewhere.db")
    config = Config(data_dir=tmp_path).with_settings("sqlite", sqlite_path=elsewhere)
    assert make_storage(config).path == tmp_path / "elsewhere.db"
    blocked = Hooks(make_plugin_manager(env={"MYCO_DISABLE_PLUGINS": "sqlite"}))
    assert "sqlite" not in blocked.register_storage()


def test_the_plugin_owns_its_serve_options() -> None:
    plugins = Hooks(make_plugin_manager())
    options = plugins.register_serve_options()
    args = build_parser(plugins).parse_args(["serve", "--sqlite-sync", "full"])
    values = options.resolve({"MYCO_SQLITE_PATH": "/srv/myco.db"}, args)
    assert values["sqlite"] == {"sqlite_path": "/srv/myco.db", "sqlite_sync": "full"}
    config = Config(plugins=values)
    store = make_storage(config)
    assert store.path == Path("/srv/myco.db") and store.sync == "FULL"
    blocked = Hooks(make_plugin_manager(env={"MYCO_DISABLE_PLUGINS": "sqlite"}))
    assert "sqlite" not in blocked.register_serve_options().namespaces()


async def test_snapshots_round_trip_and_replay_resumes_after_them(db: Path) -> None:
    store = SQLiteStorage(db)
    await store.open()
    try:
        await store.create_tenant(A)
        assert await store.load_snapshot(A) is None
        written = await store.append(A, "ALICE", ["start a", "start b", "start c"], TS)
        await store.save_snapshot(A, written[1].seq, b"\x00state")
        await store.save_snapshot(A, written[1].seq, b"\x00state v2")
        assert await store.load_snapshot(A) == (written[1].seq, b"\x00state v2")
        assert await collect(store, A, after_seq=written[1].seq) == written[2:]
    finally:
        await store.close()


async def test_a_failed_append_leaves_the_log_and_the_seqs_untouched(db: Path) -> None:
    store = SQLiteStorage(db)
    await store.open()
    try:
        await store.create_tenant(A)
        first = await store.append(A, "ALICE", ["start a"], TS)
        with pytest.raises(ValueError, match="blank"):
            await store.append(A, "ALICE", ["start b", "  "], TS)
        again = await store.append(A, "ALICE", ["start c"], TS)
        assert again[0].seq == first[0].seq + 1
    finally:
        await store.close()
    with closing(sqlite3.connect(db)) as raw:  # what is on disk is plain SQL
        assert raw.execute("SELECT line FROM records ORDER BY seq").fetchall() == [
            ("start a",),
            ("start c",),
        ]


def _ageless(view: str) -> str:
    """*view* with its ages (``last-seen 3s``, ``2min ago``) replaced by ``<age>``."""
    return re.sub(r"\b\d+(\.\d+)?(s|min|h|d)\b", "<age>", view)


@pytest.mark.slow
def test_a_sqlite_daemon_restarts_with_the_same_view(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with DaemonProcess(data, "--storage", "sqlite", "--quiet") as daemon:
        daemon.post("ALICE", "start login", "need db", "ask BOB which schema?")
        daemon.post("BOB", "up db addr:127.0.0.1:5432", "reply ALICE v2")
        daemon.post("DIRECTOR", "direct ALICE ship the login today")
        views = {s: _ageless(daemon.view(s)) for s in ("ALICE", "BOB", "DIRECTOR")}
        events = daemon.events()
        assert "login" in views["ALICE"] and "ship the login today" in views["ALICE"]
        daemon.restart()
        # the same views, but for ages: a restart can take more than a second
        assert {s: _ageless(daemon.view(s)) for s in views} == views
        assert daemon.events() == events
        daemon.kill()  # no clean shutdown: committed appends are still there
        daemon.start()
        assert daemon.events() == events
    assert (data / "myco.sqlite3").is_file()


@pytest.mark.slow
def test_a_real_daemon_uses_the_database_file_its_options_name(tmp_path: Path) -> None:
    db = tmp_path / "elsewhere" / "swarm.db"
    serve = ("--storage", "sqlite", "--sqlite-path", str(db), "--quiet")
    with DaemonProcess(tmp_path / "data", *serve, env={"MYCO_SQLITE_SYNC": "full"}) as daemon:
        daemon.post("ALICE", "start y")
    assert db.is_file() and not (tmp_path / "data" / "myco.sqlite3").exists()
    with closing(sqlite3.connect(db)) as raw:
        assert raw.execute("SELECT line FROM records").fetchall() == [("start y",)]
    bad = DaemonProcess(tmp_path / "data2", "--storage", "sqlite", "--sqlite-sync", "maybe")
    with pytest.raises(RuntimeError, match="sqlite-sync"):
        bad.start()
