"""The context benchmark runs end to end through real hook processes (tiny size)."""

from __future__ import annotations

from pathlib import Path

from bench import context


def test_tiny_swarm_reaches_every_item_with_less_text(tmp_path: Path) -> None:
    result = context.play(3, 6, tmp_path)
    assert result.turns == 24
    assert result.misses == []
    assert 0 < result.injected < result.baseline / 2


def test_write_doc_replaces_only_its_block(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Perf\n\nintro\n")
    context.write_doc(doc, "| a |\n")
    context.write_doc(doc, "| b |\n")
    text = doc.read_text()
    assert text.count(context.START_MARK) == 1 and "| b |" in text and "| a |" not in text
