"""myco-sqlite: a SQLite storage backend for myco, as a separately installed plugin.

``myco serve --storage sqlite`` keeps every tenant in one database file,
``<data-dir>/myco.sqlite3`` (``--sqlite-path`` / ``MYCO_SQLITE_PATH`` chooses another file;
``--sqlite-sync full`` / ``MYCO_SQLITE_SYNC=full`` makes every commit reach the disk before
the daemon answers). Both are the plugin's own ``myco serve`` options (namespace
``sqlite``), declared with the ``register_serve_options`` hook.
The backend is :class:`~myco_sqlite.store.SQLiteStorage`; it passes myco's shipped storage
contract suite (:class:`myco.testing.StorageContract`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from myco import hookimpl
from myco.options import Option, OptionRegistry
from myco.registry import StorageBackend, StorageRegistry
from myco_sqlite.store import SQLiteStorage

if TYPE_CHECKING:
    from myco.config import Config

__all__ = ["SQLiteStorage", "make_storage", "register_serve_options", "register_storage"]
__version__ = "0.1.0"

FILENAME = "myco.sqlite3"

#: ``--sqlite-path`` / ``$MYCO_SQLITE_PATH`` (empty: ``<data-dir>/myco.sqlite3``)
PATH = Option(
    "sqlite",
    "sqlite_path",
    f"the database file of --storage sqlite (default <data-dir>/{FILENAME})",
    default="",
    metavar="FILE",
)
#: ``--sqlite-sync`` / ``$MYCO_SQLITE_SYNC``
SYNC = Option(
    "sqlite",
    "sqlite_sync",
    "full: every commit reaches the disk before the daemon answers; normal: a power loss "
    "may lose the last commits",
    default="normal",
    choices=("normal", "full"),
)


def make_storage(config: Config) -> SQLiteStorage:
    """The backend for a daemon configured by *config* (its data directory holds the file)."""
    path = PATH.value(config) or Path(config.data_dir) / FILENAME
    return SQLiteStorage(path, sync=SYNC.value(config))


@hookimpl
def register_storage(backends: StorageRegistry) -> None:
    """Offer the backend as ``myco serve --storage sqlite``."""
    backends.add(StorageBackend("sqlite", make_storage, "one SQLite database file"))


@hookimpl
def register_serve_options(options: OptionRegistry) -> None:
    """``--sqlite-path`` and ``--sqlite-sync`` (namespace ``sqlite``)."""
    options.add(PATH)
    options.add(SYNC)
