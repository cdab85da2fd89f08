"""A stand-in agent CLI on PATH: records argv, cwd and MYCO_* env, answers like ``claude -p``."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

SCRIPT = """#!{python}
import json, os, sys, time
record = {{"argv": sys.argv[1:], "cwd": os.getcwd(), "t": time.time(),
          "env": {{k: v for k, v in os.environ.items() if k.startswith("MYCO_")}}}}
with open({log!r}, "a") as f:
    f.write(json.dumps(record) + "\\n")
time.sleep(float(os.environ.get("FAKE_CLI_SLEEP", "0")))
args = sys.argv[1:]
sid = args[args.index("--session-id") + 1] if "--session-id" in args else (
    args[args.index("--resume") + 1] if "--resume" in args else "none")
if "-p" in args:
    print(json.dumps({{"type": "result", "result": "did it", "session_id": sid}}))
sys.exit(int(os.environ.get("FAKE_CLI_EXIT", "0")))
"""


def install_fake_cli(directory: Path, name: str = "claude") -> Path:
    """Write an executable *name* into *directory*; returns the log it appends to."""
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / f"{name}.calls.jsonl"
    exe = directory / name
    exe.write_text(SCRIPT.format(python=sys.executable, log=str(log)))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return log


def calls(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def path_with(directory: Path) -> str:
    return f"{directory}{os.pathsep}{os.environ.get('PATH', '')}"
