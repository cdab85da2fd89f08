"""Fixtures for Gemini CLI sessions (helpers in :mod:`tests.e2e.gemini_agent`).

Test modules load them with ``pytest_plugins = ("tests.e2e.gemini_fixtures",)`` and do not
import this module (pytest must import it first, to rewrite its asserts).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.daemon_process import DaemonProcess
from tests.e2e.fake_gemini import FakeGemini
from tests.e2e.gemini_agent import GeminiAgent, MakeGemini, gemini_cli, install_plugin, new_agent


@pytest.fixture(scope="session")
def gemini_plugin() -> ModuleType:
    return install_plugin()


@pytest.fixture(scope="session")
def gemini_bin() -> Path:
    return gemini_cli()


@pytest.fixture
def gemini_model() -> Iterator[FakeGemini]:
    fake = FakeGemini().start()
    yield fake
    fake.stop()


@pytest.fixture
def make_gemini(
    tmp_path: Path,
    gemini_plugin: ModuleType,
    gemini_bin: Path,
    gemini_model: FakeGemini,
    daemon: DaemonProcess,
) -> MakeGemini:
    """``make_gemini("GEM", **env)``: a Gemini session on this test's daemon and fake model."""

    def make(session: str, **extra: str) -> GeminiAgent:
        return new_agent(
            tmp_path,
            session,
            model_url=gemini_model.url,
            daemon_url=daemon.url,
            cli=gemini_bin,
            **extra,
        )

    return make
