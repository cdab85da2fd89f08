"""Reading agent transcripts (JSONL) from the end, where the current turn is.

Transcripts grow for the whole session (tool results included), so the hooks read them
backwards in blocks and stop at the start of the turn instead of parsing everything.
"""

from __future__ import annotations

import os

from myco.agent_hooks import jsonlite

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

BLOCK = 65536
MAX_BYTES = 16 * 1024 * 1024


def tail_records(
    path: str | os.PathLike[str], max_bytes: int = MAX_BYTES
) -> Iterator[dict[str, Any]]:
    """JSON objects of a JSONL file, newest first; unparsable lines are skipped."""
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed in finally; generator
    except OSError:
        return
    try:
        f.seek(0, os.SEEK_END)
        pos = f.tell()
        read = 0
        rest = b""
        while pos > 0 and read < max_bytes:
            step = min(BLOCK, pos)
            pos -= step
            f.seek(pos)
            chunk = f.read(step)
            read += step
            lines = (chunk + rest).split(b"\n")
            rest = lines[0]
            for line in reversed(lines[1:]):
                record = _parse(line)
                if record is not None:
                    yield record
        if pos == 0 and rest:
            record = _parse(rest)
            if record is not None:
                yield record
    finally:
        f.close()


def _parse(line: bytes) -> dict[str, Any] | None:
    line = line.strip()
    if not line:
        return None
    try:
        record = jsonlite.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None
