"""myco-sqlite: a SQLite storage backend for myco, as a separately installed plugin.

``myco serve --storage sqlite`` keeps every tenant in one database file,
``<data-dir>/myco.sqlite3`` (``MYCO_SQLITE_PATH`` chooses another file;
``MYCO_SQLITE_SYNC=full`` makes every commit reach the disk before the daemon answers).
The backend is :class:`~myco_sqlite.store.SQLiteStorage`; it passes myco's shipped storage
contract suite (:class:`myco.testing.StorageContract`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from myco import hookimpl
from myco.registry import StorageBackend, StorageRegistry
from myco_sqlite.store import SQLiteStorage

if TYPE_CHECKING:
    from myco.config import Config

__all__ = ["SQLiteStorage", "make_storage", "register_storage"]
__version__ = "0.1.0"

FILENAME = "myco.sqlite3"


def make_storage(config: Config) -> SQLiteStorage:
    """The backend for a daemon configured by *config* (its data directory holds the file)."""
    path = os.environ.get("MYCO_SQLITE_PATH") or Path(config.data_dir) / FILENAME
    return SQLiteStorage(path, sync=os.environ.get("MYCO_SQLITE_SYNC", "normal"))


@hookimpl
def register_storage(backends: StorageRegistry) -> None:
    """Offer the backend as ``myco serve --storage sqlite``."""
    backends.add(StorageBackend("sqlite", make_storage, "one SQLite database file"))
