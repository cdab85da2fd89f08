from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from myco.agent_hooks.env import read_env
from myco.agent_hooks.runtime import HookContext
from tests.agent_hooks.fakes import FakeDaemon

TOKEN = "myco-test-alpha-Qx7vN2pL9aR4tY8wK3mZ6bH1cJ5dF0gS"


@pytest.fixture
def fake() -> Iterator[FakeDaemon]:
    daemon = FakeDaemon().start()
    yield daemon
    daemon.stop()


@pytest.fixture
def hook_env(tmp_path: Path, fake: FakeDaemon) -> dict[str, str]:
    """Environment for hooks talking to *fake* with state under tmp_path."""
    return {
        "MYCO_URL": fake.url,
        "MYCO_TOKEN": TOKEN,
        "MYCO_SESSION": "front",
        "MYCO_STATE_DIR": str(tmp_path / "state"),
        "HOME": str(tmp_path),
    }


MakeCtx = Callable[..., HookContext]


@pytest.fixture
def make_ctx(hook_env: dict[str, str]) -> MakeCtx:
    def make(event: str = "stop", payload: dict[str, Any] | None = None, **env: str) -> HookContext:
        return HookContext("claude-code", event, payload or {}, read_env({**hook_env, **env}))

    return make
