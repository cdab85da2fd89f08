"""Meta-tests: every hook is documented with its exact signature and exercised by a test.

Signatures are built from pluggy's own view of each spec (``spec.argnames``), so renaming,
adding or removing an argument without updating ``docs/plugins/hooks.md`` fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pluggy
import pytest

from myco import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOKS_DOC = ROOT / "docs" / "plugins" / "hooks.md"
TESTS = Path(__file__).resolve().parent
HEADING_RE = re.compile(r"^#{2,4} +`?(\w+)\((.*?)\)`?\s*$", re.MULTILINE)


def _signatures() -> dict[str, str]:
    pm = pluggy.PluginManager("myco")
    pm.add_hookspecs(hookspecs)
    out = {}
    for name in dir(pm.hook):
        caller = getattr(pm.hook, name)
        spec = getattr(caller, "spec", None)
        if spec is not None:
            out[name] = f"{name}({', '.join(spec.argnames)})"
    return out


SIGNATURES = _signatures()
HOOKS = sorted(SIGNATURES)


def test_hookspecs_found() -> None:
    marked = {n for n, obj in vars(hookspecs).items() if hasattr(obj, "myco_spec")}
    assert marked == set(HOOKS)
    assert "register_verbs" in HOOKS


@pytest.fixture(scope="module")
def doc_headings() -> dict[str, str]:
    """Hook headings of hooks.md: name -> the signature as written."""
    text = HOOKS_DOC.read_text(encoding="utf-8")
    return {m.group(1): f"{m.group(1)}({m.group(2)})" for m in HEADING_RE.finditer(text)}


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_its_signature(hook: str, doc_headings: dict[str, str]) -> None:
    assert hook in doc_headings, f"docs/plugins/hooks.md has no heading for {hook}"
    assert doc_headings[hook] == SIGNATURES[hook]


def test_no_documented_hook_is_stale(doc_headings: dict[str, str]) -> None:
    assert set(doc_headings) <= set(HOOKS), "hooks.md documents hooks that do not exist"


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
