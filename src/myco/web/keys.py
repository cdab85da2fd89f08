"""Typed keys for values stored on the application and on requests."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from myco.auth.actor import Actor
from myco.daemon import Daemon

DAEMON: Final = web.AppKey("daemon", Daemon)
PUBLIC_ROUTES: Final = web.AppKey("public_routes", set[str])
ACTOR: Final = web.RequestKey("actor", Actor)
SESSION: Final = web.RequestKey("session", str)


def actor_of(request: web.Request) -> Actor:
    return request[ACTOR]


def daemon_of(request: web.Request) -> Daemon:
    return request.app[DAEMON]
