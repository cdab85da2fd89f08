"""The shared hook runtime against a scriptable daemon: exactly once, in order, bounded."""

from __future__ import annotations

import json
import time
from pathlib import Path

from myco.agent_hooks.runtime import (
    ENFORCE_REASON,
    Turn,
    begin_turn,
    clip,
    fetch_view,
    finish_turn,
)
from tests.agent_hooks.conftest import MakeCtx
from tests.agent_hooks.fakes import FakeDaemon, free_port


def block(*lines: str) -> str:
    return "<myco>\n" + "\n".join(lines) + "\n</myco>"


def test_a_turn_is_delivered_once_even_when_the_stop_hook_runs_twice(
    make_ctx: MakeCtx, fake: FakeDaemon
) -> None:
    turn = Turn([block("start api", "need BACK.db")], key="prompt-1")
    first = finish_turn(make_ctx(), turn)
    again = finish_turn(make_ctx(), turn)
    assert first.delivery.sent == again.delivery.sent == 1
    assert fake.lines() == ["start api", "need BACK.db"]
    assert fake.posts[0]["id"] == fake.posts[1]["id"]
    assert fake.posts[0]["session"] == "FRONT"
    assert first.notices == []


def test_without_a_turn_key_ids_are_random_but_present(make_ctx: MakeCtx, fake: FakeDaemon) -> None:
    finish_turn(make_ctx(), Turn([block("say one")]))
    finish_turn(make_ctx(), Turn([block("say one")]))
    ids = [p["id"] for p in fake.posts]
    assert len(set(ids)) == 2 and all(ids)


def test_daemon_down_queues_in_order_and_the_next_hook_flushes_first(
    make_ctx: MakeCtx, fake: FakeDaemon
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    for n in range(3):
        result = finish_turn(make_ctx(MYCO_URL=down), Turn([block(f"note step-{n}")], key=f"k{n}"))
        assert result.delivery.pending == n + 1
        assert "outbox" in result.notices[-1]
    begin = begin_turn(make_ctx("prompt"), "next task")  # the daemon is back (same tenant)
    assert fake.lines() == ["note step-0", "note step-1", "note step-2"]
    assert begin.view.startswith("<!-- myco protocol v1 -->")
    assert not Path(make_ctx().outbox.path).exists()


def test_an_ack_lost_in_a_hang_is_retried_without_duplicating(
    make_ctx: MakeCtx, fake: FakeDaemon
) -> None:
    fake.mode = "ack-lost"
    started = time.monotonic()
    result = finish_turn(make_ctx(), Turn([block("done api")], key="k"))
    assert time.monotonic() - started < 0.9
    assert result.delivery.pending == 1
    fake.mode = "ok"
    begin_turn(make_ctx("prompt"), "go on")
    assert fake.lines() == ["done api"]
    assert len(fake.posts) == 2


def test_hanging_and_garbage_daemons_keep_the_batch(make_ctx: MakeCtx, fake: FakeDaemon) -> None:
    for mode in ("hang", "garbage"):
        fake.mode = mode
        started = time.monotonic()
        result = finish_turn(make_ctx(), Turn([block(f"say {mode}")], key=mode))
        assert time.monotonic() - started < 0.9
        assert result.delivery.sent == 0 and result.delivery.pending >= 1
    fake.mode = "ok"
    begin_turn(make_ctx("prompt"), "x")
    assert fake.lines() == ["say hang", "say garbage"]


def test_invalid_lines_are_set_aside_and_the_rest_delivered(
    make_ctx: MakeCtx, fake: FakeDaemon
) -> None:
    fake.invalid = "A/B"
    ctx = make_ctx()
    result = finish_turn(ctx, Turn([block("start x", "ask A/B hi", "done x")], key="k"))
    assert fake.lines() == ["start x", "done x"]
    assert result.delivery.sent == 1 and result.delivery.pending == 0
    rejected_file = Path(ctx.outbox.rejected_path)
    rejected = [json.loads(line) for line in rejected_file.read_text().splitlines()]
    assert rejected[0]["events"] == ["ask A/B hi"]
    assert any("refused 1 event line(s): invalid target" in n for n in result.notices)


def test_a_wholly_invalid_batch_is_rejected_not_retried_forever(
    make_ctx: MakeCtx, fake: FakeDaemon
) -> None:
    fake.invalid = "A/B"
    ctx = make_ctx()
    finish_turn(ctx, Turn([block("ask A/B hi")], key="k1"))
    finish_turn(ctx, Turn([block("start y")], key="k2"))
    assert fake.lines() == ["start y"]
    assert not Path(ctx.outbox.path).exists()


def test_a_refused_token_keeps_events_and_says_so(make_ctx: MakeCtx, fake: FakeDaemon) -> None:
    fake.mode, fake.status, fake.body = "error", 401, {"error": "unauthorized"}
    result = finish_turn(make_ctx(), Turn([block("start x")], key="k"))
    assert result.delivery.pending == 1
    assert any("refused the token (HTTP 401: unauthorized)" in n for n in result.notices)


def test_a_missing_token_names_the_variable(make_ctx: MakeCtx, fake: FakeDaemon) -> None:
    fake.mode, fake.status = "error", 401
    fake.body = {"error": "missing or invalid Authorization header"}
    result = finish_turn(make_ctx(MYCO_TOKEN=""), Turn([block("start x")], key="k"))
    assert result.delivery.pending == 1
    (notice,) = [n for n in result.notices if "MYCO_TOKEN" in n]
    assert notice.startswith("⚠️ myco: MYCO_TOKEN is not set")


def test_offline_mode_never_touches_the_network(make_ctx: MakeCtx, fake: FakeDaemon) -> None:
    result = finish_turn(make_ctx(MYCO_OFFLINE="1"), Turn([block("start x")], key="k"))
    assert fake.posts == [] and result.delivery.pending == 1
    assert "offline mode" in result.notices[-1]


def test_notices_for_dropped_blocks_unknown_verbs_and_pokes(
    make_ctx: MakeCtx, fake: FakeDaemon
) -> None:
    fake.pokes = [
        {
            "verb": "ask",
            "target": "BACK",
            "summary": "token",
            "status": "idle",
            "last_seen_age": "3min",
        }
    ]
    result = finish_turn(
        make_ctx(),
        Turn(["<myco>\nstart a\n</myco>", block("ask BACK token?", "oops wrapped")], key="k"),
    )
    text = "\n".join(result.notices)
    assert "2 <myco> blocks" in text and "the earlier block was dropped" in text
    assert "'oops'" in text and "did you mean" not in text  # nothing close to "oops"
    assert "FRONT → ask BACK (token): BACK is idle (last seen 3min)" in text


def test_unknown_verb_notice_suggests_the_verb_meant(make_ctx: MakeCtx, fake: FakeDaemon) -> None:
    result = finish_turn(make_ctx(), Turn([block("strat login-page", "done x")], key="k"))
    assert [p["events"] for p in fake.posts] == [["done x"]]
    (notice,) = [n for n in result.notices if "did not become events" in n]
    assert "'strat' (did you mean 'start'?)" in notice


def test_enforcement_sends_a_file_changing_turn_back_once(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(MYCO_REQUIRE_BLOCK="1")
    edited = Turn(["I edited the file."], changed_files=True, key="p1")
    assert finish_turn(ctx, edited).block_reason == ENFORCE_REASON
    assert finish_turn(ctx, edited).block_reason == ""  # same turn: never twice
    assert finish_turn(ctx, edited._replace(key="p2", continued=True)).block_reason == ""
    assert finish_turn(ctx, Turn(["read only"], key="p3")).block_reason == ""
    assert (
        finish_turn(ctx, Turn(["<myco></myco>"], changed_files=True, key="p4")).block_reason == ""
    )
    assert finish_turn(make_ctx(), edited._replace(key="p5")).block_reason == ""


def test_views_skip_slash_commands_and_are_clipped(make_ctx: MakeCtx, fake: FakeDaemon) -> None:
    assert begin_turn(make_ctx("prompt"), "/clear").view == ""
    fake.view = "line\n" * 5000
    view = fetch_view(make_ctx("prompt"))
    assert len(view) <= 9500 and view.endswith("run `myco view` for the rest)\n")
    assert clip("short", 10) == "short"


def test_unwritable_state_dir_still_delivers(
    make_ctx: MakeCtx, fake: FakeDaemon, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = finish_turn(
        make_ctx(MYCO_STATE_DIR=str(blocker / "state")), Turn([block("start x")], key="k")
    )
    assert result.delivery.sent == 1 and fake.lines() == ["start x"]
