"""The single cattrs converter: state records to JSON-ready data.

Used by the JSON view and by anything (dashboards, exports) that needs plain data of the
swarm state, so that one place decides how sets, timestamps and records look on the wire.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import cattrs
from cattrs.preconf.json import make_converter

from myco import clock


@cache
def converter() -> cattrs.Converter:
    """A converter with myco's wire conventions (sets as sorted lists)."""
    conv = make_converter()
    conv.register_unstructure_hook_func(
        lambda t: getattr(t, "__origin__", t) in (set, frozenset), lambda v: sorted(v)
    )
    return conv


def unstructure(value: Any) -> Any:
    """Plain JSON-ready data for *value*; records gain an ISO ``ts`` next to ``ts_ms``."""
    data = converter().unstructure(value)
    if isinstance(data, dict) and isinstance(data.get("ts_ms"), int):
        data["ts"] = clock.iso_ms(data["ts_ms"])
    return data
