"""The outbox: write-ahead, in order, never torn, spills merged."""

from __future__ import annotations

import os
from pathlib import Path

from myco.agent_hooks.deadline import Deadline
from myco.agent_hooks.outbox import Outbox


def batch(n: int, ts: int) -> dict[str, object]:
    return {"id": f"b{n}", "session": "FRONT", "events": [f"note {n}"], "ts": ts}


def test_append_load_replace_keeps_order(tmp_path: Path) -> None:
    box = Outbox(tmp_path, "FRONT")
    with box.locked(Deadline(1)) as ok:
        assert ok
        for n in range(3):
            box.append(batch(n, n))
        assert [b["id"] for b in box.load()] == ["b0", "b1", "b2"]
        box.replace(box.load()[1:])
        assert [b["id"] for b in box.load()] == ["b1", "b2"]
        box.replace([])
    assert not Path(box.path).exists()


def test_torn_tail_is_skipped_and_fenced(tmp_path: Path) -> None:
    box = Outbox(tmp_path, "FRONT")
    tmp_path.mkdir(exist_ok=True)
    torn = '{"id": "b0", "session": "FRONT", "events": ["x"], "ts": 0}\n{"id": "b1"'
    Path(box.path).write_text(torn)
    with box.locked(Deadline(1)):
        box.append(batch(2, 2))
        assert [b["id"] for b in box.load()] == ["b0", "b2"]


def test_a_busy_lock_spills_and_the_next_flush_merges_in_time_order(tmp_path: Path) -> None:
    box = Outbox(tmp_path, "FRONT")
    with box.locked(Deadline(1)) as first:
        assert first
        with Outbox(tmp_path, "FRONT").locked(Deadline(0.05)) as second:
            assert not second  # flock is per open file: a second holder must wait
        box.append(batch(1, 10))
    box.spill(batch(0, 5))
    box.spill(batch(2, 20))
    with box.locked(Deadline(1)):
        assert [b["id"] for b in box.load()] == ["b0", "b1", "b2"]
    assert not list(tmp_path.glob("FRONT.spill-*"))


def test_line_separators_inside_events_do_not_split_records(tmp_path: Path) -> None:
    box = Outbox(tmp_path, "FRONT")
    odd = {"id": "u", "session": "FRONT", "events": ["say a\u2028b"], "ts": 1}
    with box.locked(Deadline(1)):
        box.append(odd)
        assert box.load() == [odd]


def test_files_are_private(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o", "FRONT")
    with box.locked(Deadline(1)):
        box.append(batch(0, 0))
    assert os.stat(box.path).st_mode & 0o077 == 0
    assert os.stat(tmp_path / "o").st_mode & 0o077 == 0
