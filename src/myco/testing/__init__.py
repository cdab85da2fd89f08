"""What plugin authors test with, shipped in the wheel: no checkout of myco needed.

* :class:`Swarm` -- an in-memory swarm with a controllable clock: post lines, render views
  (verb and renderer plugins). Needs nothing but myco.
* :class:`StorageContract` -- the contract suite every storage backend passes: subclass
  it in a ``test_*.py`` module and supply two fixtures (:mod:`myco.testing.storage`).
* :class:`DaemonProcess` -- ``myco serve`` as a real process on a free loopback port, with
  the installed plugins (:mod:`myco.testing.daemon`); the ``myco_daemon`` pytest fixture
  (:mod:`myco.testing.pytest_plugin`, registered automatically) yields one.
* :class:`AdapterHarness` -- feeds hook payloads to an adapter against a daemon and returns
  its :class:`~myco.adapters.HookOutput` (:mod:`myco.testing.adapters`).

Only :class:`Swarm` is imported eagerly; the others are loaded on first use, so importing
this package needs neither pytest nor a daemon.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from myco.testing.swarm import START_MS, Swarm

if TYPE_CHECKING:
    from myco.testing.adapters import AdapterHarness
    from myco.testing.daemon import DaemonProcess
    from myco.testing.storage import StorageContract

__all__ = ["START_MS", "AdapterHarness", "DaemonProcess", "StorageContract", "Swarm"]

_LAZY = {
    "StorageContract": "myco.testing.storage",
    "DaemonProcess": "myco.testing.daemon",
    "AdapterHarness": "myco.testing.adapters",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'myco.testing' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
