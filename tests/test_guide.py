"""The agents' guide is assembled from plugins: verbs table rows and guide entries."""

from __future__ import annotations

import subprocess
import sys

import pytest

from myco import GuideEntry, VerbSpec, agent_guide, hookimpl
from myco.cli import main
from myco.default_plugins.context import GUIDE as CONTEXT_GUIDE
from myco.plugins import Hooks
from myco.protocol.events import Event
from myco.protocol.state import SwarmState
from myco.registry import GuideRegistry, RegistryError, VerbRegistry
from tests.test_plugins import build, env


def noop(state: SwarmState, event: Event) -> None:
    pass


class LeasePlugin:
    """A verb with an example, one without, and entries for each role."""

    __name__ = "lease-plugin"

    @hookimpl
    def register_verbs(self, verbs: VerbRegistry) -> None:
        verbs.add(VerbSpec("lease", noop, "hold a file | a path", example="lease src/app.py"))
        verbs.add(VerbSpec("unlease", noop, "let it go"))

    @hookimpl
    def register_guide(self, guide: GuideRegistry) -> None:
        assert "lease" in guide.verbs  # the verbs are registered before the guide
        guide.add(GuideEntry("Leases", "Hold a file before editing it.\n", order=20))
        guide.add(GuideEntry("Early", "First of the entries.", order=10))
        guide.add(
            GuideEntry("Lease audits", "Check who holds what.", roles=frozenset({"director"}))
        )


#: the built-in context plugin's entry (deltas, receipts, liveness) follows the base text
CONTEXT_ENTRY = "## Deltas, receipts and liveness\n\n" + CONTEXT_GUIDE


def base_guide() -> str:
    """What the built-ins teach: the packaged protocol, then the context plugin's entry."""
    return agent_guide.read(agent_guide.PROTOCOL).rstrip("\n") + "\n\n" + CONTEXT_ENTRY


#: the built-in plugin that adds to the base guide (claim/release, a "Files" entry);
#: left out where a test compares with the base text
EDITS = "myco.default_plugins.edits.plugin"


def assembled(role: str, *plugins: object, edits: bool = False) -> tuple[str, str]:
    blocked = {} if edits else {"MYCO_DISABLE_PLUGINS": EDITS}
    return agent_guide.for_role(role, Hooks(build(*plugins, **blocked)))


@pytest.mark.parametrize("role", ["worker", "director"])
def test_the_edits_plugin_teaches_claim_release_and_files(role: str) -> None:
    protocol, _ = assembled(role, edits=True)
    base, _ = assembled(role)
    assert protocol.startswith(base.split("| `direct` |")[0])
    assert "| `claim` | `claim src/auth/** ttl:45m reworking login` |" in protocol
    assert "| `release` | `release src/auth/**` |" in protocol
    assert "| `edit` |" not in protocol  # internal: posted by hooks, never by agents
    assert protocol.rstrip().endswith(
        "committing a file also clears its conflict."
    ) and "\n## Files: conflicts and leases\n" in protocol


@pytest.mark.parametrize("role", ["worker", "director"])
def test_builtins_only_is_the_base_text(role: str) -> None:
    protocol, role_text = assembled(role)
    assert protocol == base_guide()
    expected = agent_guide.read(agent_guide.DIRECTOR) if role == "director" else ""
    assert role_text == expected


def test_plugin_verbs_and_entries_are_taught() -> None:
    worker, _ = assembled("worker", LeasePlugin())
    lines = worker.splitlines()
    direct = next(i for i, line in enumerate(lines) if line.startswith("| `direct` |"))
    assert lines[direct + 1 : direct + 3] == [
        "| `lease` | `lease src/app.py` | hold a file \\| a path |",
        "| `unlease` | — | let it go |",
    ]
    assert worker.endswith(
        "- Session names are case-insensitive.\n\n"
        + CONTEXT_ENTRY
        + "\n## Early\n\nFirst of the entries.\n\n"
        "## Leases\n\nHold a file before editing it.\n"
    )
    director, role_text = assembled("director", LeasePlugin())
    assert director.endswith("## Lease audits\n\nCheck who holds what.\n")
    assert "## Lease audits" not in worker
    assert role_text.startswith("# myco: you are the DIRECTOR")


def test_a_replaced_verb_keeps_its_row_with_the_new_summary() -> None:
    class MyDone:
        __name__ = "my-done"

        @hookimpl
        def register_verbs(self, verbs: VerbRegistry) -> None:
            verbs.add(VerbSpec("done", noop, "finished, my way", example="done x"), replace=True)

    lines = assembled("worker", MyDone())[0].splitlines()
    rows = [line for line in lines if line.startswith("| `")]
    assert rows[1] == "| `done` | `done x` | finished, my way |"


def test_duplicate_guide_heading_names_both_plugins() -> None:
    class Copy:
        __name__ = "copy-plugin"

        @hookimpl
        def register_guide(self, guide: GuideRegistry) -> None:
            guide.add(GuideEntry("Leases", "mine"))

    with pytest.raises(RegistryError, match="replace=True") as info:
        assembled("worker", LeasePlugin(), Copy())
    assert "'lease-plugin'" in str(info.value) and "'copy-plugin'" in str(info.value)


def test_myco_guide_command(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYCO_LOAD_PLUGINS", "")  # built-ins only
    monkeypatch.setenv("MYCO_DISABLE_PLUGINS", EDITS)  # the one that adds to the base text
    assert main(["guide"]) == 0
    assert capsys.readouterr().out == base_guide()
    assert main(["guide", "--role", "director"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(base_guide().rstrip("\n") + "\n\n")
    assert out.endswith(agent_guide.read(agent_guide.DIRECTOR))


def test_myco_guide_refuses_an_unknown_role() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "myco", "guide", "--role", "boss"],
        capture_output=True,
        text=True,
        env=env(),
        timeout=60,
    )
    assert done.returncode == 2
    assert "invalid choice: 'boss'" in done.stderr
