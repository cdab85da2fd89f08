"""myco-gemini: the Gemini CLI adapter, as a separately installed myco plugin.

Installing the package is all it takes: the entry point ``gemini = "myco_gemini"`` in the
``myco`` group makes ``myco run SESSION --agent gemini`` and ``myco worker --agent gemini``
find the adapter through the plugin manager, and makes ``myco hook gemini EVENT`` (which
Gemini CLI runs on every turn) load just this module and call :func:`register_adapters`
directly. Nothing in myco's core knows about Gemini.

Why the ``hookimpl`` marker is conditional: pluggy recognises a hook implementation by the
attribute ``@myco.hookimpl`` sets, and importing the marker imports pluggy, which the hook
path does not need (it calls the function directly) and should not pay for. Every process
that builds a plugin manager (``myco run``, ``worker``, ``serve``, ``plugins``, pytest) has
imported pluggy before it loads entry points, so the module marks the function then.
"""

from __future__ import annotations

import sys

from myco_gemini.adapter import ADAPTER, Gemini

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ADAPTER", "Gemini", "register_adapters"]
__version__ = "0.1.0"


def register_adapters(adapters: Any) -> None:
    """Add the ``gemini`` adapter (to an ``AdapterRegistry``, or the hook path's stand-in)."""
    adapters.add(ADAPTER)


if "pluggy" in sys.modules:  # loaded by a plugin manager: mark the hook implementation
    from myco import hookimpl

    hookimpl(register_adapters)
