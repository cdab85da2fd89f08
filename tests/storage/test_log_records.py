"""Verifiable log records: garbage is skipped and reported, old logs still load, seqs are
never reused, and a page read by binary search matches a full replay."""

from __future__ import annotations

import random
from pathlib import Path

from myco.storage import filelog

TS = 1_795_612_359_123


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as f:
        f.write(data)


def test_every_damaged_record_is_skipped_and_named_by_file_and_line(tmp_path: Path) -> None:
    log = tmp_path / "BOB.log"
    write(log, filelog.format_lines(TS, 1, "", "BOB", ["start api", "need db"]))
    good = log.read_bytes().splitlines()
    write(
        log,
        b"plain garbage\n"
        + good[0].replace(b"start api", b"start evil")
        + b"\n"  # content changed
        + good[1].replace(b";2", b";9")
        + b"\n"  # seq changed
        + b"2026-11-25T13:12:39.123Z;3 BOB done api\n"  # no checksum (forged, old layout)
        + filelog.format_lines(TS, 3, "", "ALICE", ["say hi"])  # another session's record
        + filelog.format_lines(TS, 4, "c-1", "BOB", ["done api"]),
    )
    records, top, report = filelog.load(str(tmp_path))
    assert [(r.seq, r.line, r.client_id) for r in records] == [
        (1, "start api", ""),
        (2, "need db", ""),
        (4, "done api", "c-1"),
    ]
    assert [(Path(p).name, n, why) for p, n, why in report.bad] == [
        ("BOB.log", 3, "no checksum"),
        ("BOB.log", 4, "checksum mismatch"),
        ("BOB.log", 5, "checksum mismatch"),
        ("BOB.log", 6, "no checksum"),
        ("BOB.log", 7, "written for 'ALICE'"),
    ]
    assert top == 9  # a damaged record that claimed seq 9: 9 is never handed out again


def test_logs_written_before_checksums_load_as_before(tmp_path: Path) -> None:
    write(
        tmp_path / "BACK.log",
        b"2026-05-10T10:04:00 BACK say from the reference\n"
        b"2026-11-25T13:12:39.123Z;2 BACK start api\n"
        b"2026-11-25T13:12:39.124Z;3;cid-9 BACK done api ref:main\n",
    )
    write(tmp_path / "BACK.log", filelog.format_lines(TS, 4, "", "BACK", ["say checked"]))
    records, top, report = filelog.load(str(tmp_path))
    assert [(r.seq, r.line) for r in records] == [
        (1, "say from the reference"),
        (2, "start api"),
        (3, "done api ref:main"),
        (4, "say checked"),
    ]
    assert records[2].client_id == "cid-9"
    assert report.bad == [] and top == 4 and report.legacy == 1


def test_a_copied_record_is_kept_once_and_reported(tmp_path: Path) -> None:
    lines = filelog.format_lines(TS, 1, "", "BOB", ["start api"])
    write(tmp_path / "BOB.log", lines + lines)
    records, _, report = filelog.load(str(tmp_path))
    assert [r.seq for r in records] == [1]
    assert [why for _, _, why in report.bad] == ["seq 1 repeated"]


def test_a_page_found_by_binary_search_matches_a_full_replay(tmp_path: Path) -> None:
    rng = random.Random(11)
    names = ["ALICE", "BOB", "CAROL"]
    seq = 1
    for _ in range(3000):
        name = rng.choice(names)
        n = rng.randint(1, 3)
        write(
            tmp_path / f"{name}.log",
            filelog.format_lines(TS, seq, "", name, ["say " + "x" * rng.randint(1, 80)] * n),
        )
        seq += n
        if rng.random() < 0.01:
            write(tmp_path / f"{name}.log", b"garbage line\n")
    everything, top, report = filelog.load(str(tmp_path))
    files = [(f"{n}.log", report.unchecked_end[f"{n}.log"]) for n in names]
    for after in [
        0,
        1,
        2,
        top // 3,
        top // 2,
        top - 3,
        top - 1,
        top,
        top + 10,
        *rng.sample(range(top), 20),
    ]:
        for limit in (1, 5, 200):
            want = [r for r in everything if r.seq > after][:limit]
            assert filelog.read_after(str(tmp_path), files, after, limit) == want, (after, limit)


def test_reference_lines_appended_after_our_records_never_reuse_a_seq(tmp_path: Path) -> None:
    write(
        tmp_path / "BACK.log",
        b"2026-05-10T10:04:00 BACK say one\n2026-05-10T10:05:00 BACK say two\n",
    )
    write(tmp_path / "BACK.log", filelog.format_lines(TS, 3, "", "BACK", ["say three"]))
    # later, the reference's hook fallback writes into a file myco never appended to
    write(tmp_path / "FRONT.log", b"2026-05-10T11:00:00 FRONT say late\n")
    records, top, report = filelog.load(str(tmp_path))
    assert [(r.seq, r.line) for r in records] == [(1, "say one"), (2, "say two"), (3, "say three")]
    assert [(Path(p).name, n) for p, n, _ in report.bad] == [("FRONT.log", 1)]
    assert top == 3 and report.legacy == 2
