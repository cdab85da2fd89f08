"""Grammar of one event line and of ``<myco>`` blocks.

An event line is ``<verb> <obj> [<detail ...>]``. The detail mixes free text with
``key:value`` tokens. This module is imported by the agent hooks on every turn, so it
depends on nothing but :mod:`re`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import NamedTuple

#: keys the protocol acts on; plugins may add more through the verb registry.
CORE_KEYS = frozenset({"ref", "spec", "ack", "addr", "result", "re", "channel"})
GLOBAL = "global"
MAX_LINE = 4000

_KV_RE = re.compile(r"\b([a-z]+):(\S+)")
_BLOCK_RE = re.compile(r"<myco>(.*?)</myco>", re.IGNORECASE | re.DOTALL)
# C0 controls except TAB, DEL, C1 controls, and the Unicode line/paragraph separators
# that str.splitlines() would treat as line breaks.
_CONTROL_RE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\x85]")


class ParsedLine(NamedTuple):
    """One event line split into its parts (no timestamp, no author)."""

    verb: str
    obj: str
    detail: str
    text: str
    kvs: Mapping[str, str]
    channels: frozenset[str]


def parse_kvs(detail: str, keys: Collection[str] = CORE_KEYS) -> tuple[dict[str, str], str]:
    """Split *detail* into recognised ``key:value`` pairs and the remaining free text.

    Unknown keys (``http:`` in a URL) are skipped and consume their text; the last value of
    a repeated key wins while its first position keeps the order.
    """
    kvs: dict[str, str] = {}
    if ":" not in detail:
        return kvs, detail
    # A value runs to the next whitespace, so each whitespace-separated token holds at most
    # one pair: searching token by token equals scanning the whole detail, only faster.
    tokens = detail.split()
    matched = False
    for i, tok in enumerate(tokens):
        if ":" not in tok:
            continue
        key, _, value = tok.partition(":")
        if value and key.isalpha() and key.isascii() and key.islower():
            if key in keys:  # the common ``key:value`` token, without the regex
                kvs[key] = value
                tokens[i] = ""
                matched = True
            continue
        m = _KV_RE.search(tok)
        if m is not None and m.group(1) in keys:
            kvs[m.group(1)] = m.group(2)
            tokens[i] = tok[: m.start()]
            matched = True
    if not matched:
        return kvs, detail
    return kvs, " ".join(t for t in tokens if t)


_GLOBAL_ONLY = frozenset((GLOBAL,))


def channels_of(kvs: Mapping[str, str]) -> frozenset[str]:
    """The channels named by ``channel:a,b``; ``global`` when none."""
    raw = kvs.get("channel")
    if not raw:
        return _GLOBAL_ONLY
    return frozenset(c for c in raw.split(",") if c) or _GLOBAL_ONLY


def line_problem(line: object) -> str | None:
    """Why *line* can never be stored as one event, or None when it can."""
    if not isinstance(line, str):
        return "must be a string"
    if len(line) > MAX_LINE:
        return f"longer than {MAX_LINE} characters"
    m = _CONTROL_RE.search(line)
    if m:
        what = "a line break" if m.group() in "\n\r\u2028\u2029\x85" else "a control character"
        return f"contains {what} (U+{ord(m.group()):04X}); post one event per line"
    return None


def parse_line(
    line: str,
    session_verbs: Collection[str] = ("ask", "reply", "direct"),
    keys: Collection[str] = CORE_KEYS,
) -> ParsedLine | None:
    """Parse one event line; None for a blank line.

    The verb is lower-cased (``Direct`` means ``direct``); the object of verbs that name a
    session is upper-cased. The caller validates the line first with :func:`line_problem`.
    """
    parts = line.split(None, 2)
    if not parts:
        return None
    verb = parts[0].lower()
    obj = parts[1] if len(parts) > 1 else ""
    detail = parts[2].strip() if len(parts) > 2 else ""
    if verb in session_verbs:
        obj = obj.upper()
    elif obj and ":" in obj:
        m = _KV_RE.fullmatch(obj)
        if m is not None and m.group(1) in keys:  # `private re:x`: a key, not an object
            obj, detail = "", f"{obj} {detail}".rstrip()
    kvs, text = parse_kvs(detail, keys)
    return ParsedLine(verb, obj, detail, text, kvs, channels_of(kvs))


def find_blocks(text: str) -> list[str]:
    """Bodies of every ``<myco>...</myco>`` block in *text*, in order."""
    return _BLOCK_RE.findall(text)


def block_lines(block: str) -> list[str]:
    """Event lines of one block: stripped, without blanks and ``#`` comments."""
    out = []
    for raw in block.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def directive_object(text: str) -> str:
    """First token of a directive's free text, trailing ``,.:;—-`` stripped."""
    first = text.split(None, 1)[0] if text.strip() else ""
    return first.rstrip(",.:;—-")


def first_word(text: str) -> str:
    """The first whitespace-separated word of *text*, or ``""``."""
    parts = text.split(None, 1)
    return parts[0] if parts else ""
