"""The HTTP side of :mod:`myco.policy`: a refusal becomes a JSON 403."""

from __future__ import annotations

from aiohttp import web

from myco import policy
from myco.web.errors import APIError
from myco.web.keys import actor_of


def ensure(request: web.Request, action: policy.Action, resource: policy.Resource = None) -> None:
    """:func:`myco.policy.ensure` for the request's actor; 403 with the reason when refused."""
    try:
        policy.ensure(actor_of(request), action, resource)
    except policy.Forbidden as exc:
        raise APIError(403, exc.message) from None
