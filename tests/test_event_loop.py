"""`myco serve` runs on uvloop where it is installed."""

from __future__ import annotations

import asyncio
import importlib.util

from myco.cli.serve import run_loop


def test_the_daemon_runs_on_uvloop_when_it_is_installed() -> None:
    """`myco serve`'s loop: libuv's where uvloop is installed (a dependency off Windows)."""
    seen: list[str] = []

    async def main() -> None:
        seen.append(type(asyncio.get_running_loop()).__module__)

    run_loop(main())
    expected = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    assert seen and seen[0].split(".")[0] == expected
