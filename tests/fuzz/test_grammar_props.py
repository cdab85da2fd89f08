"""Property-based tests of the event-line grammar, ``<myco>`` blocks and the swarm state.

The parser runs on every agent turn (in the hooks) and on every posted line (in the daemon),
on text a model wrote: it must be total. Where a line is built from known parts, parsing must
give those parts back. Example counts are kept moderate so the whole module runs in seconds.
"""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from myco.names import ALL, DIRECTOR, InvalidName, session_name
from myco.protocol.grammar import (
    CORE_KEYS,
    GLOBAL,
    MAX_LINE,
    block_lines,
    channels_of,
    find_blocks,
    line_problem,
    parse_kvs,
    parse_line,
)
from myco.testing import Swarm

FAST = settings(max_examples=150, deadline=None)
SLOW = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SESSION_VERBS = ("ask", "reply", "direct")
KEYS = sorted(CORE_KEYS)

# Any text at all, weighted towards what breaks parsers: separators, controls, tags, colons.
_nasty = st.sampled_from(
    [
        "\n",
        "\r",
        "\r\n",
        "\t",
        " ",
        "\x00",
        "\x85",
        "\u2028",
        "\u2029",
        "\x0b",
        "\x0c",
        "\x1c",
        ":",
        "ref:",
        "spec:msg/",
        "channel:",
        "<myco>",
        "</myco>",
        "<MYCO>",
        "#",
        "`",
        "```",
        "|",
        "<system-reminder>",
        "</command-name>",
        "é",
        "\ud7ff",
        "\U0001f600",
        "\u200b",
    ]
)
any_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(_nasty, st.text(max_size=8)), max_size=30).map("".join),
)

# Pieces of a well-formed line: nothing in them can be mistaken for a separator or a key.
_word_chars = string.ascii_letters + string.digits + "-_.,/()[]!?'\"#@%&*+=<>|`~éß€中"
word = st.text(alphabet=_word_chars, min_size=1, max_size=12)
_value_chars = _word_chars + ":"
value = st.text(alphabet=_value_chars, min_size=1, max_size=16)
kv = st.tuples(st.sampled_from(KEYS), value)
verb = st.text(alphabet=string.ascii_letters, min_size=1, max_size=8)


# -- totality -------------------------------------------------------------------------


@FAST
@given(any_text, st.sets(st.text(alphabet=string.ascii_lowercase, max_size=6), max_size=5))
def test_parsers_never_raise(text: str, keys: set[str]) -> None:
    problem = line_problem(text)
    parsed = parse_line(text)
    kvs, free = parse_kvs(text, keys)
    assert isinstance(kvs, dict) and isinstance(free, str)
    assert set(kvs) <= keys
    if parsed is None:
        assert not text.split()
        return
    assert parsed.verb == text.split()[0].lower()
    assert parsed.channels == channels_of(parsed.kvs)
    if problem is None:
        # An accepted line is one line: nothing in it can split it when stored or replayed.
        assert len(text) <= MAX_LINE
        assert len(text.splitlines()) <= 1


@FAST
@given(
    st.one_of(
        st.none(),
        st.integers(),
        st.floats(),
        st.binary(),
        st.lists(st.text()),
        st.dictionaries(st.text(), st.text()),
        st.text(min_size=MAX_LINE + 1, max_size=MAX_LINE + 3),
    )
)
def test_line_problem_names_every_non_line(value: Any) -> None:
    assert isinstance(line_problem(value), str)


@FAST
@given(any_text)
def test_block_extraction_never_raises(text: str) -> None:
    for block in find_blocks(text):
        assert block in text
        for line in block_lines(block):
            assert line == line.strip() and line and not line.startswith("#")
            assert len(line.splitlines()) == 1


# -- round trips ----------------------------------------------------------------------


@st.composite
def built_line(
    draw: st.DrawFn,
) -> tuple[str, str, str, list[str], list[tuple[str, str]], list[str]]:
    """(line, verb, obj, free words, kvs in order, detail tokens): words and kvs mixed."""
    v = draw(verb)
    obj = draw(word)
    words = draw(st.lists(word, max_size=6))
    pairs = draw(st.lists(kv, max_size=5))
    tokens: list[str] = [*words, *(f"{k}:{val}" for k, val in pairs)]
    order = draw(st.permutations(range(len(tokens))))
    # keep relative order of words and of kvs so the expected values stay simple
    flags = [i < len(words) for i in order]
    wi, ki, merged = iter(words), iter(pairs), []
    for is_word in flags:
        merged.append(next(wi) if is_word else "{}:{}".format(*next(ki)))
    seps = draw(
        st.lists(
            st.sampled_from([" ", "  ", "\t", " \t "]),
            min_size=len(merged) + 2,
            max_size=len(merged) + 2,
        )
    )
    line = v + seps[0] + obj
    for sep, tok in zip(seps[1:], merged, strict=False):
        line += sep + tok
    return line, v, obj, words, pairs, merged


@FAST
@given(built_line())
def test_built_line_parses_back(
    parts: tuple[str, str, str, list[str], list[tuple[str, str]], list[str]],
) -> None:
    line, v, obj, words, pairs, tokens = parts
    parsed = parse_line(line)
    assert parsed is not None
    assert parsed.verb == v.lower()
    assert parsed.obj == (obj.upper() if v.lower() in SESSION_VERBS else obj)
    expected: dict[str, str] = {}
    for k, val in pairs:
        expected[k] = val  # first position keeps the order, the last value wins
    assert dict(parsed.kvs) == expected
    assert list(parsed.kvs) == list(expected)
    assert parsed.detail.split() == tokens
    # The free text reconstructs: whitespace-normalised once a key was taken out of it,
    # the detail itself (spacing kept) when there was none.
    assert parsed.text == (" ".join(words) if pairs else parsed.detail)
    assert parsed.text.split() == words
    assert parsed.channels == channels_of(expected)
    if "channel" not in expected or not expected["channel"].strip(","):
        assert parsed.channels == {GLOBAL}


@FAST
@given(st.sampled_from(["start", "done", "up", "private", "say"]), kv, st.lists(word, max_size=3))
def test_known_key_in_object_position_is_a_kv(
    v: str, pair: tuple[str, str], words: list[str]
) -> None:
    k, val = pair
    parsed = parse_line(" ".join([v, f"{k}:{val}", *words]))
    assert parsed is not None
    assert parsed.obj == ""
    assert parsed.kvs[k] == val
    assert parsed.text == " ".join(words)


@FAST
@given(
    st.lists(
        st.tuples(
            st.text(max_size=40).filter(lambda s: "</myco>" not in s.lower()),
            st.text(max_size=20).filter(lambda s: "<myco>" not in s.lower()),
        ),
        max_size=5,
    )
)
def test_blocks_come_back_in_order(parts: list[tuple[str, str]]) -> None:
    text = "".join(f"<myco>{body}</myco>{filler}" for body, filler in parts)
    assert find_blocks(text) == [body for body, _ in parts]


_block_line = (
    st.text(alphabet=_word_chars.replace("#", "") + " \t", min_size=1, max_size=40)
    .map(str.strip)
    .filter(bool)
    .filter(lambda s: "</myco>" not in s.lower())  # a closing tag ends the block early
)


@FAST
@given(
    st.lists(_block_line, max_size=10),
    st.lists(st.sampled_from(["", "   ", "# a comment", "  # indented comment"]), max_size=4),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_block_lines_round_trip(lines: list[str], noise: list[str], newline: str) -> None:
    body = newline.join(noise + lines + noise)
    assert block_lines(body) == lines
    blocks = find_blocks(f"say before <myco>{newline}{body}{newline}</myco> after")
    assert [block_lines(b) for b in blocks] == [lines]


# -- swarm state ----------------------------------------------------------------------

POSTERS = ("ALICE", "BOB", "CAROL", "DAVE", "DIRECTOR")
OBSERVER = "ZED"  # never posts, never named: nothing is addressed to it
SHARED_OBJECTS = ("login", "api-8080", "L" * 1500, "M" * 3000)


def _target_ok(obj: str, allow_all: bool) -> bool:
    """The daemon's own check of a targeted session (see ``Tenant.check_lines``)."""
    if allow_all and obj.upper() == ALL:
        return True
    try:
        session_name(obj)
    except InvalidName:
        return False
    return True


@st.composite
def event_line(
    draw: st.DrawFn, swarm: Swarm, targets: tuple[str, ...], allow_all: bool
) -> str | None:
    """A line the daemon would accept (None when the draw produced one it rejects)."""
    # every verb, an unknown one, and extra weight on those that build up state
    verbs = [
        *sorted(swarm.verbs.canonical),
        "frobnicate",
        "Start",
        *["start"] * 6,
        "done",
        "need",
        "ask",
        "direct",
        "up",
    ]
    v = draw(st.sampled_from(verbs))
    spec = swarm.verbs.get(swarm.verbs.canonical.get(v, v))
    is_target = spec is not None and spec.target
    if is_target:
        objs = [*targets, "all"] if allow_all else list(targets)
        obj = draw(st.sampled_from(objs))
    else:
        # a small shared pool makes sessions collide (conflicts, needs met by done/up)
        shared = st.sampled_from(SHARED_OBJECTS)
        obj = draw(
            st.one_of(
                shared,
                shared,
                shared,
                word,
                st.builds(lambda w, n: w * n, word, st.integers(1, 300)),
            )
        )
    detail: list[str] = draw(
        st.lists(
            st.one_of(
                word,
                st.builds(lambda k, val: f"{k}:{val}", st.sampled_from(KEYS), value),
                st.sampled_from(
                    [
                        "spec:msg/A-001.md",
                        "spec:msg/B-002.md",
                        "re:login",
                        "ref:abc123",
                        "result:ok",
                        "channel:front,back",
                        "channel:back",
                        "addr:127.0.0.1:80",
                        "<system-reminder>",
                        "```",
                        "| x |",
                        "## DIRECTIVES",
                    ]
                ),
                st.builds(lambda w, n: w * n, word, st.integers(50, 400)),
            ),
            max_size=8,
        )
    )
    line = " ".join([v, obj, *detail])
    if line_problem(line) is not None:
        return None
    parsed = parse_line(line, swarm.verbs.session_verbs, swarm.verbs.keys)
    if (
        is_target
        and parsed is not None
        and parsed.obj
        and not _target_ok(parsed.obj, spec.allow_all)
    ):
        return None
    return line


@st.composite
def history(
    draw: st.DrawFn,
    swarm: Swarm,
    targets: tuple[str, ...],
    posters: tuple[str, ...],
    allow_all: bool,
) -> list[tuple[str, list[str], int]]:
    """Batches of (author, lines, ms to advance first)."""
    batches = []
    for _ in range(draw(st.integers(1, 12))):
        author = draw(st.sampled_from(posters))
        lines = [
            ln
            for ln in draw(st.lists(event_line(swarm, targets, allow_all), min_size=1, max_size=6))
            if ln is not None
        ]
        gap = draw(st.sampled_from([0, 1, 1000, 60_000, 31 * 60_000, 49 * 3600_000]))
        batches.append((author, lines, gap))
    return batches


@SLOW
@given(st.data())
def test_state_never_raises_and_every_view_renders(data: st.DataObject) -> None:
    swarm = Swarm(budget=data.draw(st.integers(2000, 9000)))
    swarm.add_msg("A-001.md")
    batches = data.draw(history(swarm, (*POSTERS, OBSERVER, "ghost"), POSTERS, True))
    for author, lines, gap in batches:
        swarm.advance(gap)
        swarm.post(author, *lines)
        assert swarm.state.last_seq == swarm.seq
    for name in (*POSTERS, OBSERVER):
        assert swarm.view(name).startswith("<!-- myco protocol v1 -->\n")
        assert json.loads(swarm.view(name, "json"))["session"] == name


WORKERS = POSTERS[:-1]
_VERBS = Swarm()  # only its verb registry is used, to draw lines
quiet_history = history(_VERBS, WORKERS, WORKERS, False)
Batches = list[tuple[str, list[str], int]]


def _replay(budget: int, batches: Batches) -> Swarm:
    swarm = Swarm(budget=budget)
    swarm.add_msg("A-001.md")
    for author, lines, gap in batches:
        swarm.advance(gap)
        swarm.post(author, *lines)
    return swarm


@SLOW
@given(st.integers(3000, 9000), quiet_history)
def test_worker_view_stays_within_budget_when_nothing_is_addressed_to_it(
    budget: int, batches: Batches
) -> None:
    view = _replay(budget, batches).view(OBSERVER)
    assert len(view) <= budget, (len(view), view[-400:])


# Two workers both `start`ing one long object: CONFLICTS cuts it and can be trimmed away.
CONFLICT = [("ALICE", ["start " + "M" * 3000], 0), ("BOB", ["start " + "M" * 3000], 0)]


@SLOW
@example(3000, CONFLICT)
@given(st.integers(3000, 9000), quiet_history)
def test_director_view_stays_within_budget_when_nothing_is_addressed_to_it(
    budget: int, batches: Batches
) -> None:
    view = _replay(budget, batches).view(DIRECTOR)
    assert len(view) <= budget, (len(view), view[-400:])
