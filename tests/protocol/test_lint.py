"""Lint warnings returned to the author of a batch (reference 6.1, English texts).

Lint runs per event against the state before that event, and never rejects anything.
"""

from __future__ import annotations

import pytest

from myco.testing import Swarm

MIN = 60 * 1000


def lint_a(x: str, s: str) -> str:
    return (
        f"reply {x}: no pending ask from {x} to {s}. To start a new question use `ask {x}`; "
        f"`reply` is for answering an existing ask and won't appear in {x}'s PENDING "
        "QUESTIONS otherwise."
    )


def lint_b(verb: str, askers: str) -> str:
    return (
        f"{verb}: peers can't see this. You have pending ask(s) from {askers} — if you're "
        "answering, use `reply <session>` instead."
    )


def lint_c(v: str, fname: str) -> str:
    return (
        f"spec:{v} referenced but no such msg exists yet. Create it with `myco msg put "
        f"{fname} FILE` (or inline `msgs` on this same post, or POST /msg/{fname}) or drop "
        "the spec: pointer — the recipient gets a 404 otherwise."
    )


def lint_d(verb: str, entries: list[str]) -> str:
    return (
        f"{verb} with {len(entries)} pending ask(s) for you ({'; '.join(entries)}). "
        "Reply or acknowledge before closing the turn."
    )


# -- a: reply without a pending ask ----------------------------------------------------


def test_a_reply_without_ask(swarm: Swarm) -> None:
    assert swarm.post("back", "reply front here you go") == [lint_a("FRONT", "BACK")]


def test_a_silent_when_the_ask_is_pending(swarm: Swarm) -> None:
    swarm.post("front", "ask back q")
    assert swarm.post("back", "reply front a") == []


def test_a_fires_after_the_ask_was_resolved(swarm: Swarm) -> None:
    swarm.post("front", "ask back q")
    swarm.post("back", "reply front a")
    assert swarm.post("back", "reply front more") == [lint_a("FRONT", "BACK")]


def test_a_fires_for_ask_from_someone_else(swarm: Swarm) -> None:
    swarm.post("cart", "ask back q")
    assert swarm.post("back", "reply front a") == [lint_a("FRONT", "BACK")]


def test_a_fires_for_self_reply(swarm: Swarm) -> None:
    assert swarm.post("back", "reply back note-to-self") == [lint_a("BACK", "BACK")]


def test_a_respects_acks_and_ttl(swarm: Swarm) -> None:
    swarm.post("front", "ask back q spec:msg/F.md")
    swarm.post("back", "private read ack:msg/F.md")
    assert swarm.post("back", "reply front late") == [lint_a("FRONT", "BACK")]
    swarm.post("front", "ask back q2")
    swarm.advance(31 * MIN)
    assert swarm.post("back", "reply front very late") == [lint_a("FRONT", "BACK")]


def test_reply_without_target(swarm: Swarm) -> None:
    assert swarm.post("back", "reply") == [
        "reply needs a target session: `reply <SESSION> <answer>`."
    ]


# -- b: private while asks are pending -------------------------------------------------


@pytest.mark.parametrize("verb", ["private", "log", "note"])
def test_b_private_with_pending_asks(swarm: Swarm, verb: str) -> None:
    swarm.post("zed", "ask back q1")
    swarm.post("amy", "ask back q2")
    swarm.post("zed", "ask back q3")
    # the message names the canonical verb
    assert swarm.post("back", f"{verb} thinking") == [lint_b("private", "AMY, ZED")]


def test_b_silent_without_pending_asks(swarm: Swarm) -> None:
    swarm.post("back", "ask front q")  # asked BY back: not pending FOR back
    assert swarm.post("back", "private thinking") == []


def test_b_silent_for_the_ack_idiom(swarm: Swarm) -> None:
    swarm.add_msg("F.md")
    swarm.post("front", "ask back q spec:msg/F.md")
    swarm.post("cart", "ask back other")
    assert swarm.post("back", "private ack ack:msg/F.md") == []


def test_b_respects_ttl(swarm: Swarm) -> None:
    swarm.post("front", "ask back q")
    swarm.advance(31 * MIN)
    assert swarm.post("back", "private thinking") == []


# -- d: start/done while asks are pending ----------------------------------------------


@pytest.mark.parametrize("verb", ["start", "done"])
def test_d_swallowed_handoff(swarm: Swarm, verb: str) -> None:
    swarm.post("front", "ask back which format spec:msg/F.md")
    swarm.add_msg("F.md")
    assert swarm.post("back", f"{verb} api") == [
        lint_d(verb, ["FRONT→you: which format spec:msg/F.md"])
    ]


def test_d_at_most_three_entries_and_57_char_cut(swarm: Swarm) -> None:
    long = "x" * 61
    sixty = "y" * 60
    swarm.post("a1", f"ask back {long}")
    swarm.post("a2", f"ask back {sixty}")
    swarm.post("a3", "ask back short")
    swarm.post("a4", "ask back fourth")
    warnings = swarm.post("back", "done api")
    assert warnings == [
        "done with 4 pending ask(s) for you "
        f"(A1→you: {'x' * 57}...; A2→you: {sixty}; A3→you: short). "
        "Reply or acknowledge before closing the turn."
    ]


def test_d_respects_acks(swarm: Swarm) -> None:
    swarm.add_msg("F.md")
    swarm.post("front", "ask back q spec:msg/F.md")
    swarm.post("back", "private ack ack:msg/F.md")
    assert swarm.post("back", "done api") == []


def test_d_respects_ttl(swarm: Swarm) -> None:
    swarm.post("front", "ask back q")
    swarm.advance(30 * MIN + 1)
    assert swarm.post("back", "done api") == []


def test_lint_sees_earlier_lines_of_the_same_batch(swarm: Swarm) -> None:
    swarm.post("front", "ask back q")
    assert swarm.post("back", "reply front a", "done api") == []
    swarm.post("front", "ask back q2")
    # the warning is computed before the line is applied: done comes first here
    assert swarm.post("back", "done api", "reply front a") == [lint_d("done", ["FRONT→you: q2"])]


def test_other_verbs_do_not_draw_d(swarm: Swarm) -> None:
    swarm.post("front", "ask back q")
    assert swarm.post("back", "need x", "up y", "block z", "say hi") == []


# -- e1/e2: done and directives --------------------------------------------------------


def test_e1_done_re_matches_nothing(swarm: Swarm) -> None:
    swarm.post("director", "direct back task-a now", "direct all task-b now")
    swarm.post("director", "direct back spec:msg/D.md")
    swarm.add_msg("D.md")
    assert swarm.post("back", "done x re:task-z") == [
        "done re:task-z: matches no open directive for you (open: task-a, task-b, msg/D.md). "
        "The directive stays open."
    ]


def test_e1_with_no_open_directive(swarm: Swarm) -> None:
    assert swarm.post("back", "done x re:anything") == [
        "done re:anything: matches no open directive for you (open: none). "
        "The directive stays open."
    ]


def test_e1_silent_on_match(swarm: Swarm) -> None:
    swarm.post("director", "direct all task-b now")
    assert swarm.post("back", "done x re:task-b") == []
    assert swarm.post("back", "done x re:task-b") == [
        "done re:task-b: matches no open directive for you (open: none). The directive stays open."
    ]


def test_e2_done_without_re_while_targeted_directives_open(swarm: Swarm) -> None:
    for name in ("t1", "t2", "t3", "t4"):
        swarm.post("director", f"direct back {name}, soon")
    swarm.post("director", "direct all global-task")
    assert swarm.post("back", "done x") == [
        "done without re: while 4 directive(s) for you are open (t1, t2, t3). "
        "Add re:<obj> to close the one this done fulfils."
    ]


def test_e2_ignores_ALL_directives_and_closed_ones(swarm: Swarm) -> None:
    swarm.post("director", "direct all global-task")
    assert swarm.post("back", "done x") == []
    swarm.post("director", "direct back t1")
    swarm.post("back", "done y re:t1")
    assert swarm.post("back", "done z") == []


def test_directives_do_not_lint_start(swarm: Swarm) -> None:
    swarm.post("director", "direct back t1")
    assert swarm.post("back", "start y") == []


# -- c: dangling spec pointer ----------------------------------------------------------


@pytest.mark.parametrize(
    "line", ["ask front q spec:msg/NEW.md", "say look spec:msg/NEW.md", "done a spec:msg/NEW.md"]
)
def test_c_missing_msg(swarm: Swarm, line: str) -> None:
    warnings = swarm.post("back", line)
    assert warnings[-1] == lint_c("msg/NEW.md", "NEW.md")


def test_c_is_given_once_per_post(swarm: Swarm) -> None:
    """Three lines citing one missing msg: the same advice once, in CLI terms first."""
    warnings = swarm.post(
        "back", "ask front q spec:msg/NEW.md", "say see spec:msg/NEW.md", "done a spec:msg/NEW.md"
    )
    assert warnings == [lint_c("msg/NEW.md", "NEW.md")]
    assert "`myco msg put NEW.md FILE`" in warnings[0]


def test_c_silent_when_the_msg_exists(swarm: Swarm) -> None:
    swarm.add_msg("NEW.md")
    assert swarm.post("back", "ask front q spec:msg/NEW.md") == []


def test_c_comes_last(swarm: Swarm) -> None:
    swarm.post("front", "ask back q")
    assert swarm.post("back", "done x re:none spec:msg/NEW.md") == [
        lint_d("done", ["FRONT→you: q"]),
        "done re:none: matches no open directive for you (open: none). The directive stays open.",
        lint_c("msg/NEW.md", "NEW.md"),
    ]


# -- miscellaneous ---------------------------------------------------------------------


def test_self_ask_and_direct_without_target(swarm: Swarm) -> None:
    warnings = swarm.post("back", "ask back me?")
    assert len(warnings) == 1
    assert warnings[0].startswith("ask BACK: you cannot ask yourself")
    assert swarm.post("director", "direct") == [
        "direct needs a target: `direct <SESSION|all> <instruction>`."
    ]


def test_lint_never_rejects(swarm: Swarm) -> None:
    swarm.post("back", "reply front unsolicited", "bogus verb")
    events = swarm.section("front", "RECENT EVENTS")
    assert "BACK reply FRONT unsolicited" in events
    assert "BACK bogus verb" in events


# -- unknown verbs: a near miss is named ------------------------------------------------


@pytest.mark.parametrize(
    ("line", "meant"),
    [("strat x", "start"), ("neeed BACK.api", "need"), ("replly front a", "reply")],
)
def test_unknown_verb_suggests_the_close_one(swarm: Swarm, line: str, meant: str) -> None:
    (warning,) = swarm.post("front", line)
    verb = line.split()[0]
    assert warning.startswith(
        f"unknown verb {verb!r}: recorded, but it changes nothing. Did you mean `{meant}`? Verbs:"
    )


def test_unknown_verb_far_from_any_gets_no_guess(swarm: Swarm) -> None:
    (warning,) = swarm.post("front", "xylophone tune")  # was "celebrate": near `release`
    assert "Did you mean" not in warning and "Verbs: ask," in warning


def test_an_alias_near_miss_names_the_verb(swarm: Swarm) -> None:
    (warning,) = swarm.post("front", "nte to self")
    assert "Did you mean `private`?" in warning  # `note` is an alias of private
