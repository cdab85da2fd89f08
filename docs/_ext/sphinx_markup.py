"""A griffe extension: render the Sphinx markup of myco's docstrings as Markdown.

myco's docstrings are read in the source and in the generated reference alike. They use
Sphinx's ``.. versionadded:: 0.1`` (the hooks' evolution policy requires it) and roles
such as :class:`~myco.registry.VerbSpec`, which Markdown would show verbatim. Used by
mkdocs.yml, not by myco.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

DIRECTIVE = re.compile(
    r"^([ \t]*)\.\. (versionadded|versionchanged|deprecated):: *(\S+)[ \t]*(.*)$", re.M
)
ROLE = re.compile(r":(?:py:)?(?:class|meth|func|mod|attr|data|exc|obj|const):`(~?)([^`]+)`")
WORDS = {"versionadded": "Added", "versionchanged": "Changed", "deprecated": "Deprecated"}


def _note(match: re.Match[str]) -> str:
    indent, kind, version, rest = match.groups()
    tail = f": {rest}" if rest else "."
    return f"{indent}*{WORDS[kind]} in version {version}{tail}*"


def _code(match: re.Match[str]) -> str:
    short, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


def to_markdown(text: str) -> str:
    """*text* with version directives as notes and cross-reference roles as code."""
    return ROLE.sub(_code, DIRECTIVE.sub(_note, text))


class SphinxMarkup(griffe.Extension):
    """Rewrite each docstring once the object tree is built (before it is parsed)."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)
