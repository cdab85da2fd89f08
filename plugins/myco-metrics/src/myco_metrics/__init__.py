"""myco-metrics: the daemon's Prometheus metrics at ``GET /metrics``.

A complete third-party *route* plugin. It implements four hooks:

* ``register_transports``: a transport adding ``GET /metrics`` to the daemon's
  application, and documenting it in ``/openapi.json`` (``Transport.openapi``);
* ``register_serve_options``: ``--metrics-token`` / ``$MYCO_METRICS_TOKEN``, a bearer
  token scrapers must send (without it the route is public, like ``/healthz``);
* ``events_ingested``: counts the events this daemon applies;
* nothing else: tenants and sessions are read from the daemon at scrape time.

The numbers are daemon-wide, never per tenant: that is why the route does not take tenant
tokens (any tenant would see the others' totals) but a token of its own.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from myco import hookimpl
from myco.options import Option, OptionRegistry
from myco.registry import TransportRegistry

if TYPE_CHECKING:
    from aiohttp import web

    from myco.daemon import Daemon
    from myco.protocol.events import Event
    from myco.tenants import Tenant

PLUGIN = "metrics"
ROUTE = "metrics"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

#: ``--metrics-token`` / ``$MYCO_METRICS_TOKEN``
TOKEN = Option(
    PLUGIN,
    "metrics_token",
    "bearer token that GET /metrics requires; prefer the variable (default: no token, "
    "the route is public)",
    default="",
    metavar="TOKEN",
)


class SwarmCollector(Collector):
    """Gauges read at scrape time: nothing to keep up to date between scrapes."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    def collect(self) -> Iterator[Metric]:
        tenants = list(self.daemon.tenants)
        yield GaugeMetricFamily("myco_tenants", "tenants (swarms) loaded", value=len(tenants))
        yield GaugeMetricFamily(
            "myco_sessions",
            "sessions known across all tenants",
            value=sum(len(t.state.sessions) for t in tenants),
        )


class Metrics:
    """One daemon's metrics (kept in ``daemon.extras["metrics"]``)."""

    def __init__(self, daemon: Daemon) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "myco_events_ingested",
            "events stored and applied by this daemon (a replica counts those it follows)",
            registry=self.registry,
        )
        self.requests = Counter(
            "myco_http_requests",
            "HTTP responses sent, by route, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.registry.register(SwarmCollector(daemon))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def metrics_of(daemon: Daemon) -> Metrics | None:
    found = daemon.extras.get(PLUGIN)
    return found if isinstance(found, Metrics) else None


class MetricsTransport:
    """``GET /metrics`` and the request counter, on the daemon's aiohttp application."""

    name = "metrics"

    def setup(self, app: web.Application, daemon: Daemon) -> None:
        from myco.web.keys import PUBLIC_ROUTES

        metrics = daemon.extras[PLUGIN] = Metrics(daemon)
        token = str(TOKEN.value(daemon.config) or "")

        async def serve_metrics(request: web.Request) -> web.Response:
            from aiohttp import web

            from myco.web.errors import APIError

            if token and not _bearer_matches(request, token):
                raise APIError(401, "GET /metrics needs the --metrics-token bearer token")
            return web.Response(
                body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
            )

        async def count(request: web.Request, response: web.StreamResponse) -> None:
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else "unmatched"
            method = request.method if request.method in METHODS else "other"
            metrics.requests.labels(route, method, str(response.status)).inc()

        app.router.add_get("/metrics", serve_metrics, name=ROUTE, allow_head=False)
        app[PUBLIC_ROUTES].add(ROUTE)  # its own token, never a tenant's (see the docstring)
        app.on_response_prepare.append(count)

    def openapi(self, daemon: Daemon) -> Mapping[str, Any]:
        from myco.web.openapi import error_responses

        return {
            "paths": {
                "/metrics": {
                    "get": {
                        "summary": "Prometheus metrics of the daemon (plugin myco-metrics)",
                        "description": "Daemon-wide counters and gauges in the Prometheus "
                        "text format. Public unless the daemon runs with --metrics-token.",
                        "security": [],
                        "responses": {
                            "200": {
                                "description": "metrics",
                                "content": {"text/plain": {"schema": {"type": "string"}}},
                            },
                            **error_responses(401),
                        },
                    }
                }
            }
        }


def _bearer_matches(request: web.Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    given = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), token.encode())


@hookimpl
def register_transports(transports: TransportRegistry) -> None:
    transports.add(MetricsTransport())


@hookimpl
def register_serve_options(options: OptionRegistry) -> None:
    options.add(TOKEN)


@hookimpl
def events_ingested(tenant: Tenant, events: Sequence[Event]) -> None:
    metrics = metrics_of(tenant.daemon)
    if metrics is not None:
        metrics.events.inc(len(events))
