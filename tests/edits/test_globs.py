"""Lease globs: matching repository-relative paths, and whether two globs overlap."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from myco.default_plugins.edits.globs import matches, normalise, overlap


@pytest.mark.parametrize(
    ("path", "glob", "expected"),
    [
        ("src/a.py", "src/a.py", True),
        ("src/a.py", "src/*.py", True),
        ("src/sub/a.py", "src/*.py", False),  # `*` stays within a directory
        ("src/sub/a.py", "src/**", True),
        ("src/sub/a.py", "src/", True),  # a directory means everything under it
        ("src/a.py", "src/?.py", True),
        ("src/ab.py", "src/?.py", False),
        ("docs/a.py", "src/**", False),
        ("src/a.py", "./src/a.py", True),
        ("src/a.py", "src/[ab].py", True),
    ],
)
def test_matches(path: str, glob: str, expected: bool) -> None:
    assert matches(path, glob) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("src/**", "src/a.py", True),
        ("src/*.py", "src/*.md", False),
        ("src/*.py", "src/a.*", True),
        ("src/*/x.py", "src/a/*", True),
        ("src/*", "src/a/b.py", False),
        ("src/**", "docs/**", False),
        ("**", "anything/at/all", True),
        ("a*b", "a*c*b", True),
        ("*.py", "*.md", False),
    ],
)
def test_overlap(a: str, b: str, expected: bool) -> None:
    assert overlap(a, b) is expected
    assert overlap(b, a) is expected


def reference(glob: str) -> re.Pattern[str]:
    """The documented semantics, as a regular expression (``**`` any, ``*``/``?`` no ``/``)."""
    out = []
    glob = normalise(glob)
    i = 0
    while i < len(glob):
        if glob.startswith("**", i):
            out.append(".*")
            while i < len(glob) and glob[i] == "*":
                i += 1
            continue
        out.append({"*": "[^/]*", "?": "[^/]"}.get(glob[i], re.escape(glob[i])))
        i += 1
    return re.compile("".join(out), re.DOTALL)


ALPHABET = "ab/."
paths = st.text(ALPHABET, min_size=1, max_size=8)
globs = st.lists(st.sampled_from(["a", "b", "/", ".", "*", "**", "?"]), max_size=7).map("".join)


@settings(max_examples=400, deadline=None)
@given(paths, globs)
def test_matching_agrees_with_the_reference(path: str, glob: str) -> None:
    assert matches(path, glob) == bool(reference(glob).fullmatch(path))


@settings(max_examples=400, deadline=None)
@given(globs, globs, st.lists(paths, min_size=1, max_size=20))
def test_overlap_is_symmetric_and_never_misses_a_common_path(
    a: str, b: str, candidates: list[str]
) -> None:
    assert overlap(a, b) == overlap(b, a)
    if any(matches(p, a) and matches(p, b) for p in candidates):
        assert overlap(a, b)


@settings(max_examples=200, deadline=None)
@given(paths)
def test_a_path_overlaps_itself_and_its_directory(path: str) -> None:
    assert overlap(path, path)
    assert overlap("**", path)
