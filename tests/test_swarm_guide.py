"""The agents' guide teaches exactly the registered core verbs."""

from __future__ import annotations

import re
from pathlib import Path

from myco.plugins import Hooks, make_plugin_manager

GUIDE = Path(__file__).parent.parent / "swarm" / "PROTOCOL.md"


def taught_verbs() -> set[str]:
    rows = re.findall(r"^\| `([a-z]+)` \| `", GUIDE.read_text(), flags=re.MULTILINE)
    return set(rows)


def test_every_taught_verb_is_registered_and_every_core_verb_is_taught() -> None:
    verbs = Hooks(make_plugin_manager(load_entrypoints=False)).register_verbs()
    # the edits plugin's verbs are rows the assembled guide adds (tests/test_guide.py)
    core = {
        s.name
        for s in verbs.public()
        if s.plugin.startswith("myco.default_plugins.")
        and not s.plugin.startswith("myco.default_plugins.edits")
    }
    assert taught_verbs() == core


def test_every_example_line_parses_with_its_verb() -> None:
    from myco.protocol.grammar import parse_line

    examples = re.findall(r"^\| `[a-z]+` \| `([^`]+)` \|", GUIDE.read_text(), flags=re.MULTILINE)
    assert len(examples) == 11
    for line in examples:
        parsed = parse_line(line)
        assert parsed is not None and parsed.verb == line.split()[0]
