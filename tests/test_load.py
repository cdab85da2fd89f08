"""``bench/load.py`` in the suite: 50 concurrent sessions on two replicas for 30 s.

The benchmark (``python -m bench.load``) reports throughput; this test checks that the same
load neither errors nor loses or duplicates an acknowledged event.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bench import load

from tests.redis_fixtures import need_redis

pytestmark = pytest.mark.slow


def test_fifty_sessions_on_two_replicas_for_thirty_seconds(tmp_path: Path) -> None:
    need_redis()
    report = load.run(duration=30.0, sessions=50, replicas=2, storage="redis", workdir=tmp_path)
    summary = report.summary()
    assert report.errors == 0, summary
    assert report.verified, summary  # every acknowledged event stored exactly once
    assert len(report.acked) == 50, "every session got events through"
    assert report.views > 0
    assert report.requests >= 500, summary  # far more on any machine; only a sanity floor
    assert max(report.latencies) < load.REQUEST_TIMEOUT


def test_load_section_is_written_between_its_markers_only(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\n<!-- bench:start -->\nother\n<!-- bench:end -->\n")
    load.write_section(doc, "first")
    text = doc.read_text()
    assert text.startswith("# Performance\n\n<!-- bench:start -->\nother\n<!-- bench:end -->\n")
    assert text.endswith(f"{load.START_MARK}\nfirst\n{load.END_MARK}\n")
    load.write_section(doc, "second")
    again = doc.read_text()
    assert again == text.replace("first", "second")
