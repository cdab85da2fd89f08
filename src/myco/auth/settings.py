"""The auth plugin's settings (namespace ``auth``): ``myco serve`` flags and variables.

Read them with ``TENANTS.value(daemon.config)`` (or ``daemon.config.plugin("auth")``).
"""

from __future__ import annotations

from typing import Literal

from myco.auth.address import parse_networks
from myco.auth.ratelimit import DEFAULT_MAX_CREATIONS
from myco.options import Option

NAMESPACE = "auth"
TenantMode = Literal["open", "closed"]


def _network(spec: str) -> str:
    """An IP address or network, checked (ValueError names a bad one), kept as text."""
    parse_networks([spec])
    return spec.strip()


def _per_hour(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise ValueError(f"must be 0 or more, got {text!r}")
    return value


TENANTS = Option(
    NAMESPACE,
    "tenants",
    "open: any strong new token creates a tenant; closed: only tokens registered "
    "with `myco token add`",
    default="open",
    choices=("open", "closed"),
)
REQUIRE_SESSION_TOKENS = Option(
    NAMESPACE,
    "require_session_tokens",
    "acting as a session needs its session token (`myco token session`); only DIRECTOR "
    "may direct or dispatch to another session",
    default=False,
    kind="flag",
)
TRUSTED_PROXIES = Option(
    NAMESPACE,
    "trusted_proxies",
    "a reverse proxy (IP or network) whose X-Forwarded-For names the client; the "
    "variable takes a comma-separated list",
    default=(),
    type=_network,
    kind="list",
    flag="--trusted-proxy",
    metavar="ADDR",
)
NEW_TENANTS_PER_HOUR = Option(
    NAMESPACE,
    "new_tenants_per_hour",
    "tenants one client address may create per hour (open mode)",
    default=DEFAULT_MAX_CREATIONS,
    type=_per_hour,
    metavar="N",
)

OPTIONS = (TENANTS, REQUIRE_SESSION_TOKENS, TRUSTED_PROXIES, NEW_TENANTS_PER_HOUR)
