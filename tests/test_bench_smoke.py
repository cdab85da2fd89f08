"""The benchmark script runs end to end (tiny sizes; no timing is asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench import run
from bench.workload import records


def test_workload_is_reproducible_and_mixed() -> None:
    a = [rec.line for rec, _ in records(500, seed=3)]
    b = [rec.line for rec, _ in records(500, seed=3)]
    assert a == b
    verbs = {line.split()[0] for line in a}
    assert {"start", "ask", "reply", "say", "done", "direct", "need", "up"} <= verbs
    assert [rec.seq for rec, _ in records(5, first_seq=10)] == [10, 11, 12, 13, 14]


def test_write_doc_replaces_only_the_marked_table(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Perf\n\nintro\n\n{run.START_MARK}\nold\n{run.END_MARK}\n\noutro\n")
    run.write_doc(doc, "| new |\n")
    assert doc.read_text() == (
        f"# Perf\n\nintro\n\n{run.START_MARK}\n| new |\n{run.END_MARK}\n\noutro\n"
    )


def test_tiny_run_of_the_cheapest_parts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "performance.md"
    code = run.main(["--preset", "tiny", "--only", "render,replay", "--write", str(doc)])
    assert code in (0, 1)  # 1 = a target missed: timing is not what this test checks
    out = capsys.readouterr().out
    text = doc.read_text()
    assert run.START_MARK in text and run.END_MARK in text
    for needle in (
        "view render at 1k events",
        "render flatness",
        "cold replay of 2k events",
        "restart with 2k events",
        "peak RSS",
    ):
        assert needle in out
        assert needle in text
