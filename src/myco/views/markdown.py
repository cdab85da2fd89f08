"""The markdown view: the sections a viewer's role sees, laid out under a hard budget.

Sections are plugins (the ``register_view_sections`` hook; the built-ins come from
:mod:`myco.default_plugins.view_sections`) and appear by ``order``. While the view is over
its budget:

1. sections shrink through their ``steps``, lowest ``priority`` first (old events, closed
   directives, old artifacts, broadcasts, then long peer and resource lists);
2. lines longer than an eighth of the budget are shortened;
3. sections not addressed to the viewer are left out, lowest priority first;
4. sections addressed to the viewer (directives, questions, messages) keep their first
   lines and say how many more there are.

A closing note says what was left out. Whatever the sections return, the view never
exceeds the budget.
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog

from myco.names import DIRECTOR
from myco.protocol.state import SwarmState
from myco.registry import DIRECTOR_ROLE, WORKER, ViewSection, ViewSectionRegistry
from myco.sanitize import view_text

PROTOCOL_MARKER = "<!-- myco protocol v1 -->"
#: a line is never shortened below this many characters (unless the budget is tiny)
MIN_LINE = 120
_SHORTENED = "\0shortened"  # a key of the trim note no heading can take

log = structlog.get_logger("myco.views")


def role_of(session: str) -> str:
    """The role a session's view is laid out for."""
    return DIRECTOR_ROLE if session == DIRECTOR else WORKER


#: the plugin of the core sections, whose text is trusted and whose data the JSON view
#: already carries as structured fields; other built-ins (edits) are treated as plugins
CORE_SECTIONS = "myco.default_plugins.view_sections"


def is_builtin(section: ViewSection) -> bool:
    return section.plugin == CORE_SECTIONS


def neutralise(lines: Iterable[object]) -> list[str]:
    """Plugin text made inert: one line per line, tags and fences broken, no headings."""
    out = []
    for item in lines:
        for line in str(item).splitlines() or [""]:
            line = view_text(line)
            if line.lstrip().startswith("#"):
                line = "\\" + line.lstrip()
            out.append(line)
    return out


def section_lines(
    section: ViewSection, state: SwarmState, me: str, now: int, limit: int
) -> list[str]:
    """What *section* shows *me*; a third-party section's text is neutralised here."""
    if is_builtin(section):
        return list(section.render(state, me, now, limit))
    try:
        return neutralise(section.render(state, me, now, limit))
    except Exception as exc:  # one broken plugin must not take every agent's view down
        log.error(
            "view section failed",
            plugin=section.plugin,
            section=section.heading,
            error=f"{type(exc).__name__}: {exc}",
        )
        return [f"_This section is unavailable: its plugin failed ({type(exc).__name__})._"]


class _Block:
    """One section's lines and the size of its ``## HEADING`` block, kept up to date."""

    def __init__(self, section: ViewSection, lines: list[str]) -> None:
        self.section = section
        self.full_count = section.count(lines)
        self.dropped = False
        self.cut = 0  # lines cut from the end (addressed sections)
        self.note = ""  # says how many lines the cut left out
        self.set(lines)

    def set(self, lines: list[str]) -> None:
        self.lines = lines
        self._chars = sum(map(len, lines))
        self._measure()

    def pop(self) -> None:
        """Cut the last line; the note says how many are cut."""
        self._chars -= len(self.lines.pop())
        self.cut += 1
        self.note = (
            f"_… {self.cut} more line(s) for you not shown (view budget); "
            "the JSON view has them all._"
        )
        self._measure()

    def _measure(self) -> None:
        count = 0 if self.dropped else len(self.lines) + bool(self.note)
        chars = 0 if self.dropped else self._chars + len(self.note)
        # "## HEADING\n" + lines joined by "\n" + "\n\n"; nothing when there is no line
        self.size = len(self.section.heading) + 4 + chars + count - 1 + 2 if count else 0

    def drop(self) -> None:
        self.dropped = True
        self._measure()

    def text(self) -> str:
        if not self.size:
            return ""  # optional sections (BROADCASTS, PEERS) vanish when empty
        shown = [*self.lines, self.note] if self.note else self.lines
        return f"## {self.section.heading}\n" + "\n".join(shown) + "\n\n"


class _Layout:
    def __init__(self, head: str, blocks: list[_Block], budget: int) -> None:
        self.head = head
        self.blocks = blocks
        self.budget = budget
        self.left_out: dict[str, str] = {}  # trim order: key -> "what was left out"

    def note(self) -> str:
        what = ", ".join(v for v in self.left_out.values() if v)
        if not what:
            return ""
        return f"_View trimmed to fit {self.budget} characters: left out {what}._\n\n"

    def excess(self) -> int:
        return len(self.head) + sum(b.size for b in self.blocks) + len(self.note()) - self.budget

    def text(self) -> str:
        return self.head + "".join(b.text() for b in self.blocks) + self.note()


def render(sections: ViewSectionRegistry, state: SwarmState, me: str, now: int, budget: int) -> str:
    """The markdown view of session *me* at time *now* (ms), at most *budget* characters."""
    state.session(me)
    head = f"{PROTOCOL_MARKER}\n# myco view — {me}\n\n"
    blocks = [
        _Block(s, section_lines(s, state, me, now, s.limit)) for s in sections.for_role(role_of(me))
    ]
    layout = _Layout(head, blocks, budget)
    if layout.excess() > 0:
        _shrink(layout, state, me, now)
    if layout.excess() > 0:
        _shorten_lines(layout)
    if layout.excess() > 0:
        _drop_sections(layout)
    if layout.excess() > 0:
        _cut_addressed(layout)
    text = layout.text()
    if len(text) > budget:  # only a budget smaller than the headings themselves
        end = "\n_View cut at its budget._\n"
        text = text[: max(0, budget - len(end))] + end
        text = text[:budget]
    return text


def _by_priority(blocks: list[_Block]) -> list[_Block]:
    """Drop order: lowest priority first; at equal priority, the later section first."""
    return sorted(blocks, key=lambda b: (b.section.priority, -b.section.order))


def _shrink(layout: _Layout, state: SwarmState, me: str, now: int) -> None:
    """Step 1: smaller limits, lowest priority first."""
    for block in sorted(layout.blocks, key=lambda b: b.section.priority):
        s = block.section
        for limit in s.steps:
            if layout.excess() <= 0:
                return
            block.set(section_lines(s, state, me, now, limit))
            left = block.full_count - s.count(block.lines)
            layout.left_out[s.heading] = f"{left} {s.label}" if left > 0 else ""


def _shorten_lines(layout: _Layout) -> None:
    """Step 2: no line longer than an eighth of the budget."""
    cap = max(MIN_LINE, layout.budget // 8)
    shortened = 0
    for block in layout.blocks:
        if any(len(line) > cap for line in block.lines):
            lines = [ln if len(ln) <= cap else ln[: cap - 1].rstrip() + "…" for ln in block.lines]
            shortened += sum(len(a) != len(b) for a, b in zip(lines, block.lines, strict=True))
            block.set(lines)
    if shortened:
        layout.left_out[_SHORTENED] = f"the end of {shortened} long line(s)"


def _drop_sections(layout: _Layout) -> None:
    """Step 3: leave out whole sections that are not addressed to the viewer."""
    for block in _by_priority([b for b in layout.blocks if not b.section.addressed]):
        if layout.excess() <= 0:
            return
        if block.size:
            block.drop()
            layout.left_out[block.section.heading] = f"the {block.section.heading} section"


def _cut_addressed(layout: _Layout) -> None:
    """Step 4: the largest addressed section loses its last line, until the view fits.

    Cutting the largest first keeps a flood in one section (thousands of ``need`` lines)
    from pushing out the others; each cut section ends with a line saying how many of its
    lines are not shown.
    """
    addressed = [b for b in layout.blocks if b.section.addressed]
    while layout.excess() > 0:
        candidates = [b for b in addressed if b.lines]
        if not candidates:
            return
        block = max(candidates, key=lambda b: (b.size, -b.section.priority))
        block.pop()
        heading = block.section.heading
        layout.left_out["\0cut " + heading] = f"{block.cut} line(s) of {heading}"
