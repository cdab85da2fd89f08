"""Built-in plugin: the Aider adapter (implementation in :mod:`myco.adapters.aider.adapter`).

The implementation lives outside this module because ``myco hook`` loads it on every turn
and must not pay for pluggy, which the ``hookimpl`` marker below imports.
"""

from __future__ import annotations

from myco.adapters.aider.adapter import ADAPTER
from myco.hookspecs import hookimpl
from myco.registry import AdapterRegistry


@hookimpl
def register_adapters(adapters: AdapterRegistry) -> None:
    adapters.add(ADAPTER)
