"""Per-verb effects on the swarm state (reference section 2), as seen in the views.

Where the reference has a [QUIRK] or [BUG], these tests pin our documented choice instead
(per-session acknowledgements, case-normalised verbs, keyed-by-seq questions...).
"""

from __future__ import annotations

import pytest

from myco import clock
from myco.testing import Swarm


def status_line(swarm: Swarm, session: str) -> str:
    return swarm.section(session, "NOW").splitlines()[0]


def ts_now(swarm: Swarm) -> str:
    return clock.iso_s(swarm.now)


# -- generic effects -------------------------------------------------------------------


def test_every_event_registers_author_and_last_seen(swarm: Swarm) -> None:
    swarm.post("front", "need x")
    s = swarm.state.sessions["FRONT"]
    assert s.last_seen_ms == swarm.now
    swarm.advance(90_000)
    assert "- **FRONT**: unknown, last-seen 1min" in swarm.section("back", "PEERS")


def test_unknown_verb_is_recorded_with_a_warning_and_changes_nothing(swarm: Swarm) -> None:
    swarm.post("front", "start x")
    warnings = swarm.post("front", "celebrate release-1 with cake")
    assert len(warnings) == 1
    assert warnings[0].startswith("unknown verb 'celebrate': recorded, but it changes nothing.")
    assert "start" in warnings[0]  # lists the real verbs
    assert status_line(swarm, "front") == "Status: **active** — start x"
    assert "FRONT celebrate release-1 with cake" in swarm.section("back", "RECENT EVENTS")
    assert swarm.state.sessions["FRONT"].last_seen_ms == swarm.now


def test_verbs_are_case_normalised(swarm: Swarm) -> None:
    assert swarm.post("front", "START login-page") == []
    assert status_line(swarm, "front") == "Status: **active** — start login-page"
    assert swarm.post("director", "Direct front ship-it now") == []
    assert "ship-it now" in swarm.section("front", "DIRECTIVES")


def test_session_names_are_case_insensitive(swarm: Swarm) -> None:
    swarm.post("Worker", "ask back q1")
    swarm.post("WORKER", "ask Back q2")
    assert "WORKER" in swarm.state.sessions
    assert "Worker" not in swarm.state.sessions
    pending = swarm.section("back", "PENDING QUESTIONS")
    assert "WORKER → BACK: q1" in pending
    assert "WORKER → BACK: q2" in pending


# -- status and action (reference 2 table) ---------------------------------------------


def test_fresh_session_status(swarm: Swarm) -> None:
    assert status_line(swarm, "alice") == "Status: **unknown** — no recent action"


def test_start_sets_active_and_action(swarm: Swarm) -> None:
    swarm.post("front", "start login-page with details")
    assert status_line(swarm, "front") == "Status: **active** — start login-page"


def test_done_sets_idle_and_action(swarm: Swarm) -> None:
    swarm.post("front", "start a")
    swarm.post("front", "done a ref:r")
    assert status_line(swarm, "front") == "Status: **idle** — done a"


def test_block_sets_blocked_with_reason_without_kvs(swarm: Swarm) -> None:
    swarm.post("front", "block waiting for the db ref:x spec:msg/B.md")
    now = swarm.section("front", "NOW")
    assert now.splitlines()[0] == "Status: **blocked** — blocked: waiting for the db"
    assert "No known blocker." not in now  # blocked with no blocker: no second line


def test_blocked_with_blockers_shows_them(swarm: Swarm) -> None:
    swarm.post("front", "need db", "block no db")
    assert swarm.section("front", "NOW").splitlines()[1] == "Blocked by: db"


def test_ask_reply_say_private_activate_unknown_only(swarm: Swarm) -> None:
    for verb, line, action in [
        ("ask", "ask back q", "ask BACK"),
        ("reply", "reply back a", "reply BACK"),
        ("say", "say hello world", "say hello"),
        ("private", "private thinking hard", "private"),
    ]:
        sw = Swarm()
        sw.post("front", line)
        assert status_line(sw, "front") == f"Status: **active** — {action}", verb
        sw.post("front", "done x")
        sw.post("front", line)
        assert status_line(sw, "front") == f"Status: **idle** — {action}", verb


def test_private_action_is_canonical_and_keeps_the_note_out(swarm: Swarm) -> None:
    # The action is shown to others (DIRECTOR table, /status): it must not leak the note.
    swarm.post("front", "log secret-thoughts")
    assert status_line(swarm, "front") == "Status: **active** — private"
    assert "secret-thoughts" not in swarm.section("director", "SESSIONS")
    swarm.post("front", "note")
    assert status_line(swarm, "front") == "Status: **active** — private"


def test_need_up_down_direct_do_not_touch_status_or_action(swarm: Swarm) -> None:
    swarm.post("front", "start x")
    swarm.post("front", "need y", "up srv", "down srv", "direct back z")
    assert status_line(swarm, "front") == "Status: **active** — start x"
    swarm.post("director", "direct back z")
    assert swarm.state.sessions["DIRECTOR"].status == "unknown"
    assert swarm.state.sessions["DIRECTOR"].action == ""


def test_self_ask_asks_nothing(swarm: Swarm) -> None:
    warnings = swarm.post("front", "ask front am-i-here")
    assert warnings and "cannot ask yourself" in warnings[0]
    assert status_line(swarm, "front") == "Status: **unknown** — no recent action"
    assert swarm.section("front", "PENDING QUESTIONS") == "None."
    assert "FRONT ask FRONT am-i-here" in swarm.section("front", "RECENT EVENTS")
    assert "Swarm:" not in swarm.section("back", "NOW")


# -- needs, provides, blockers, dependents (reference 2.1) -----------------------------


def test_need_blocks_until_done(swarm: Swarm) -> None:
    swarm.post("front", "need auth-api please")
    assert swarm.section("front", "YOUR BLOCKERS") == "- auth-api"  # detail ignored
    assert "Blocked by: auth-api" in swarm.section("front", "NOW")
    swarm.post("back", "done auth-api")
    assert swarm.section("front", "YOUR BLOCKERS") == "None."
    assert "No known blocker." in swarm.section("front", "NOW")


def test_done_provides_obj_and_qualified_name(swarm: Swarm) -> None:
    swarm.post("front", "need BACK.auth")
    swarm.post("cart", "need auth")
    swarm.post("other", "done auth")  # provides auth and OTHER.auth, not BACK.auth
    assert swarm.section("front", "YOUR BLOCKERS") == "- BACK.auth"
    assert swarm.section("cart", "YOUR BLOCKERS") == "None."
    swarm.post("back", "done auth")
    assert swarm.section("front", "YOUR BLOCKERS") == "None."


def test_anyone_may_provide_a_qualified_name(swarm: Swarm) -> None:
    swarm.post("front", "need IAM.auth.v2")
    swarm.post("other", "done IAM.auth.v2")
    assert swarm.section("front", "YOUR BLOCKERS") == "None."


def test_blockers_keep_insertion_order(swarm: Swarm) -> None:
    swarm.post("front", "need zeta", "need alpha", "need mid", "need alpha")
    assert swarm.section("front", "YOUR BLOCKERS") == "- zeta\n- alpha\n- mid"
    assert "Blocked by: zeta, alpha, mid" in swarm.section("front", "NOW")


def test_up_satisfies_need_of_same_name_and_prefixed(swarm: Swarm) -> None:
    swarm.post("front", "need backend", "need backend-up-em-214-8080", "need backendx")
    swarm.post("back", "up backend addr:http://h:8080")
    assert swarm.section("front", "YOUR BLOCKERS") == "- backendx"


def test_up_with_words_satisfies_by_full_name_or_first_word(swarm: Swarm) -> None:
    swarm.post("front", "need container iam-db")  # need takes the obj only
    swarm.post("front", "need container-iam", "need iam-db")
    swarm.post("back", "up container iam-db")
    assert swarm.section("front", "YOUR BLOCKERS") == "- iam-db"


def test_down_unsatisfies(swarm: Swarm) -> None:
    swarm.post("front", "need db")
    swarm.post("back", "up db")
    assert swarm.section("front", "YOUR BLOCKERS") == "None."
    swarm.post("back", "down db")
    assert swarm.section("front", "YOUR BLOCKERS") == "- db"


def test_up_does_not_satisfy_on_a_shared_hyphen_token(swarm: Swarm) -> None:
    swarm.post("front", "need db-server", "need server")
    swarm.post("back", "up dev-server")
    assert swarm.section("front", "YOUR BLOCKERS") == "- db-server\n- server"


def test_up_need_matching_is_case_sensitive(swarm: Swarm) -> None:
    swarm.post("front", "need DB")
    swarm.post("back", "up db")
    assert swarm.section("front", "YOUR BLOCKERS") == "- DB"


def test_dependents_exact_match_only(swarm: Swarm) -> None:
    swarm.post("front", "need BACK.auth-api")
    swarm.post("cart", "need auth-api")
    swarm.post("ops", "need auth-api-8080")  # met by nothing here; never a dependent
    # FRONT already waits on BACK by name; CART only once BACK has published auth-api
    assert swarm.section("back", "YOUR DEPENDENTS") == "- FRONT"
    swarm.post("back", "done auth-api")
    assert swarm.section("back", "YOUR DEPENDENTS") == "- CART\n- FRONT"


def test_up_does_not_create_dependents(swarm: Swarm) -> None:
    swarm.post("front", "need db")
    swarm.post("back", "up db")
    assert swarm.section("back", "YOUR DEPENDENTS") == "Nobody waiting on you."


def test_self_is_not_a_dependent(swarm: Swarm) -> None:
    swarm.post("back", "need lib", "done lib")
    assert swarm.section("back", "YOUR DEPENDENTS") == "Nobody waiting on you."
    assert swarm.section("back", "YOUR BLOCKERS") == "None."


# -- questions (reference 2.2) ---------------------------------------------------------


def test_ask_shows_for_asker_and_target_only(swarm: Swarm) -> None:
    swarm.post("front", "ask back which-format? spec:msg/F.md")
    line = f"- [{ts_now(swarm)}] FRONT → BACK: which-format? spec:msg/F.md"
    assert swarm.section("back", "PENDING QUESTIONS") == line
    assert swarm.section("front", "PENDING QUESTIONS") == line
    assert swarm.section("cart", "PENDING QUESTIONS") == "None."


def test_reply_without_re_resolves_every_question_from_the_target(swarm: Swarm) -> None:
    swarm.post("front", "ask back q1")
    swarm.post("front", "ask back q2")
    swarm.post("cart", "ask back q3")
    swarm.post("back", "reply front both answered")
    assert swarm.section("front", "PENDING QUESTIONS") == "None."
    assert swarm.section("back", "PENDING QUESTIONS").endswith("CART → BACK: q3")
    assert "FRONT" not in swarm.section("back", "PENDING QUESTIONS")


def test_reply_re_resolves_only_that_question(swarm: Swarm) -> None:
    swarm.post("front", "ask back q1 spec:msg/F-1.md")
    swarm.post("front", "ask back q2 spec:msg/F-2.md")
    swarm.post("back", "reply front a1 re:msg/F-1.md")
    pending = swarm.section("front", "PENDING QUESTIONS")
    assert "q1" not in pending
    assert "FRONT → BACK: q2 spec:msg/F-2.md" in pending


def test_reply_re_prefers_the_question_asked_of_the_replier(swarm: Swarm) -> None:
    swarm.post("alice", "ask back review spec:msg/A.md")
    swarm.post("alice", "ask carol review spec:msg/A.md")
    swarm.post("carol", "reply alice done re:msg/A.md")
    assert swarm.section("carol", "PENDING QUESTIONS") == "None."
    assert "ALICE → BACK: review" in swarm.section("back", "PENDING QUESTIONS")


def test_reply_re_match_beats_pairing_fallback(swarm: Swarm) -> None:
    # Reference test re_takes_precedence_over_fallback: the re: match wins even when it
    # names another asker's question; the replier's target keeps its own question open.
    swarm.post("alice", "ask back a-q spec:msg/ALICE-1.md")
    swarm.post("bob", "ask back b-q")
    swarm.post("back", "reply bob answer re:msg/ALICE-1.md")
    pending = swarm.section("back", "PENDING QUESTIONS")
    assert "ALICE" not in pending
    assert "BOB → BACK: b-q" in pending


def test_reply_re_matching_nothing_falls_back_to_pairing(swarm: Swarm) -> None:
    swarm.post("front", "ask back q1 spec:msg/F-1.md")
    swarm.post("back", "reply front a re:msg/OTHER.md")
    assert swarm.section("front", "PENDING QUESTIONS") == "None."


def test_reply_re_can_close_a_later_question_reusing_a_spec(swarm: Swarm) -> None:
    swarm.post("front", "ask back q1 spec:msg/F.md")
    swarm.post("back", "reply front a1 re:msg/F.md")
    swarm.post("front", "ask back q2 spec:msg/F.md")
    swarm.post("cart", "ask back q3")
    assert "q2" in swarm.section("back", "PENDING QUESTIONS")
    swarm.post("back", "reply front a2 re:msg/F.md")
    assert swarm.section("back", "PENDING QUESTIONS").endswith("CART → BACK: q3")
    assert "FRONT" not in swarm.section("back", "PENDING QUESTIONS")


def test_reply_ack_by_target_closes_the_question(swarm: Swarm) -> None:
    swarm.post("front", "ask back q1 spec:msg/F.md")
    swarm.post("front", "ask back q2")
    swarm.post("back", "reply cart unrelated ack:msg/F.md")
    pending = swarm.section("back", "PENDING QUESTIONS")
    assert "q1" not in pending
    assert "q2" in pending  # the reply was to CART: no pairing with FRONT


@pytest.mark.parametrize("alias", ["private", "log", "note"])
def test_private_ack_by_target_closes_the_question(swarm: Swarm, alias: str) -> None:
    swarm.post("front", "ask back q1 spec:msg/F.md")
    swarm.post("back", f"{alias} read it ack:msg/F.md")
    assert swarm.section("back", "PENDING QUESTIONS") == "None."
    assert swarm.section("front", "PENDING QUESTIONS") == "None."


def test_ack_verb_closes_the_question_and_is_never_listed(swarm: Swarm) -> None:
    swarm.post("front", "ask back q1 spec:msg/F.md")
    swarm.post("back", "ack msg/F.md")
    assert swarm.section("back", "PENDING QUESTIONS") == "None."
    assert "ack msg/F.md" not in swarm.view("back")
    assert "ack msg/F.md" not in swarm.view("front")


def test_third_party_ack_does_not_close(swarm: Swarm) -> None:
    swarm.post("front", "ask back q1 spec:msg/F.md")
    swarm.post("eve", "private peeked ack:msg/F.md")
    swarm.post("front", "private my own ack:msg/F.md")  # even the asker's own read
    assert "q1" in swarm.section("back", "PENDING QUESTIONS")
    assert "q1" in swarm.section("front", "PENDING QUESTIONS")


def test_direct_re_resolves_a_question_by_spec_without_fallback(swarm: Swarm) -> None:
    swarm.post("back", "ask director q1 spec:msg/B-1.md")
    swarm.post("back", "ask director q2")
    swarm.post("director", "direct back go-ahead re:msg/B-1.md")
    pending = swarm.section("director", "PENDING QUESTIONS")
    assert "q1" not in pending
    assert "BACK → DIRECTOR: q2" in pending
    swarm.post("director", "direct back other re:msg/NONE.md")
    assert "q2" in swarm.section("director", "PENDING QUESTIONS")


def test_same_batch_asks_are_independent(swarm: Swarm) -> None:
    swarm.post("front", "ask back q-one spec:msg/F-1.md", "ask back q-two spec:msg/F-2.md")
    swarm.post("back", "reply front one re:msg/F-1.md")
    assert "q-two" in swarm.section("back", "PENDING QUESTIONS")
    assert "q-one" not in swarm.section("back", "PENDING QUESTIONS")


# -- directives (reference 2.3) --------------------------------------------------------


def test_directive_visible_to_target_and_ALL_only(swarm: Swarm) -> None:
    swarm.post("director", "direct all use jwt ref:x")
    t_all = ts_now(swarm)
    swarm.post("director", "direct back prioritise refresh, before logout")
    t_back = ts_now(swarm)
    assert swarm.section("back", "DIRECTIVES") == (
        f"- [{t_all}] use jwt ref:x\n- [{t_back}] prioritise refresh, before logout"
    )
    assert swarm.section("front", "DIRECTIVES") == f"- [{t_all}] use jwt ref:x"


def test_done_re_closes_directive_for_the_target(swarm: Swarm) -> None:
    swarm.post("director", "direct back prioritise-refresh, before logout")
    t = ts_now(swarm)
    swarm.post("back", "done auth re:prioritise-refresh")
    assert (
        swarm.section("back", "DIRECTIVES") == f"No open directive.\n- ✓ [{t}] prioritise-refresh"
    )


def test_done_re_closes_ALL_directive_only_for_the_closer(swarm: Swarm) -> None:
    swarm.post("director", "direct all use-jwt everywhere")
    t = ts_now(swarm)
    swarm.post("back", "done auth re:use-jwt")
    assert swarm.section("back", "DIRECTIVES") == f"No open directive.\n- ✓ [{t}] use-jwt"
    assert swarm.section("front", "DIRECTIVES") == f"- [{t}] use-jwt everywhere"
    swarm.post("front", "done ui re:use-jwt")
    assert swarm.section("front", "DIRECTIVES") == f"No open directive.\n- ✓ [{t}] use-jwt"


def test_directive_closed_by_spec(swarm: Swarm) -> None:
    swarm.post("director", "direct back task-a do it spec:msg/D-1.md")
    swarm.post("back", "done x re:msg/D-1.md")
    assert swarm.section("back", "DIRECTIVES").startswith("No open directive.\n- ✓")


def test_spec_only_directive_shows_full_text_when_closed(swarm: Swarm) -> None:
    swarm.post("director", "direct back spec:msg/D-1.md")
    t = ts_now(swarm)
    swarm.post("back", "done x re:")  # empty re: closes nothing
    assert swarm.section("back", "DIRECTIVES") == f"- [{t}] spec:msg/D-1.md"
    swarm.post("back", "done x re:msg/D-1.md")
    assert swarm.section("back", "DIRECTIVES") == f"No open directive.\n- ✓ [{t}] spec:msg/D-1.md"


def test_done_re_closes_only_the_newest_matching(swarm: Swarm) -> None:
    swarm.post("director", "direct back task first")
    t1 = ts_now(swarm)
    swarm.post("director", "direct back task second")
    t2 = ts_now(swarm)
    swarm.post("back", "done x re:task")
    assert swarm.section("back", "DIRECTIVES") == f"- [{t1}] task first\n- ✓ [{t2}] task"
    swarm.post("back", "done y re:task")
    assert swarm.section("back", "DIRECTIVES") == (
        f"No open directive.\n- ✓ [{t1}] task\n- ✓ [{t2}] task"
    )


def test_same_batch_directives_are_independent(swarm: Swarm) -> None:
    swarm.post("director", "direct cart task-a first", "direct cart task-b second")
    t = ts_now(swarm)
    assert swarm.post("cart", "done a re:task-a") == []
    assert swarm.section("cart", "DIRECTIVES") == f"- [{t}] task-b second\n- ✓ [{t}] task-a"


def test_reply_to_author_re_closes_directive(swarm: Swarm) -> None:
    swarm.post("director", "direct back migrate the db")
    swarm.post("back", "reply front ok re:migrate")  # FRONT is not the author
    assert swarm.section("back", "DIRECTIVES").startswith("- [")
    swarm.post("back", "reply director done re:migrate")
    assert swarm.section("back", "DIRECTIVES").startswith("No open directive.\n- ✓")


def test_stranger_re_never_closes(swarm: Swarm) -> None:
    swarm.post("director", "direct back migrate the db")
    t = ts_now(swarm)
    swarm.post("front", "done x re:migrate")
    swarm.post("front", "reply director ok re:migrate")
    swarm.post("front", "private retire re:migrate")
    assert swarm.section("back", "DIRECTIVES") == f"- [{t}] migrate the db"


def test_author_retires_targeted_directive_with_private_re(swarm: Swarm) -> None:
    swarm.post("director", "direct back migrate the db")
    t = ts_now(swarm)
    swarm.post("director", "private retire re:migrate")
    assert swarm.section("back", "DIRECTIVES") == f"No open directive.\n- ✓ [{t}] migrate"
    assert "private" not in swarm.section("back", "RECENT EVENTS")


def test_author_retires_ALL_directive_for_everyone(swarm: Swarm) -> None:
    swarm.post("director", "direct all freeze merges")
    swarm.post("back", "done x re:freeze")  # closed for BACK already
    swarm.post("director", "log retire re:freeze")
    for s in ("back", "front", "cart"):
        assert swarm.section(s, "DIRECTIVES").startswith("No open directive.\n- ✓"), s


def test_private_re_by_target_does_not_retire(swarm: Swarm) -> None:
    swarm.post("director", "direct back migrate the db")
    swarm.post("back", "private retire re:migrate")
    assert swarm.section("back", "DIRECTIVES").startswith("- [")


def test_directive_object_punctuation_stripped(swarm: Swarm) -> None:
    swarm.post("director", "direct back RE-GATE, then the rest")
    t = ts_now(swarm)
    swarm.post("back", "done x re:RE-GATE")
    assert swarm.section("back", "DIRECTIVES") == f"No open directive.\n- ✓ [{t}] RE-GATE"


def test_closed_directives_show_last_three(swarm: Swarm) -> None:
    for i in range(5):
        swarm.post("director", f"direct back task-{i} now")
        swarm.post("back", f"done x re:task-{i}")
    lines = swarm.section("back", "DIRECTIVES").splitlines()
    assert lines[0] == "No open directive."
    assert [ln.rsplit(" ", 1)[1] for ln in lines[1:]] == ["task-2", "task-3", "task-4"]


def test_open_directives_before_closed(swarm: Swarm) -> None:
    swarm.post("director", "direct back a-task x")
    swarm.post("director", "direct back b-task y")
    swarm.post("back", "done x re:a-task")
    lines = swarm.section("back", "DIRECTIVES").splitlines()
    assert lines[0].endswith("b-task y")
    assert lines[1].startswith("- ✓ [")
    assert lines[1].endswith("a-task")


def test_no_active_directive_text(swarm: Swarm) -> None:
    assert swarm.section("back", "DIRECTIVES") == "No active directive."


# -- artifacts (reference 2.4) ---------------------------------------------------------


ART_HEAD = "| session | artifact | ref | result | path | spec |\n|---|---|---|---|---|---|"


def test_artifact_row(swarm: Swarm) -> None:
    swarm.state.session_dirs["BACK"] = "/work/back"
    swarm.post("back", "done auth-api ref:origin/feat/auth result:ok spec:msg/B.md re:x")
    assert swarm.section("front", "PUBLISHED ARTIFACTS") == (
        f"{ART_HEAD}\n| BACK | auth-api | origin/feat/auth | ok | /work/back | msg/B.md |"
    )


def test_artifact_missing_fields_show_dash(swarm: Swarm) -> None:
    swarm.post("back", "done lib")
    assert (
        swarm.section("front", "PUBLISHED ARTIFACTS")
        == f"{ART_HEAD}\n| BACK | lib | — | — | — | — |"
    )


def test_artifacts_dedupe_by_session_and_object_keeping_last(swarm: Swarm) -> None:
    swarm.post("back", "done lib ref:v1")
    swarm.post("front", "done lib ref:f1")
    swarm.post("back", "done lib ref:v2 result:ok")
    body = swarm.section("cart", "PUBLISHED ARTIFACTS")
    assert "v1" not in body
    assert "| BACK | lib | v2 | ok |" in body
    assert "| FRONT | lib | f1 |" in body
    assert body.count("\n| ") == 2


def test_artifacts_cap_15_with_omission_note(swarm: Swarm) -> None:
    for i in range(20):
        swarm.post("back", f"done art-{i:02d}")
    body = swarm.section("front", "PUBLISHED ARTIFACTS")
    rows = [ln for ln in body.splitlines() if ln.startswith("| BACK |")]
    assert len(rows) == 15
    shown = {r.split(" | ")[1] for r in rows}
    assert shown == {f"art-{i:02d}" for i in range(5, 20)}
    assert body.splitlines()[-1] == "_… 5 older artifact(s) not shown (full history in the log)._"


def test_artifacts_survive_the_event_window(swarm: Swarm) -> None:
    swarm.post("back", "done early-art")
    for i in range(30):
        swarm.post("front", f"say filler-{i}")
    assert "| BACK | early-art |" in swarm.section("cart", "PUBLISHED ARTIFACTS")


def test_no_artifact_text(swarm: Swarm) -> None:
    assert swarm.section("front", "PUBLISHED ARTIFACTS") == "No artifact published."


# -- broadcasts (reference 2.5) --------------------------------------------------------


def test_broadcast_text_strips_kvs(swarm: Swarm) -> None:
    swarm.post("front", "say deploy in 10min ref:abc")
    assert swarm.section("back", "BROADCASTS") == (
        f"- [{ts_now(swarm)}] **FRONT**: deploy in 10min"
    )


def test_broadcasts_cap_5(swarm: Swarm) -> None:
    for i in range(8):
        swarm.post("front", f"say news-{i}")
    lines = swarm.section("back", "BROADCASTS").splitlines()
    assert [ln.rsplit(" ", 1)[1] for ln in lines] == [f"news-{i}" for i in range(3, 8)]


def test_broadcasts_48h_ttl(swarm: Swarm) -> None:
    swarm.post("front", "say old-news")
    swarm.advance(48 * 3600 * 1000 - 1000)
    swarm.post("front", "say fresh-news")  # +1 s: old-news is now exactly 48 h old
    assert "old-news" in swarm.section("back", "BROADCASTS")
    swarm.advance(1)
    assert swarm.section("back", "BROADCASTS").endswith("fresh-news")
    assert "old-news" not in swarm.section("back", "BROADCASTS")


def test_broadcasts_section_absent_when_none(swarm: Swarm) -> None:
    swarm.post("front", "start x")
    assert "## BROADCASTS" not in swarm.view("back")


# -- resources -------------------------------------------------------------------------


RES_HEAD = "| resource | state | address |\n|---|---|---|"


def test_resources_table_sorted(swarm: Swarm) -> None:
    swarm.post("back", "up zeta-db addr:z:1", "up alpha addr:http://a:80", "up backend em 8080")
    assert swarm.section("front", "SHARED RESOURCES") == (
        f"{RES_HEAD}\n| alpha | UP | http://a:80 |\n| backend em 8080 | UP | — |\n"
        "| zeta-db | UP | z:1 |"
    )


def test_resource_addr_kept_on_re_up_and_down(swarm: Swarm) -> None:
    swarm.post("back", "up db addr:pg://h:5432")
    swarm.post("back", "up db")
    assert swarm.section("front", "SHARED RESOURCES").endswith("| db | UP | pg://h:5432 |")
    swarm.post("back", "down db")
    assert swarm.section("front", "SHARED RESOURCES").endswith("| db | DOWN | pg://h:5432 |")
    swarm.post("ops", "up db addr:pg://other:5432")
    assert swarm.section("front", "SHARED RESOURCES").endswith("| db | UP | pg://other:5432 |")


def test_no_resource_text(swarm: Swarm) -> None:
    assert swarm.section("front", "SHARED RESOURCES") == "No resource registered."


# -- messages, acks, reply-read indicator (reference 2.6) ------------------------------


def msg_line(sender: str, name: str) -> str:
    return (
        f"- From **{sender}**: `msg/{name}` — read with `myco msg get {name}` or "
        f'`curl -H "Authorization: Bearer $MYCO_TOKEN" '
        f'"$MYCO_URL/msg/{name}?session=$MYCO_SESSION"` (automatic ack)'
    )


def test_ask_spec_is_a_pending_message_for_the_target(swarm: Swarm) -> None:
    swarm.add_msg("FRONT-001.md")
    swarm.post("front", "ask back q spec:msg/FRONT-001.md")
    assert swarm.section("back", "PENDING MESSAGES") == msg_line("FRONT", "FRONT-001.md")
    assert swarm.section("front", "PENDING MESSAGES") == "No pending message."
    assert swarm.section("cart", "PENDING MESSAGES") == "No pending message."


def test_reply_spec_is_a_pending_message_for_the_reply_target(swarm: Swarm) -> None:
    swarm.add_msg("B-1.md")
    swarm.post("back", "reply front see spec:msg/B-1.md")
    assert swarm.section("front", "PENDING MESSAGES") == msg_line("BACK", "B-1.md")


def test_pending_messages_sorted_and_acked(swarm: Swarm) -> None:
    for name in ("Z.md", "A.md", "M.md"):
        swarm.add_msg(name)
    swarm.post("front", "ask back q1 spec:msg/Z.md")
    swarm.post("cart", "ask back q2 spec:msg/A.md")
    swarm.post("front", "reply back r spec:msg/M.md")
    assert swarm.section("back", "PENDING MESSAGES").splitlines() == [
        msg_line("CART", "A.md"),
        msg_line("FRONT", "M.md"),
        msg_line("FRONT", "Z.md"),
    ]
    swarm.post("back", "private read ack:msg/A.md")
    swarm.post("back", "ack msg/Z.md")
    assert swarm.section("back", "PENDING MESSAGES") == msg_line("FRONT", "M.md")
    swarm.post("back", "reply front thanks ack:msg/M.md")
    assert swarm.section("back", "PENDING MESSAGES") == "No pending message."


def test_pending_message_needs_the_file(swarm: Swarm) -> None:
    swarm.post("front", "ask back q spec:msg/MISSING.md")
    assert swarm.section("back", "PENDING MESSAGES") == "No pending message."
    swarm.add_msg("MISSING.md")
    assert swarm.section("back", "PENDING MESSAGES") == msg_line("FRONT", "MISSING.md")


def test_bare_spec_is_not_a_message(swarm: Swarm) -> None:
    swarm.add_msg("X.md")
    swarm.post("front", "ask back q spec:X.md")
    assert swarm.section("back", "PENDING MESSAGES") == "No pending message."


def test_message_ack_is_per_session(swarm: Swarm) -> None:
    swarm.add_msg("F.md")
    swarm.post("front", "ask back q spec:msg/F.md")
    swarm.post("front", "ask cart q spec:msg/F.md")
    swarm.post("cart", "ack msg/F.md")
    assert swarm.section("back", "PENDING MESSAGES") == msg_line("FRONT", "F.md")
    assert swarm.section("cart", "PENDING MESSAGES") == "No pending message."


def test_reply_read_indicator(swarm: Swarm) -> None:
    swarm.post("front", "start x")
    swarm.post("back", "reply front see spec:msg/R.md")
    assert swarm.section("back", "PEERS").endswith("(reply pending)")
    swarm.post("eve", "ack msg/R.md")  # a third party's read changes nothing
    assert "(reply pending)" in swarm.section("back", "PEERS")
    swarm.post("front", "private got it ack:msg/R.md")
    assert "- **FRONT**: active, last-seen 0s (reply read)" in swarm.section("back", "PEERS")


def test_reply_read_indicator_follows_the_last_reply(swarm: Swarm) -> None:
    swarm.post("front", "start x")  # a peer: a name only replied to is not listed
    swarm.post("back", "reply front see spec:msg/R.md")
    swarm.post("back", "reply front and no spec")
    assert "(reply" not in swarm.section("back", "PEERS")
    swarm.post("back", "reply front again spec:msg/R2.md")
    assert swarm.section("back", "PEERS").endswith("(reply pending)")
    assert "(reply" not in swarm.section("front", "PEERS")  # only the replier sees it


def test_reply_to_author_closes_ALL_directive_for_the_replier_only(swarm: Swarm) -> None:
    swarm.post("director", "direct all freeze merges")
    swarm.post("back", "reply director frozen re:freeze")
    assert swarm.section("back", "DIRECTIVES").startswith("No open directive.\n- ✓")
    assert swarm.section("front", "DIRECTIVES").endswith("freeze merges")
    assert "(closed by BACK)" in swarm.section("director", "DIRECTIVES")
