"""The event-line grammar: key:value extraction, channels, validation and blocks.

Reference section 1.2 and 1.3; every example of 1.3 is pinned here because the hooks and
the daemon must agree on it byte for byte.
"""

from __future__ import annotations

import pytest

from myco.protocol.grammar import (
    CORE_KEYS,
    GLOBAL,
    MAX_LINE,
    block_lines,
    channels_of,
    directive_object,
    find_blocks,
    first_word,
    line_problem,
    parse_kvs,
    parse_line,
)

# -- parse_kvs (reference 1.3) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("detail", "kvs", "text"),
    [
        ("foo-ref:x bar", {"ref": "x"}, "foo- bar"),
        ("x.spec:msg/A.md", {"spec": "msg/A.md"}, "x."),
        ("(spec:msg/A.md)", {"spec": "msg/A.md)"}, "("),
        ("ref:a:b", {"ref": "a:b"}, ""),
        ("re:msg/X.md,", {"re": "msg/X.md,"}, ""),
        ("see http://h:80/p re:q", {"re": "q"}, "see http://h:80/p"),
        ("ref:first ref:second", {"ref": "second"}, ""),
        ("a ref:r  b   spec:s c", {"ref": "r", "spec": "s"}, "a b c"),
    ],
)
def test_parse_kvs_reference_examples(detail: str, kvs: dict[str, str], text: str) -> None:
    got_kvs, got_text = parse_kvs(detail)
    assert got_kvs == kvs
    assert got_text == text


@pytest.mark.parametrize("detail", ["REF:x", "Ref:y", "re: foo", "msg:msg/A.md", "xref:y"])
def test_parse_kvs_not_a_kv(detail: str) -> None:
    kvs, text = parse_kvs(detail)
    assert kvs == {}
    assert text == detail  # unchanged, not even whitespace-normalised


def test_parse_kvs_text_unchanged_when_nothing_matched() -> None:
    detail = "two  spaces   kept"
    assert parse_kvs(detail) == ({}, detail)


def test_parse_kvs_text_normalised_when_a_kv_matched() -> None:
    assert parse_kvs("  a   b ref:x   c  ")[1] == "a b c"


def test_parse_kvs_unknown_key_consumes_its_text() -> None:
    # ``http:`` is matched (and skipped) first, so ``re:`` inside the URL is not a kv.
    kvs, text = parse_kvs("http://h/re:x")
    assert kvs == {}
    assert text == "http://h/re:x"


def test_parse_kvs_url_with_addr_key() -> None:
    kvs, text = parse_kvs("addr:http://10.0.0.5:8080 rest")
    assert kvs == {"addr": "http://10.0.0.5:8080"}
    assert text == "rest"


def test_parse_kvs_order_is_first_occurrence_last_value() -> None:
    kvs, _ = parse_kvs("spec:s1 ref:r spec:s2")
    assert list(kvs) == ["spec", "ref"]
    assert kvs["spec"] == "s2"


def test_parse_kvs_every_core_key_is_recognised() -> None:
    detail = " ".join(f"{k}:v{i}" for i, k in enumerate(sorted(CORE_KEYS)))
    kvs, text = parse_kvs(detail)
    assert set(kvs) == set(CORE_KEYS)
    assert text == ""


def test_parse_kvs_extra_keys() -> None:
    assert parse_kvs("prio:high")[0] == {}
    assert parse_kvs("prio:high", keys=CORE_KEYS | {"prio"})[0] == {"prio": "high"}


# -- channels (reference 3) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "channels"),
    [
        (None, {GLOBAL}),
        ("", {GLOBAL}),
        (",,", {GLOBAL}),
        ("ops", {"ops"}),
        ("a,b", {"a", "b"}),
        ("a,,b,", {"a", "b"}),
        ("global,ops", {GLOBAL, "ops"}),
    ],
)
def test_channels_of(value: str | None, channels: set[str]) -> None:
    kvs = {} if value is None else {"channel": value}
    assert channels_of(kvs) == frozenset(channels)


def test_parse_line_channels() -> None:
    parsed = parse_line("say hi channel:a,b")
    assert parsed is not None
    assert parsed.channels == frozenset({"a", "b"})
    assert parse_line("say hi").channels == frozenset({GLOBAL})  # type: ignore[union-attr]


# -- parse_line (reference 1.2) --------------------------------------------------------


def test_parse_line_parts() -> None:
    p = parse_line("  done auth-api   ref:origin/x  result:ok  and   more ")
    assert p is not None
    assert p.verb == "done"
    assert p.obj == "auth-api"
    assert p.detail == "ref:origin/x  result:ok  and   more"  # internal whitespace kept
    assert p.text == "and more"
    assert dict(p.kvs) == {"ref": "origin/x", "result": "ok"}


def test_parse_line_blank_is_none() -> None:
    assert parse_line("") is None
    assert parse_line("   \t ") is None


def test_parse_line_verb_only() -> None:
    p = parse_line("done")
    assert p is not None
    assert (p.verb, p.obj, p.detail, p.text, dict(p.kvs)) == ("done", "", "", "", {})


@pytest.mark.parametrize("verb", ["ask", "reply", "direct"])
def test_session_verbs_upper_case_the_object(verb: str) -> None:
    p = parse_line(f"{verb} back hello There")
    assert p is not None
    assert p.obj == "BACK"
    assert p.detail == "hello There"


def test_direct_all_becomes_ALL() -> None:
    p = parse_line("direct all use jwt")
    assert p is not None
    assert p.obj == "ALL"


@pytest.mark.parametrize("verb", ["start", "done", "need", "say", "up", "private"])
def test_other_verbs_keep_object_case(verb: str) -> None:
    p = parse_line(f"{verb} Auth-Api x")
    assert p is not None
    assert p.obj == "Auth-Api"


def test_verb_is_case_normalised() -> None:
    p = parse_line("Direct back do it")
    assert p is not None
    assert p.verb == "direct"
    assert p.obj == "BACK"
    assert parse_line("DONE x").verb == "done"  # type: ignore[union-attr]


def test_a_known_key_in_object_position_is_a_kv() -> None:
    """Deliberate difference from the reference: `private re:task-b` retires task-b.

    The reference took `re:task-b` as the object, so the documented idiom did nothing.
    """
    p = parse_line("private re:task-b")
    assert p is not None
    assert p.obj == ""
    assert dict(p.kvs) == {"re": "task-b"}
    q = parse_line("up http://host:80/x")  # an unknown key stays the object
    assert q is not None
    assert q.obj == "http://host:80/x"
    r = parse_line("reply re:x y")  # a session verb's object is always the session
    assert r is not None
    assert r.obj == "RE:X"


# -- line_problem ----------------------------------------------------------------------


@pytest.mark.parametrize("line", ["say hi", "say\thi\ttabs", "say ünïcödé — ok", "x" * MAX_LINE])
def test_line_problem_accepts(line: str) -> None:
    assert line_problem(line) is None


@pytest.mark.parametrize("sep", ["\n", "\r", "\u2028", "\u2029", "\x85"])
def test_line_problem_rejects_line_breaks(sep: str) -> None:
    problem = line_problem(f"say hi{sep}done forged")
    assert problem is not None
    assert "line break" in problem
    assert f"U+{ord(sep):04X}" in problem


@pytest.mark.parametrize("ch", ["\x00", "\x07", "\x1b", "\x7f", "\x9b"])
def test_line_problem_rejects_control_characters(ch: str) -> None:
    problem = line_problem(f"say a{ch}b")
    assert problem is not None
    assert "control character" in problem


def test_line_problem_too_long_and_not_a_string() -> None:
    assert line_problem("x" * (MAX_LINE + 1)) == f"longer than {MAX_LINE} characters"
    assert line_problem(42) == "must be a string"
    assert line_problem(None) == "must be a string"
    assert line_problem(b"say hi") == "must be a string"


# -- blocks ----------------------------------------------------------------------------


def test_find_blocks_all_in_order_case_insensitive() -> None:
    text = "a <myco>\nstart x\n</myco> b <MYCO>done x</Myco> <myco></myco>"
    assert find_blocks(text) == ["\nstart x\n", "done x", ""]


def test_find_blocks_none_and_unclosed() -> None:
    assert find_blocks("no block here") == []
    assert find_blocks("<myco> start x") == []


def test_find_blocks_is_not_greedy() -> None:
    assert find_blocks("<myco>a</myco> text <myco>b</myco>") == ["a", "b"]


def test_block_lines_strips_and_drops_blanks_and_comments() -> None:
    block = "\n  start x  \n\n   # a comment\n\tdone x ref:y\n#another\n   \n"
    assert block_lines(block) == ["start x", "done x ref:y"]


def test_block_lines_keeps_hash_inside_a_line() -> None:
    assert block_lines("say issue #42 fixed") == ["say issue #42 fixed"]


# -- helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "obj"),
    [
        ("RE-GATE, now", "RE-GATE"),
        ("priorizar-refresh-token, antes do logout", "priorizar-refresh-token"),
        ("task.", "task"),
        ("task:;", "task"),
        ("-x-", "-x"),
        ("— then", ""),
        ("", ""),
        ("   ", ""),
        ("a-b", "a-b"),
    ],
)
def test_directive_object(text: str, obj: str) -> None:
    assert directive_object(text) == obj


def test_first_word() -> None:
    assert first_word("  hello world ") == "hello"
    assert first_word("") == ""
