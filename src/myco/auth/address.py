"""The client address that rate limits count, also behind a reverse proxy.

Behind nginx or HAProxy every request comes from the proxy. When the direct peer is one of
the operator's trusted proxies, the client is the nearest address in ``X-Forwarded-For``
that is not itself a trusted proxy (scanning from the right, as each proxy appends). Headers
from anyone else are ignored: they are trivially forged.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(specs: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.1", "192.168.0.0/16", "::1"]`` as networks; ValueError names a bad one."""
    out = []
    for spec in specs:
        spec = spec.strip()
        if not spec:
            continue
        try:
            out.append(ipaddress.ip_network(spec, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {spec!r}") from None
    return tuple(out)


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in networks)


def client_address(
    remote: str | None, forwarded: Sequence[str], trusted: Sequence[Network]
) -> str | None:
    """The address to rate-limit: *remote*, or the client a trusted proxy forwarded."""
    if remote is None or not trusted or not _trusted(remote, trusted):
        return remote
    hops = [h.strip() for value in forwarded for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote  # garbage in the header: count the proxy, not a made-up name
    return remote
