"""myco: coordination for parallel AI coding-agent sessions.

Plugin authors write ``@myco.hookimpl``. Attributes are resolved lazily so that the agent
hooks, which import :mod:`myco` on every turn, do not pay for pluggy or attrs.
"""

from __future__ import annotations

from myco._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from myco.hookspecs import hookimpl
    from myco.protocol.events import Event
    from myco.registry import GuideEntry, Renderer, StorageBackend, VerbSpec, ViewSection
    from myco.sanitize import cell, view_text

__all__ = [
    "Event",
    "GuideEntry",
    "Renderer",
    "StorageBackend",
    "VerbSpec",
    "ViewSection",
    "__version__",
    "cell",
    "hookimpl",
    "view_text",
]

_LAZY = {
    "hookimpl": "myco.hookspecs",
    "Event": "myco.protocol.events",
    "VerbSpec": "myco.registry",
    "Renderer": "myco.registry",
    "StorageBackend": "myco.registry",
    "ViewSection": "myco.registry",
    "GuideEntry": "myco.registry",
    "view_text": "myco.sanitize",
    "cell": "myco.sanitize",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'myco' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
