"""The markdown view every agent receives before each prompt (worker and DIRECTOR)."""

from __future__ import annotations

import os

from myco.hookspecs import hookimpl
from myco.protocol.state import SwarmState
from myco.registry import Renderer, RendererRegistry
from myco.views import markdown


def _lod_k() -> int:
    try:
        return int(os.environ.get("MYCO_LOD_K", "3"))
    except ValueError:
        return 3


def render(state: SwarmState, session: str, now_ms: int, budget: int) -> str:
    return markdown.render(state, session, now_ms, budget, _lod_k())


@hookimpl
def register_renderers(renderers: RendererRegistry) -> None:
    renderers.add(Renderer("markdown", render))
