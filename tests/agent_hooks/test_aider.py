"""The Aider adapter without Aider: hook answers, launch plan, and the shim on a fake Coder.

The shim runs in a child interpreter started the way ``myco run`` starts aider
(``adapters/aider/site`` on ``PYTHONPATH``), against a fake ``aider.coders.base_coder`` that calls
``send_message`` once per model call and reads its ``--read`` files on every call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from myco.adapters import LaunchRequest
from myco.adapters.aider.adapter import SITE_DIR, Aider
from myco.agent_hooks.runtime import HookContext
from tests.agent_hooks.conftest import TOKEN
from tests.agent_hooks.fakes import FakeDaemon


def ctx(
    event: str, payload: dict[str, Any], fake: FakeDaemon, tmp_path: Path, **env: str
) -> HookContext:
    return HookContext.from_environ(
        "aider",
        event,
        payload,
        {
            "MYCO_URL": fake.url,
            "MYCO_TOKEN": TOKEN,
            "MYCO_SESSION": "docs",
            "MYCO_STATE_DIR": str(tmp_path / "state"),
            **env,
        },
    )


def test_prompt_returns_the_view_for_the_shim(fake: FakeDaemon, tmp_path: Path) -> None:
    answer = json.loads(Aider().hook(ctx("prompt", {"cwd": "/x"}, fake, tmp_path)).stdout)
    assert answer == {"view": fake.view, "down": False, "notices": []}


def test_stop_sends_the_last_block_of_all_replies_once(fake: FakeDaemon, tmp_path: Path) -> None:
    payload = {
        "texts": ["<myco>\nstart a\n</myco>", "<myco>\nstart b\n</myco>", "no block"],
        "turn_id": "t1",
        "edited": False,
        "continued": False,
    }
    for _ in range(2):
        answer = json.loads(Aider().hook(ctx("stop", payload, fake, tmp_path)).stdout)
    assert fake.lines() == ["start b"]
    assert "2 <myco> blocks" in answer["notices"][0] and answer["reason"] == ""


def test_stop_asks_once_for_a_block_after_edits(fake: FakeDaemon, tmp_path: Path) -> None:
    payload = {"texts": ["edited it"], "turn_id": "t2", "edited": True, "continued": False}
    answer = json.loads(
        Aider().hook(ctx("stop", payload, fake, tmp_path, MYCO_REQUIRE_BLOCK="1")).stdout
    )
    assert "no <myco> block" in answer["reason"]


def request(tmp_path: Path, **kw: Any) -> LaunchRequest:
    project = tmp_path / "proj"
    project.mkdir(exist_ok=True)
    return LaunchRequest(
        session="DOCS",
        project_dir=project,
        hook_command=["/venv/bin/myco", "hook", "aider"],
        instructions="# guide\n",
        **kw,
    )


def test_launch_reads_the_conventions_and_the_view_and_loads_the_shim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYCO_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PYTHONPATH", "/user/lib")
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "CONVENTIONS.md").write_text("Use tabs.\n")
    plan = Aider().launch(request(tmp_path, role="You direct.", resume="", args=["--4o"]))
    reads = [plan.argv[i + 1] for i, a in enumerate(plan.argv) if a == "--read"]
    conventions, view, role = (Path(r) for r in reads)
    assert conventions == tmp_path / "proj" / "CONVENTIONS.md"
    assert plan.files[conventions].startswith("Use tabs.\n\n<!-- myco:begin -->")
    assert view.name == "myco-view.md" and view in plan.files  # must exist before aider starts
    assert plan.files[role] == "You direct.\n"
    assert plan.argv[-2:] == ["--restore-chat-history", "--4o"]
    assert plan.env["PYTHONPATH"] == f"{SITE_DIR}{os.pathsep}/user/lib"
    assert json.loads(plan.env["MYCO_AIDER_HOOK"]) == ["/venv/bin/myco", "hook", "aider"]
    assert plan.env["MYCO_AIDER_VIEW"] == str(view)


def test_headless_is_a_message_run_that_restores_its_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYCO_STATE_DIR", str(tmp_path / "state"))
    first = Aider().headless(request(tmp_path), "do it", "")
    assert first.argv[-2:] == ["--message", "do it"] and "--yes-always" in first.argv
    assert "--restore-chat-history" not in first.argv
    again = Aider().headless(request(tmp_path), "more", first.conversation)
    assert "--restore-chat-history" in again.argv
    assert Aider().conversation_from_output("whatever", again) == first.conversation


# -- the shim, in a child interpreter -------------------------------------------------
FAKE_CODER = """
class IO:
    def tool_warning(self, text):
        print("WARN " + text)

class Coder:
    def __init__(self, replies, root, view):
        self.replies, self.root, self.io = list(replies), root, IO()
        self.abs_read_only_fnames = {view}
        self.partial_response_content = ""
        self.aider_edited_files = set()
        self.seen = []
        self.inputs = []
        self.done_messages = []

    def send_message(self, inp):  # one model call: read-only files are read now
        self.seen.append([open(f).read() for f in sorted(self.abs_read_only_fnames)])
        self.inputs.append(inp)
        yield "chunk"
        self.partial_response_content = self.replies.pop(0)
        self.reflected_message = "again" if "REFLECT" in self.partial_response_content else None

    def run_one(self, user_message, preproc):
        message = user_message
        while message:
            self.reflected_message = None
            list(self.send_message(message))
            message = self.reflected_message
"""
HOOK = """
import json, os, sys
event, payload = sys.argv[1], json.load(sys.stdin)
log = os.environ["HOOK_LOG"]
with open(log, "a") as f:
    f.write(json.dumps({"event": event, "payload": payload}) + "\\n")
n = sum(1 for _ in open(log))
if event == "prompt" and os.environ.get("HOOK_DOWN"):
    print(json.dumps({"context": "", "down": True, "notices": []}))
elif event == "prompt" and os.environ.get("HOOK_DELTAS"):
    print(json.dumps({"context": f"CONTEXT {n}", "down": False, "notices": []}))
elif event == "prompt":
    print(json.dumps({"view": f"VIEW {n}", "down": False, "notices": []}))
else:
    reason = os.environ.get("HOOK_REASON", "") if not payload["continued"] else ""
    print(json.dumps({"notices": ["stop seen"], "reason": reason}))
"""
DRIVER = """
import json, os, sys
import aider.coders.base_coder as m
coder = m.Coder(json.loads(sys.argv[1]), os.getcwd(), os.environ["MYCO_AIDER_VIEW"])
coder.run_one("hello", True)
if coder.replies:  # two more turns: the history grows, then /clear empties it
    coder.done_messages = ["a", "b"]
    coder.run_one("more", True)
    coder.done_messages = []
    coder.run_one("after clear", True)
print(json.dumps({"seen": coder.seen, "inputs": coder.inputs,
                  "pythonpath": os.environ.get("PYTHONPATH", ""),
                  "myco": "myco" in sys.modules, "chained": os.environ.get("CHAINED", "")}))
"""


def run_shim(
    tmp_path: Path, replies: list[str], hook: list[str] | None = None, **env: str
) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    pkg = tmp_path / "fakeaider"
    (pkg / "aider" / "coders").mkdir(parents=True, exist_ok=True)
    (pkg / "aider" / "__init__.py").write_text("")
    (pkg / "aider" / "coders" / "__init__.py").write_text("")
    (pkg / "aider" / "coders" / "base_coder.py").write_text(FAKE_CODER)
    (tmp_path / "hook.py").write_text(HOOK)
    chained = tmp_path / "other-site"
    chained.mkdir(exist_ok=True)
    (chained / "sitecustomize.py").write_text("import os\nos.environ['CHAINED'] = 'yes'\n")
    view = tmp_path / "state" / "myco-view.md"
    log = tmp_path / "hook.log"
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(replies)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "PYTHONPATH": os.pathsep.join([str(SITE_DIR), str(pkg), str(chained)]),
            "MYCO_AIDER_HOOK": json.dumps(hook or [sys.executable, str(tmp_path / "hook.py")]),
            "MYCO_AIDER_VIEW": str(view),
            "HOOK_LOG": str(log),
            **env,
        },
    )
    assert proc.returncode == 0, proc.stderr
    *warnings, last = proc.stdout.strip().splitlines()
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return json.loads(last), calls, "\n".join(warnings)


def test_each_model_call_reads_a_fresh_view_and_the_turn_reports_every_reply(
    tmp_path: Path,
) -> None:
    out, calls, warnings = run_shim(tmp_path, ["REFLECT <myco>\nstart a\n</myco>", "plain"])
    assert [c["event"] for c in calls] == ["prompt", "prompt", "stop"]
    assert out["seen"] == [["VIEW 1"], ["VIEW 2"]]  # refreshed before the second call too
    stop = calls[-1]["payload"]
    assert stop["texts"] == ["REFLECT <myco>\nstart a\n</myco>", "plain"]
    assert stop["turn_id"] and stop["continued"] is False
    assert warnings == "WARN stop seen"
    assert out["pythonpath"] == str(tmp_path / "fakeaider") + os.pathsep + str(
        tmp_path / "other-site"
    )  # aider's children do not load the shim
    assert out["chained"] == "yes"  # the sitecustomize ours shadows still ran
    assert out["myco"] is False  # the shim does not need myco in aider's environment


def test_an_enforcement_reason_continues_the_turn_once(tmp_path: Path) -> None:
    _, calls, _ = run_shim(
        tmp_path, ["edited", "sorry <myco>\ndone x\n</myco>"], HOOK_REASON="add a block"
    )
    stops = [c["payload"] for c in calls if c["event"] == "stop"]
    assert [s["continued"] for s in stops] == [False, True]
    assert stops[0]["turn_id"] == stops[1]["turn_id"]
    assert stops[1]["texts"] == ["edited", "sorry <myco>\ndone x\n</myco>"]


def test_a_broken_hook_never_breaks_aider(tmp_path: Path) -> None:
    out, calls, _ = run_shim(tmp_path, ["hello"], hook=["/nonexistent/myco", "hook", "aider"])
    assert calls == []
    (view,) = out["seen"][0]
    assert view.startswith("> myco: no fresh view at ")
    assert view.endswith(
        textwrap.dedent("""\
        <!-- myco protocol v1 -->
        # myco view

        (myco refreshes this file before every model request.)
        """)
    )  # the placeholder the shim created: aider drops a missing --read file


def test_the_aider_hook_path_stays_light(tmp_path: Path) -> None:
    probe = (
        "import io, json, sys\n"
        "from myco.cli import main\n"
        "sys.stdin = io.TextIOWrapper(io.BytesIO(sys.argv[1].encode()))\n"
        "main(['hook', 'aider', 'stop'])\n"
        "heavy = {'pluggy', 'attrs', 'aiohttp', 'argparse', 'urllib.request', 'http.client',\n"
        "         'importlib.metadata', 'asyncio', 'subprocess', 'myco.launcher'}\n"
        "print(sorted(heavy & set(sys.modules)), file=sys.stderr)\n"
    )
    payload = json.dumps({"texts": ["<myco>\nsay x\n</myco>"], "turn_id": "t"})
    proc = subprocess.run(
        [sys.executable, "-c", probe, payload],
        capture_output=True,
        text=True,
        timeout=10,
        env={
            **os.environ,
            "MYCO_TOKEN": TOKEN,
            "MYCO_STATE_DIR": str(tmp_path / "state"),
            "MYCO_URL": "http://127.0.0.1:9",
        },
    )
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_a_delta_hook_puts_the_context_in_each_message_and_resyncs(tmp_path: Path) -> None:
    out, calls, _ = run_shim(tmp_path, ["one", "two", "three"], HOOK_DELTAS="1")
    prompts = [c["payload"] for c in calls if c["event"] == "prompt"]
    assert [p["deltas"] for p in prompts] == [True, True, True]
    # the first call of the process and the call after /clear get the full view again
    assert [p["resync"] for p in prompts] == ["startup", "", "compact"]
    assert out["inputs"] == [
        "CONTEXT 1\n\n---\n\nhello",
        "CONTEXT 3\n\n---\n\nmore",
        "CONTEXT 5\n\n---\n\nafter clear",
    ]
    (view,) = out["seen"][-1]
    assert "myco puts its view in your messages" in view  # no full view re-sent on every call


def test_a_daemon_down_is_said_in_the_message_not_left_silent(tmp_path: Path) -> None:
    """No delta to give: the model is told its last view may be stale."""
    out, _, _ = run_shim(tmp_path, ["one"], HOOK_DOWN="1")
    (first,) = out["inputs"]
    assert first.startswith("> myco: no fresh view at ") and first.endswith("---\n\nhello")


def test_the_prompt_hook_gives_the_full_view_then_deltas(tmp_path: Path) -> None:
    from myco.testing import AdapterHarness, DaemonProcess

    with DaemonProcess(tmp_path / "data", "--quiet") as daemon:
        aider = AdapterHarness(Aider(), daemon, tmp_path / "state", session="AID")

        def context(resync: str) -> str:
            out = aider.hook("prompt", {"cwd": str(tmp_path), "deltas": True, "resync": resync})
            return str(json.loads(out.stdout)["context"])

        assert "# myco view — AID" in context("startup")
        assert context("").startswith("myco: nothing new for AID")
        daemon.post("BACK", "ask AID which port?")
        delta = context("")
        assert "which port?" in delta and "# myco view" not in delta
        assert "# myco view — AID" in context("compact")
        old_shim = aider.hook("prompt", {"cwd": str(tmp_path)})
        assert "# myco view — AID" in json.loads(old_shim.stdout)["view"]
