"""Grammar of one event line and of ``<myco>`` blocks.

An event line is ``<verb> <obj> [<detail ...>]``. The detail mixes free text with
``key:value`` tokens. Finding blocks and checking lines lives in
:mod:`myco.protocol.blocks` (re-exported here), which the agent hooks import on every turn
without :mod:`re`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import NamedTuple

from myco.protocol.blocks import MAX_LINE as MAX_LINE
from myco.protocol.blocks import block_lines as block_lines
from myco.protocol.blocks import find_blocks as find_blocks
from myco.protocol.blocks import line_problem as line_problem

#: keys the protocol acts on; plugins may add more through the verb registry.
CORE_KEYS = frozenset({"ref", "spec", "ack", "addr", "result", "re", "channel"})
GLOBAL = "global"
_KV_RE = re.compile(r"\b([a-z]+):(\S+)")


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


def directive_object(text: str) -> str:
    """First token of a directive's free text, trailing ``,.:;—-`` stripped."""
    first = text.split(None, 1)[0] if text.strip() else ""
    return first.rstrip(",.:;—-")


def first_word(text: str) -> str:
    """The first whitespace-separated word of *text*, or ``""``."""
    parts = text.split(None, 1)
    return parts[0] if parts else ""
