"""Meta-tests: every hook is documented in its docstring and exercised by a test.

The hook reference (``docs/plugins/hooks.md``) is generated from the hookspecs'
docstrings by mkdocstrings (``tox -e docs``, strict), so signatures cannot drift: what is
checked here is that each docstring documents what the reference must say. Argument names
come from pluggy's own view of each spec (``spec.argnames``), so adding an argument without
documenting it fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pluggy
import pytest

from myco import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOKS_DOC = ROOT / "docs" / "plugins" / "hooks.md"
MKDOCS = ROOT / "mkdocs.yml"
TESTS = Path(__file__).resolve().parent


def _argnames() -> dict[str, tuple[str, ...]]:
    pm = pluggy.PluginManager("myco")
    pm.add_hookspecs(hookspecs)
    out = {}
    for name in dir(pm.hook):
        spec = getattr(getattr(pm.hook, name), "spec", None)
        if spec is not None:
            out[name] = tuple(spec.argnames)
    return out


ARGNAMES = _argnames()
HOOKS = sorted(ARGNAMES)


def test_hookspecs_found() -> None:
    marked = {n for n, obj in vars(hookspecs).items() if hasattr(obj, "myco_spec")}
    assert marked == set(HOOKS)
    assert "register_verbs" in HOOKS


def test_the_reference_is_generated_from_the_hookspecs() -> None:
    """hooks.md renders the module (no hand-kept copy); the site builds it with mkdocstrings."""
    text = HOOKS_DOC.read_text(encoding="utf-8")
    assert re.search(r"^::: myco\.hookspecs$", text, re.MULTILINE)
    headings = re.findall(r"^#{2,4} .*\(", text, re.MULTILINE)
    assert not headings, f"hand-written hook headings in hooks.md: {headings}"
    config = MKDOCS.read_text(encoding="utf-8")
    assert "plugins/hooks.md" in config and "mkdocstrings" in config


@pytest.mark.parametrize("hook", HOOKS)
def test_hookspec_docstring_documents_every_argument(hook: str) -> None:
    doc = getattr(hookspecs, hook).__doc__ or ""
    for arg in ARGNAMES[hook]:
        assert re.search(rf"^\s*:param {arg}:", doc, re.MULTILINE), f"{hook}: no :param {arg}:"
    assert re.search(r"^\s*:returns:", doc, re.MULTILINE), f"{hook}: no :returns:"
    assert "**When:**" in doc, f"{hook}: say when it is called (**When:** ...)"


@pytest.mark.parametrize("hook", HOOKS)
def test_hookspec_docstring_has_versionadded(hook: str) -> None:
    doc = getattr(hookspecs, hook).__doc__ or ""
    assert ".. versionadded::" in doc


@pytest.fixture(scope="module")
def test_sources() -> str:
    me = Path(__file__).resolve()
    return "\n".join(
        p.read_text(encoding="utf-8") for p in sorted(TESTS.rglob("*.py")) if p.resolve() != me
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_used_by_a_test(hook: str, test_sources: str) -> None:
    assert re.search(rf"\b{hook}\b", test_sources), f"no test under tests/ mentions {hook}"
