"""The plugin's ``myco serve`` option (imported only by processes that serve)."""

from __future__ import annotations

from myco.options import Option

#: the plugin's name: its settings namespace and its key in ``daemon.extras``
PLUGIN = "mcp"

#: ``--search-dir`` / ``$MYCO_SEARCH_DIR``
SEARCH_DIR = Option(
    PLUGIN,
    "search_dir",
    "directory of the full-text search indexes, one SQLite file per tenant, rebuilt from "
    "the log when missing (default: DATA_DIR/search; `memory` keeps them in memory)",
    default="",
    metavar="DIR",
)
