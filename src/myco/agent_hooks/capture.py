"""Turning the text of one turn into event lines: the last ``<myco>`` block wins.

Models sometimes write a draft block, quote an example, or split their events over two
blocks. Only the last block of the turn is sent (earlier ones are reported as dropped, so
nothing vanishes silently); inside it, lines whose first word is not a verb are reported
instead of being sent as nonsense events, and verbs are lower-cased (``Direct`` works).
"""

from __future__ import annotations

from myco.protocol.blocks import block_lines, find_blocks, line_problem
from myco.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Sequence


class Capture(Record):
    """What one turn's text yields."""

    #: event lines to send, verbs lower-cased
    lines: list[str]
    #: number of ``<myco>`` blocks found in the turn
    blocks: int
    #: first tokens of the lines that were not sent (unknown verb, control characters)
    unknown: list[str]

    @property
    def dropped_blocks(self) -> int:
        return max(0, self.blocks - 1)


def capture(texts: Sequence[str], verbs: Collection[str]) -> Capture:
    """Capture the events of a turn whose assistant text is *texts*, in order."""
    found: list[str] = []
    for text in texts:
        found.extend(find_blocks(text))
    if not found:
        return Capture([], 0, [])
    lines: list[str] = []
    unknown: list[str] = []
    for line in block_lines(found[-1]):
        first, *rest = line.split(None, 1)
        verb = first.lower()
        if verb not in verbs or line_problem(line) is not None:
            unknown.append(first)
            continue
        lines.append(" ".join([verb, *rest]))
    return Capture(lines, len(found), unknown)
