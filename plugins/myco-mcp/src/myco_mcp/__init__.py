"""myco-mcp: agents without hooks join the swarm through MCP; threads and search.

A third-party transport plugin (entry point ``mcp`` in the ``myco`` group). It implements:

* ``register_transports``: MCP over Streamable HTTP at ``/mcp`` on the daemon's port (the
  same bearer and session tokens), ``GET /search`` and ``GET /threads/{id}``;
* ``register_verbs``: an observer that puts asks, replies, reviews and their messages in
  threads (``state.extras["mcp"]``, rebuilt on replay);
* ``startup`` / ``events_ingested`` / ``shutdown``: a SQLite FTS5 index per tenant, caught
  up from the store and kept current on ingest (also for events a replica follows);
* ``register_serve_options``: ``--search-dir``;
* ``register_commands``: ``myco mcp SESSION`` (stdio bridge), ``myco search``,
  ``myco thread``;
* ``register_adapters``: ``myco run S DIR --agent opencode``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from myco import hookimpl
from myco.options import Option, OptionRegistry

if TYPE_CHECKING:
    from myco.adapters import Adapter
    from myco.cli.registry import CommandRegistry
    from myco.daemon import Daemon
    from myco.protocol.events import Event
    from myco.registry import AdapterRegistry, TransportRegistry, VerbRegistry
    from myco.tenants import Tenant
    from myco_mcp.search import Library

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


def library_of(daemon: Daemon) -> Library:
    """The daemon's :class:`~myco_mcp.search.Library` (created on first use)."""
    from myco_mcp.search import Library

    found = daemon.extras.get(PLUGIN)
    if isinstance(found, Library):
        return found
    raw = str(SEARCH_DIR.value(daemon.config) or "")
    directory = None if raw == "memory" else Path(raw) if raw else daemon.config.data_dir / "search"
    library = daemon.extras[PLUGIN] = Library(daemon, directory)
    return library


@hookimpl
def register_transports(transports: TransportRegistry) -> None:
    from myco_mcp.transport import McpTransport

    transports.add(McpTransport(library_of))


@hookimpl
def register_verbs(verbs: VerbRegistry) -> None:
    from myco_mcp.threads import observe

    verbs.observe(observe)


@hookimpl
def register_serve_options(options: OptionRegistry) -> None:
    options.add(SEARCH_DIR)


@hookimpl
def startup(daemon: Daemon) -> None:
    library = library_of(daemon)
    for tenant in daemon.tenants:
        library.index_for(tenant)  # catches up from the store in the background


@hookimpl
async def shutdown(daemon: Daemon) -> None:
    found = daemon.extras.get(PLUGIN)
    if found is not None:
        await found.close()


@hookimpl
def events_ingested(tenant: Tenant, events: Sequence[Event]) -> None:
    library_of(tenant.daemon).ingested(tenant, events)


@hookimpl
def register_commands(commands: CommandRegistry) -> None:
    from myco_mcp.commands import COMMANDS

    for command in COMMANDS:
        commands.add(command)


@hookimpl
def register_adapters(adapters: AdapterRegistry) -> None:
    from myco_mcp.opencode import OpenCodeAdapter

    adapter: Adapter = OpenCodeAdapter()
    adapters.add(adapter)
