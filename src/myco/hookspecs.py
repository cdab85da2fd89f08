"""Every hook a myco plugin can implement.

Hooks are grouped by lifecycle. Registration hooks are called once, synchronously, while
the daemon (or the CLI) is built; they receive a typed registry and add to it. Hooks that
may do I/O (``authenticate``, ``startup``, ``shutdown``) may be ``async def``: the caller
awaits every result in registration order.

Evolution policy: arguments may be added (pluggy passes only those an implementation
asks for); nothing is renamed or removed without a deprecation release.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from aiohttp import web

    from myco.auth.actor import Actor
    from myco.daemon import Daemon
    from myco.protocol.events import Event
    from myco.registry import (
        AdapterRegistry,
        RendererRegistry,
        StorageRegistry,
        TransportRegistry,
        VerbRegistry,
    )
    from myco.tenants import Tenant

hookspec = pluggy.HookspecMarker("myco")
hookimpl = pluggy.HookimplMarker("myco")


# -- registration ---------------------------------------------------------------------


@hookspec
def register_verbs(verbs: VerbRegistry) -> None:
    """Add protocol verbs.

    Called once when the verb registry is built (daemon start, :class:`myco.testing.Swarm`).

    :param verbs: call ``verbs.add(VerbSpec(...))`` for each verb, ``verbs.observe(fn)``
        to see every applied event. A name another plugin registered is an error unless
        ``replace=True`` is passed.

    Return value ignored.

    .. versionadded:: 0.1
    """


@hookspec
def register_renderers(renderers: RendererRegistry) -> None:
    """Add view formats (``GET /view/{session}?format=NAME``).

    :param renderers: call ``renderers.add(Renderer(name, render, content_type))``.
        The built-ins are ``markdown`` (worker and DIRECTOR views) and ``json``.

    Return value ignored.

    .. versionadded:: 0.1
    """


@hookspec
def register_storage(backends: StorageRegistry) -> None:
    """Add storage backends selectable with ``myco serve --storage NAME``.

    :param backends: call ``backends.add(StorageBackend(name, factory))``; the factory
        receives the daemon :class:`~myco.config.Config` and returns an object following
        :class:`myco.storage.contract.Storage`.

    Return value ignored.

    .. versionadded:: 0.1
    """


@hookspec
def register_adapters(adapters: AdapterRegistry) -> None:
    """Add agent-CLI adapters (Claude Code, Codex, Aider, ...).

    :param adapters: call ``adapters.add(adapter)`` with an object following
        :class:`myco.adapters.Adapter`.

    Return value ignored.

    .. versionadded:: 0.1
    """


@hookspec
def register_transports(transports: TransportRegistry) -> None:
    """Add transports: ways events and views travel (the HTTP API is one).

    :param transports: call ``transports.add(transport)`` with an object following
        :class:`myco.transports.Transport`; its ``setup(app, daemon)`` adds routes and
        background tasks to the daemon's aiohttp application.

    Return value ignored.

    .. versionadded:: 0.1
    """


# -- requests -------------------------------------------------------------------------


@hookspec
def authenticate(request: web.Request, daemon: Daemon) -> Actor | Awaitable[Actor | None] | None:
    """Turn a request into an :class:`~myco.auth.actor.Actor` (tenant + acting session).

    Called for every request to a route that needs authentication. Results are awaited
    in order; the first non-None actor wins. Raise :class:`myco.auth.actor.AuthError` to
    refuse the request with its status and message.

    .. versionadded:: 0.1
    """


# -- lifecycle ------------------------------------------------------------------------


@hookspec
def startup(daemon: Daemon) -> Awaitable[None] | None:
    """The daemon has opened its storage and loaded its tenants; may be async.

    .. versionadded:: 0.1
    """


@hookspec
def shutdown(daemon: Daemon) -> Awaitable[None] | None:
    """The daemon is stopping; storage is still open. May be async.

    .. versionadded:: 0.1
    """


@hookspec
def events_ingested(tenant: Tenant, events: Sequence[Event]) -> None:
    """New events were stored and applied to *tenant*'s state.

    Called after every accepted ``POST /events`` (and for events a replica learns from
    the store), with the events in sequence order. Keep it fast: it runs on the ingest
    path. Return value ignored.

    .. versionadded:: 0.1
    """
