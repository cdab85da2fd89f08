"""myco-mcp: agents without hooks join the swarm through MCP; threads and search.

A third-party transport plugin (entry point ``mcp`` in the ``myco`` group). It implements:

* ``register_transports``: MCP over Streamable HTTP at ``/mcp`` on the daemon's port (the
  same bearer and session tokens), ``GET /search``, ``GET /threads`` and ``GET /threads/{id}``;
* ``register_view_sections``: ``THREADS``, data only (no markdown lines): the recent threads
  the viewer may see, for the JSON view and the dashboard's plugin panels;
* ``register_verbs``: an observer that puts asks, replies, reviews and their messages in
  threads (``state.extras["mcp"]``, rebuilt on replay);
* ``startup`` / ``tenant_loaded`` / ``events_ingested`` / ``tenant_evicted`` /
  ``shutdown``: a SQLite FTS5 index per tenant, caught up from the store when the tenant
  loads and kept current on ingest (also for events a replica follows), closed when the
  daemon evicts the tenant; at start-up, index files of tenants the store no longer has
  are deleted;
* ``register_serve_options``: ``--search-dir``;
* ``register_commands``: ``myco mcp SESSION`` (stdio bridge), ``myco search``,
  ``myco thread``;
* ``register_adapters``: ``myco run S DIR --agent opencode``.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from myco.cli.registry import CommandRegistry
    from myco.daemon import Daemon
    from myco.options import OptionRegistry
    from myco.protocol.events import Event
    from myco.registry import TransportRegistry, VerbRegistry, ViewSectionRegistry
    from myco.tenants import Tenant
    from myco_mcp.search import Library

__version__ = "0.1.0"
PLUGIN = "mcp"


def library_of(daemon: Daemon) -> Library:
    """The daemon's :class:`~myco_mcp.search.Library` (created on first use)."""
    from myco_mcp.search import Library
    from myco_mcp.settings import SEARCH_DIR

    found = daemon.extras.get(PLUGIN)
    if isinstance(found, Library):
        return found
    raw = str(SEARCH_DIR.value(daemon.config) or "")
    from pathlib import Path

    directory = None if raw == "memory" else Path(raw) if raw else daemon.config.data_dir / "search"
    library = daemon.extras[PLUGIN] = Library(daemon, directory)
    return library


def register_transports(transports: TransportRegistry) -> None:
    from myco_mcp.transport import McpTransport

    transports.add(McpTransport(library_of))


def register_verbs(verbs: VerbRegistry) -> None:
    from myco_mcp.threads import observe

    verbs.observe(observe)


def register_view_sections(sections: ViewSectionRegistry) -> None:
    from myco_mcp.panel import SECTION

    sections.add(SECTION)


def register_serve_options(options: OptionRegistry) -> None:
    from myco_mcp.settings import SEARCH_DIR

    options.add(SEARCH_DIR)


def startup(daemon: Daemon) -> None:
    library = library_of(daemon)
    library.prune(daemon.tenants.known_ids())  # the store's tenants are known by now
    for tenant in daemon.tenants:
        library.index_for(tenant)  # catches up from the store in the background


async def shutdown(daemon: Daemon) -> None:
    found = daemon.extras.get(PLUGIN)
    if found is not None:
        await found.close()


def events_ingested(tenant: Tenant, events: Sequence[Event]) -> None:
    library_of(tenant.daemon).ingested(tenant, events)


def tenant_loaded(tenant: Tenant) -> None:
    library_of(tenant.daemon).index_for(tenant)  # catches up from the store in the background


def tenant_evicted(tenant: Tenant) -> None:
    library_of(tenant.daemon).release(tenant)


def register_commands(commands: CommandRegistry) -> None:
    from myco_mcp.commands import COMMANDS

    for command in COMMANDS:
        commands.add(command)


def register_adapters(adapters: object) -> None:
    """Add the ``opencode`` adapter (to an ``AdapterRegistry``, or the hook path's stand-in)."""
    from myco_mcp.opencode import ADAPTER

    adapters.add(ADAPTER)  # type: ignore[attr-defined]


# Marked only where a plugin manager loads the module: ``myco hook`` may import it while
# looking for another adapter and must not pay for pluggy (as in myco-gemini).
if "pluggy" in sys.modules:
    from myco import hookimpl

    for _hook in (
        register_transports,
        register_verbs,
        register_view_sections,
        register_serve_options,
        startup,
        shutdown,
        events_ingested,
        tenant_loaded,
        tenant_evicted,
        register_commands,
        register_adapters,
    ):
        hookimpl(_hook)
