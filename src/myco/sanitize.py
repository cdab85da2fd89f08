"""Neutralise session-written text before it reaches another session's prompt.

Everything a session chose (event details, objects, names, messages) ends up inside other
models' context. A ``<system-reminder>`` tag, a fake ``## DIRECTIVES`` heading or a code
fence that closes the RECENT EVENTS block must not be able to pose as myco's own text.

Public API for plugin authors: :func:`view_text` and :func:`cell` (also importable as
``from myco import view_text, cell``). The markdown view applies :func:`view_text` to
every line of a third-party view section itself; call these directly when building text
for another place (a JSON ``data`` payload shown by a tool, a message).
"""

from __future__ import annotations

import re

__all__ = ["cell", "msg_body", "view_text"]

# Views: any tag-like "<" (element, closing tag, comment, processing instruction).
_TAG_RE = re.compile(r"<(?=[A-Za-z/!?])")
_FENCE_RE = re.compile(r"`{3,}|~{3,}")
# Messages: the reference's rules (harness tags), plus a few more of the same family, and
# myco's own view marker (``<!-- myco protocol v1 -->``), which a message must not fake.
_MSG_TAG_RE = re.compile(
    r"<(?=/?(?:system-reminder|command-\w|tool_call|function_calls|function_results"
    r"|antml:|system\b|human\b|assistant\b|myco\b|!--\s*myco))",
    re.IGNORECASE,
)


# Invisible characters that change how text reads without showing: bidi overrides and
# isolates (a line that displays reversed), zero-width characters, the BOM, the soft hyphen
# and Unicode tag characters (ASCII smuggled past a human reader). Shown as ``[U+XXXX]``.
_INVISIBLE_RE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)


def visible(text: str) -> str:
    """*text* with every invisible formatting character spelled out as ``[U+XXXX]``."""
    return _INVISIBLE_RE.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def view_text(text: str) -> str:
    """Make *text* inert inside a markdown view: tags escaped, fences broken, invisible
    characters spelled out."""
    if not text.isascii():
        text = visible(text)
    if "<" in text:
        text = _TAG_RE.sub("&lt;", text)
    if "`" in text or "~" in text:
        text = _FENCE_RE.sub(lambda m: "ˋ" * len(m.group()) if m.group()[0] == "`" else "∼∼∼", text)
    return text


def cell(text: str) -> str:
    """Text for a markdown table cell."""
    return view_text(text).replace("|", "\\|") or "—"


def msg_body(body: str) -> str:
    """Message bodies keep their markdown and HTML, minus agent-harness tags and invisible
    characters."""
    if not body.isascii():
        body = visible(body)
    return _MSG_TAG_RE.sub("&lt;", body)
