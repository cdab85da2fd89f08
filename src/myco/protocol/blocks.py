"""Finding ``<myco>`` blocks and checking their lines, without :mod:`re`.

The stop hook of every agent CLI runs this in a fresh process on every turn; importing
:mod:`re` there costs about 5 ms, more than the work itself. The daemon uses the same
functions (re-exported by :mod:`myco.protocol.grammar`), so hook and daemon agree on
what a block is.
"""

from __future__ import annotations

MAX_LINE = 4000

_OPEN = "<myco>"
_CLOSE = "</myco>"
# C0 controls except TAB, DEL, C1 controls, and the Unicode line/paragraph separators
# that str.splitlines() would treat as line breaks.
_CONTROL = frozenset(
    [chr(c) for c in range(0x00, 0x09)]
    + [chr(c) for c in range(0x0A, 0x20)]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + ["\u2028", "\u2029"]
)
_BREAKS = "\n\r\u2028\u2029\x85"
#: ASCII upper to lower case, one character to one (``str.lower`` may change lengths)
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def find_blocks(text: str) -> list[str]:
    """Bodies of every ``<myco>...</myco>`` block in *text*, in order.

    Tags match in any case; a block ends at the first closing tag after its opening one.
    """
    folded = text.lower() if text.isascii() else text.translate(_ASCII_LOWER)
    out: list[str] = []
    pos = 0
    while True:
        start = folded.find(_OPEN, pos)
        if start < 0:
            return out
        end = folded.find(_CLOSE, start + len(_OPEN))
        if end < 0:
            return out
        out.append(text[start + len(_OPEN) : end])
        pos = end + len(_CLOSE)


def block_lines(block: str) -> list[str]:
    """Event lines of one block: stripped, without blanks and ``#`` comments."""
    out = []
    for raw in block.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def line_problem(line: object) -> str | None:
    """Why *line* can never be stored as one event, or None when it can."""
    if not isinstance(line, str):
        return "must be a string"
    if len(line) > MAX_LINE:
        return f"longer than {MAX_LINE} characters"
    if line.isprintable():  # the usual case: every character below is unprintable
        return None
    for char in line:
        if char in _CONTROL:
            what = "a line break" if char in _BREAKS else "a control character"
            return f"contains {what} (U+{ord(char):04X}); post one event per line"
    return None
