"""The markdown view every agent receives before each prompt (worker and DIRECTOR).

It lays out the registered view sections (:mod:`myco.views.markdown`).
"""

from __future__ import annotations

from functools import partial

from myco.hookspecs import hookimpl
from myco.registry import Renderer, RendererRegistry, ViewSectionRegistry
from myco.views import markdown


@hookimpl
def register_renderers(renderers: RendererRegistry, sections: ViewSectionRegistry) -> None:
    renderers.add(Renderer("markdown", partial(markdown.render, sections)))
