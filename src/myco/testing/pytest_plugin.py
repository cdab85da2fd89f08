"""pytest fixtures for plugin authors, registered through the ``pytest11`` entry point.

Installing myco makes them available in every test session (nothing to import):

``myco_daemon``
    a running :class:`~myco.testing.DaemonProcess` on a free loopback port, with its own
    data directory under ``tmp_path`` and a fresh tenant token; stopped after the test.
    Customise it by overriding the ``myco_daemon_args`` fixture (extra ``myco serve``
    arguments) or ``myco_daemon_env`` (environment variables), e.g.::

        @pytest.fixture
        def myco_daemon_args():
            return ["--storage", "sqlite"]

``myco_swarm``
    a fresh in-memory :class:`~myco.testing.Swarm` with the installed plugins.

The module imports nothing heavy at collection time: every pytest run in an environment
with myco installed loads it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from myco.testing.daemon import DaemonProcess
    from myco.testing.swarm import Swarm


@pytest.fixture
def myco_daemon_args() -> Sequence[str]:
    """Extra ``myco serve`` arguments for :func:`myco_daemon` (override to change)."""
    return ["--quiet"]


@pytest.fixture
def myco_daemon_env() -> dict[str, str]:
    """Environment variables added for :func:`myco_daemon` (override to change)."""
    return {}


@pytest.fixture
def myco_daemon(
    tmp_path: Path, myco_daemon_args: Sequence[str], myco_daemon_env: dict[str, str]
) -> Iterator[DaemonProcess]:
    """A real ``myco serve`` with the installed plugins, on a free loopback port."""
    from myco.testing.daemon import DaemonProcess

    with DaemonProcess(tmp_path / "myco-data", *myco_daemon_args, env=myco_daemon_env) as daemon:
        yield daemon


@pytest.fixture
def myco_swarm() -> Swarm:
    """An in-memory swarm with the installed plugins (entry points included)."""
    from myco.plugins import make_plugin_manager
    from myco.testing.swarm import Swarm

    return Swarm(make_plugin_manager())
