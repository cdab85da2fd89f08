"""Who sees which event in RECENT EVENTS (reference section 4) and channels (section 3)."""

from __future__ import annotations

import pytest

from myco.testing import Swarm


def events(swarm: Swarm, viewer: str) -> str:
    return swarm.section(viewer, "RECENT EVENTS")


def sees(swarm: Swarm, viewer: str, fragment: str) -> bool:
    return fragment in events(swarm, viewer)


# -- section 4 rules -------------------------------------------------------------------


def test_author_sees_own_events_of_every_kind(swarm: Swarm) -> None:
    swarm.post("back", "private secret-plan", "reply front answer-x", "say in-ops channel:ops")
    for frag in ("private secret-plan", "reply FRONT answer-x", "say in-ops channel:ops"):
        assert sees(swarm, "back", frag), frag


@pytest.mark.parametrize("verb", ["private", "log", "note"])
def test_private_and_aliases_hidden_from_peers(swarm: Swarm, verb: str) -> None:
    swarm.post("back", f"{verb} secret-plan")
    assert sees(swarm, "back", "private secret-plan")
    for viewer in ("front", "director"):
        assert not sees(swarm, viewer, "secret-plan"), viewer


def test_private_ack_visible_to_the_asker_of_that_spec_only(swarm: Swarm) -> None:
    swarm.post("front", "ask back q spec:msg/F.md")
    swarm.post("back", "private read ack:msg/F.md")
    assert sees(swarm, "front", "BACK private read ack:msg/F.md")
    assert not sees(swarm, "cart", "private read")
    assert not sees(swarm, "director", "private read")


def test_private_ack_of_unasked_spec_stays_hidden(swarm: Swarm) -> None:
    swarm.post("back", "private read ack:msg/F.md")
    assert not sees(swarm, "front", "private read")


def test_private_without_ack_hidden_even_from_asker(swarm: Swarm) -> None:
    swarm.post("front", "ask back q spec:msg/F.md")
    swarm.post("back", "private musing re:msg/F.md")
    assert not sees(swarm, "front", "musing")


def test_reply_visible_only_to_sender_and_target(swarm: Swarm) -> None:
    swarm.post("back", "reply front answer-x")
    assert sees(swarm, "back", "reply FRONT answer-x")
    assert sees(swarm, "front", "reply FRONT answer-x")
    assert not sees(swarm, "cart", "answer-x")
    assert not sees(swarm, "director", "answer-x")  # no special visibility


def test_direct_and_say_visible_to_everyone(swarm: Swarm) -> None:
    swarm.post("director", "direct back do-it-now")
    swarm.post("front", "say hello-all")
    for viewer in ("back", "cart", "front"):
        assert sees(swarm, viewer, "DIRECTOR direct BACK do-it-now"), viewer
        assert sees(swarm, viewer, "FRONT say hello-all"), viewer
    # ...but the DIRECTIVES section stays target-filtered
    assert swarm.section("cart", "DIRECTIVES") == "No active directive."


def test_asks_to_others_are_visible(swarm: Swarm) -> None:
    swarm.post("front", "ask back which-one")
    assert sees(swarm, "back", "FRONT ask BACK which-one")
    assert sees(swarm, "cart", "FRONT ask BACK which-one")


@pytest.mark.parametrize(
    "line", ["start x", "done x", "need x", "block x", "up x", "down x", "celebrate x"]
)
def test_other_verbs_visible(swarm: Swarm, line: str) -> None:
    swarm.post("back", line)
    assert sees(swarm, "front", f"BACK {line}")


def test_recent_events_last_15_oldest_first(swarm: Swarm) -> None:
    for i in range(20):
        swarm.post("front", f"start task-{i:02d}")
    lines = events(swarm, "back").splitlines()
    assert lines[0] == lines[-1] == "```"
    body = lines[1:-1]
    assert len(body) == 15
    assert [ln.split()[-1] for ln in body] == [f"task-{i:02d}" for i in range(5, 20)]


def test_hidden_events_do_not_use_up_the_window(swarm: Swarm) -> None:
    swarm.post("front", "start visible-one")
    for i in range(20):
        swarm.post("back", f"private p-{i}")
    assert sees(swarm, "cart", "start visible-one")


def test_events_from_all_sessions_are_merged_chronologically(swarm: Swarm) -> None:
    swarm.post("front", "start a")
    swarm.post("back", "start b")
    swarm.post("front", "start c")
    body = events(swarm, "cart").splitlines()[1:-1]
    assert [ln.split()[1:] for ln in body] == [
        ["FRONT", "start", "a"],
        ["BACK", "start", "b"],
        ["FRONT", "start", "c"],
    ]


# -- channels (section 3) --------------------------------------------------------------


def test_channel_event_hidden_from_non_members(swarm: Swarm) -> None:
    swarm.post("ops", "start deploy channel:ops")
    assert not sees(swarm, "front", "deploy")
    swarm.post("front", "start build channel:ops")  # FRONT joins ops by posting there
    assert sees(swarm, "front", "OPS start deploy")


def test_membership_is_sticky(swarm: Swarm) -> None:
    swarm.post("front", "start build channel:ops")
    swarm.post("front", "start other")  # later global events do not leave ops
    swarm.post("ops", "start deploy channel:ops")
    assert sees(swarm, "front", "OPS start deploy")


@pytest.mark.parametrize("verb", ["ask", "reply", "direct"])
def test_target_of_session_verbs_joins_the_channel(swarm: Swarm, verb: str) -> None:
    swarm.post("ops", f"{verb} back hi-there channel:ops")
    swarm.post("ops", "start deploy channel:ops")
    assert sees(swarm, "back", "OPS start deploy")
    assert not sees(swarm, "cart", "deploy")


def test_other_verbs_objects_do_not_join(swarm: Swarm) -> None:
    swarm.post("ops", "say BACK look channel:ops")
    swarm.post("ops", "start deploy channel:ops")
    assert sees(swarm, "back", "say BACK look")  # mention override
    assert not sees(swarm, "back", "deploy")  # but no membership


def test_mention_override_for_any_verb(swarm: Swarm) -> None:
    swarm.post("ops", "start BACK channel:ops", "need FRONT channel:ops")
    assert sees(swarm, "back", "OPS start BACK")
    assert not sees(swarm, "back", "need FRONT")
    assert sees(swarm, "front", "OPS need FRONT")


def test_multi_channel_event_visible_to_members_of_any(swarm: Swarm) -> None:
    swarm.post("a1", "start join-a channel:a")
    swarm.post("b1", "start join-b channel:b")
    swarm.post("ops", "say both channel:a,b")
    assert sees(swarm, "a1", "say both")
    assert sees(swarm, "b1", "say both")
    assert not sees(swarm, "c1", "say both")


def test_global_in_channel_list_is_visible_to_all(swarm: Swarm) -> None:
    swarm.post("ops", "say wide channel:global,ops")
    assert sees(swarm, "front", "say wide")


def test_empty_channel_value_is_global(swarm: Swarm) -> None:
    swarm.post("ops", "say empty channel:,,")
    assert sees(swarm, "front", "say empty")


def test_direct_all_does_not_create_an_ALL_session(swarm: Swarm) -> None:
    swarm.post("director", "direct all freeze channel:ops")
    assert "ALL" not in swarm.state.sessions
    assert "**ALL**" not in swarm.section("front", "PEERS")


def test_channel_reply_still_needs_to_be_addressed(swarm: Swarm) -> None:
    swarm.post("front", "start x channel:ops")
    swarm.post("back", "reply cart secret-answer channel:ops")
    assert not sees(swarm, "front", "secret-answer")
    assert sees(swarm, "cart", "secret-answer")


def test_broadcasts_filtered_by_channel(swarm: Swarm) -> None:
    swarm.post("ops", "say ops-only channel:ops")
    assert "ops-only" in swarm.section("ops", "BROADCASTS")  # author
    assert "## BROADCASTS" not in swarm.view("front")
    swarm.post("front", "start x channel:ops")
    assert "ops-only" in swarm.section("front", "BROADCASTS")


def test_swarm_counter_filtered_by_channel_for_third_parties(swarm: Swarm) -> None:
    swarm.post("ops", "ask back secret-q channel:ops")
    assert "Swarm: **1 pending ask(s)**" in swarm.section("back", "NOW")  # target
    assert "Swarm: **1 pending ask(s)**" in swarm.section("ops", "NOW")  # asker
    assert "Swarm:" not in swarm.section("front", "NOW")
    swarm.post("front", "start x channel:ops")
    assert "OPS→BACK (secret-q)" in swarm.section("front", "NOW")


def test_unfiltered_sections_ignore_channels(swarm: Swarm) -> None:
    swarm.post(
        "ops", "direct all freeze channel:ops", "done artefact channel:ops", "up db channel:ops"
    )
    assert "freeze" in swarm.section("front", "DIRECTIVES")
    assert "| OPS | artefact |" in swarm.section("front", "PUBLISHED ARTIFACTS")
    assert "| db | UP |" in swarm.section("front", "SHARED RESOURCES")
    assert "**OPS**" in swarm.section("front", "PEERS")


def test_channel_question_shows_in_pending_questions(swarm: Swarm) -> None:
    swarm.post("ops", "ask back q channel:ops")
    assert "OPS → BACK: q channel:ops" in swarm.section("back", "PENDING QUESTIONS")
