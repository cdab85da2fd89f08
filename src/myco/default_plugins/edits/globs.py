"""Glob matching and overlap for leases, on repository-relative paths.

``*`` and ``?`` never cross a ``/``; ``**`` matches anything, ``/`` included; a
character class ``[...]`` is treated as ``?`` (overlap then errs on the side of a
conflict). A glob ending in ``/`` means everything under that directory.
"""

from __future__ import annotations

from functools import lru_cache

#: token kinds: a literal character, one non-``/`` character, ``*``, ``**``
ANY1, STAR, DSTAR = "\x00?", "\x00*", "\x00**"


def normalise(glob: str) -> str:
    """``./src/`` -> ``src/**``: the form globs are stored and compared in."""
    while glob.startswith("./"):
        glob = glob[2:]
    if glob.endswith("/"):
        glob += "**"
    return glob


@lru_cache(maxsize=4096)
def tokens(glob: str) -> tuple[str, ...]:
    out: list[str] = []
    i = 0
    while i < len(glob):
        c = glob[i]
        if c == "*":
            if glob.startswith("**", i):
                i += 2
                while i < len(glob) and glob[i] == "*":
                    i += 1
                if not out or out[-1] not in (STAR, DSTAR):
                    out.append(DSTAR)
                else:
                    out[-1] = DSTAR
                continue
            if not out or out[-1] not in (STAR, DSTAR):
                out.append(STAR)
        elif c == "?":
            out.append(ANY1)
        elif c == "[":
            end = glob.find("]", i + 2)
            if end < 0:
                out.append(c)
            else:
                out.append(ANY1)
                i = end
        else:
            out.append(c)
        i += 1
    return tuple(out)


def _literal(path: str) -> tuple[str, ...]:
    return tuple(path)


def _single(tok: str) -> bool:
    return tok not in (STAR, DSTAR)


def _admits(star: str, tok: str) -> bool:
    """A star can absorb the one-character token *tok* of the other pattern."""
    if star == DSTAR:
        return True
    return tok == ANY1 or tok != "/"


def _same(ta: str, tb: str) -> bool:
    """Two one-character tokens can stand for the same character."""
    return ta == tb or (ANY1 in (ta, tb) and "/" not in (ta, tb))


def _intersect(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        ta = a[i] if i < len(a) else None
        tb = b[j] if j < len(b) else None
        if ta is not None and not _single(ta):
            stack.append((i + 1, j))
            if tb is not None and _single(tb) and _admits(ta, tb):
                stack.append((i, j + 1))
        if tb is not None and not _single(tb):
            stack.append((i, j + 1))
            if ta is not None and _single(ta) and _admits(tb, ta):
                stack.append((i + 1, j))
        if ta is not None and tb is not None and _single(ta) and _single(tb) and _same(ta, tb):
            stack.append((i + 1, j + 1))
    return False


def overlap(a: str, b: str) -> bool:
    """Some path matches both globs."""
    return _intersect(tokens(normalise(a)), tokens(normalise(b)))


def matches(path: str, glob: str) -> bool:
    """*path* (relative, literal) matches *glob*."""
    return _intersect(_literal(path), tokens(normalise(glob)))
