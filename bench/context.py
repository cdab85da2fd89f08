"""Context economy: characters injected per turn with deltas, against full views.

Usage::

    python -m bench.context                         # 8 workers + DIRECTOR, 40 rounds
    python -m bench.context --workers 3 --rounds 6 --json
    python -m bench.context --write docs/performance.md

A scripted swarm plays through the real hook processes (``myco hook claude-code prompt``
and ``stop``, as Claude Code runs them) against a real ``myco serve``. Every round each
session takes one turn: its prompt hook injects context, its stop hook posts a block.
The script starts and finishes tasks, asks peers questions and answers them two rounds
later, declares needs on peers, broadcasts, and the DIRECTOR gives directives that are
closed two rounds later.

*Baseline* is what the full view (``GET /view/S``, clipped as the hook clips it) would
have injected at the same moment. A *delivery miss* is a question or directive whose
text never appeared in its target's injected context before the target resolved it.
Target: injected text at most a fifth of the baseline, zero misses.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from myco.agent_hooks.runtime import VIEW_LIMIT, clip
from myco.launcher import myco_command
from myco.testing import DaemonProcess

START_MARK = "<!-- context-bench:start -->"
END_MARK = "<!-- context-bench:end -->"
TARGET_RATIO = 0.2
ANSWER_AFTER = 2


class Item(NamedTuple):
    """A question or directive the script addressed, and when its target resolved it."""

    target: str
    token: str
    #: turn numbers over the whole swarm (the prompt of turn n is numbered n - 1): the
    #: target's prompts from ``posted`` up to, not including, ``resolved`` (0: never) count
    posted: int
    resolved: int


class Result(NamedTuple):
    turns: int
    injected: int
    baseline: int
    misses: list[str]
    largest: int

    @property
    def ratio(self) -> float:
        return self.injected / self.baseline if self.baseline else 0.0


class Player:
    """Runs one session's hooks as processes, as the agent CLI would."""

    def __init__(self, name: str, daemon: DaemonProcess, state_dir: Path) -> None:
        self.name = name
        self.env = {
            **os.environ,
            "MYCO_URL": daemon.url,
            "MYCO_TOKEN": daemon.token,
            "MYCO_SESSION": name,
            "MYCO_STATE_DIR": str(state_dir),
            "MYCO_HOOK_BUDGET": "5",
        }
        self.command = [*myco_command(), "hook", "claude-code"]

    def _run(self, event: str, payload: dict[str, Any]) -> str:
        done = subprocess.run(
            [*self.command, event],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            env=self.env,
            timeout=30,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"myco hook {event} for {self.name} failed: {done.stderr}")
        return done.stdout

    def prompt(self) -> str:
        out = self._run("prompt", {"prompt": "continue"})
        if not out.strip():
            return ""
        return str(json.loads(out).get("hookSpecificOutput", {}).get("additionalContext", ""))

    def stop(self, lines: Sequence[str], key: str) -> None:
        block = "\n".join(lines)
        self._run(
            "stop", {"prompt_id": key, "last_assistant_message": f"ok\n<myco>\n{block}\n</myco>"}
        )


def script(
    workers: list[str], r: int, me: str, inbox: dict[str, list[tuple[str, str, int]]]
) -> list[str]:
    """The block session *me* ends round *r* with (deterministic)."""
    lines: list[str] = []
    i = workers.index(me) if me in workers else -1
    for kind, peer, token_round in [x for x in inbox[me] if x[2] + ANSWER_AFTER <= r]:
        if kind == "ask":
            lines.append(f"reply {peer} answer to q-{peer}-{token_round}")
        else:
            lines.append(f"done d-{token_round}-{me} result:ok")
        inbox[me].remove((kind, peer, token_round))
    if me == "DIRECTOR":
        if r % 4 == 1:
            target = workers[(r // 4) % len(workers)]
            lines.append(f"direct {target} d-{r}-{target} finish the integration test")
        return lines
    lines.append(f"start t-{me}-{r}")
    if r % 3 == 2:
        lines.append(f"done t-{me}-{r - 1} ref:src/{me.lower()}/{r}.py")
    if r % 5 == i % 5:
        peer = workers[(i + 1 + r % (len(workers) - 1)) % len(workers)]  # never itself
        lines.append(f"ask {peer} q-{me}-{r} which version of the schema do you use?")
    if r == 1 and i % 2 == 0:
        lines.append(f"need {workers[(i + 1) % len(workers)]}.api")
    if r % 10 == 7 and i == 0:
        lines.append("say all the staging database restarts at noon")
    return lines


def play(workers_n: int, rounds: int, tmp: Path) -> Result:
    workers = [f"W{i}" for i in range(1, workers_n + 1)]
    sessions = [*workers, "DIRECTOR"]
    items: dict[str, Item] = {}
    texts: dict[str, list[tuple[int, str]]] = {s: [] for s in sessions}
    inbox: dict[str, list[tuple[str, str, int]]] = {s: [] for s in sessions}
    injected = baseline = largest = turns = 0
    with DaemonProcess(tmp / "data", "--quiet") as daemon:
        players = {s: Player(s, daemon, tmp / "state") for s in sessions}
        for r in range(1, rounds + 1):
            for s in sessions:
                text = players[s].prompt()
                full = clip(daemon.view(s), VIEW_LIMIT)
                texts[s].append((turns, text))
                injected += len(text)
                baseline += len(full)
                largest = max(largest, len(text))
                turns += 1
                lines = script(workers, r, s, inbox)
                for line in lines:
                    m = re.match(r"(ask|direct) (\S+) ((?:q|d)-\S+)", line)
                    if m:
                        kind, target, token = m.groups()
                        items[token] = Item(target, token, turns, 0)
                        inbox[target].append((kind, s, r))
                    m = re.match(r"reply (\S+) answer to (q-\S+)", line)
                    if m:
                        items[m.group(2)] = items[m.group(2)]._replace(resolved=turns)
                    m = re.match(r"done (d-\S+)", line)
                    if m:
                        items[m.group(1)] = items[m.group(1)]._replace(resolved=turns)
                players[s].stop(lines, f"{s}-{r}")
    misses = []
    for item in items.values():
        # the target's turns after the post, up to the one that resolved it
        chances = [
            t
            for n, t in texts[item.target]
            if n >= item.posted and (not item.resolved or n < item.resolved)
        ]
        if chances and not any(item.token in t for t in chances):
            misses.append(f"{item.token} → {item.target}")
    return Result(turns, injected, baseline, misses, largest)


def table(result: Result, workers: int, rounds: int) -> str:
    per = result.turns or 1
    ok = result.ratio <= TARGET_RATIO and not result.misses
    return (
        f"Swarm of {workers} workers + DIRECTOR, {rounds} rounds, {result.turns} turns through "
        "`myco hook claude-code prompt|stop` processes.\n\n"
        "| measure | full view every prompt | delta-first | target |\n"
        "|---|---|---|---|\n"
        f"| characters injected, total | {result.baseline:,} | {result.injected:,} | ≤ 1/5 |\n"
        f"| characters per turn, mean | {result.baseline // per:,} "
        f"| {result.injected // per:,} | |\n"
        f"| largest single injection | — | {result.largest:,} | |\n"
        f"| ratio | 1 | {result.ratio:.3f} | ≤ 0.200 |\n"
        f"| delivery misses | — | {len(result.misses)} | 0 |\n\n"
        f"Target {'met' if ok else 'MISSED'}.\n"
    )


def write_doc(path: Path, text: str) -> None:
    doc = path.read_text(encoding="utf-8")
    block = f"{START_MARK}\n{text}{END_MARK}"
    if START_MARK in doc:
        pattern = re.compile(re.escape(START_MARK) + r".*?" + re.escape(END_MARK), re.DOTALL)
        doc = pattern.sub(lambda _: block, doc)
    else:
        doc = doc.rstrip("\n") + "\n\n## Context economy (delta-first views)\n\n" + block + "\n"
    path.write_text(doc, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.context", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--json", action="store_true", help="print JSON, not a table")
    parser.add_argument("--write", type=Path, help="replace the results in this markdown file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="myco-context-bench-") as tmp:
        result = play(args.workers, args.rounds, Path(tmp))
    if args.json:
        print(json.dumps({**result._asdict(), "ratio": result.ratio}, indent=2))
    else:
        text = table(result, args.workers, args.rounds)
        print(text)
        if args.write:
            write_doc(args.write, text)
    return 0 if result.ratio <= TARGET_RATIO and not result.misses else 1


if __name__ == "__main__":
    sys.exit(main())
