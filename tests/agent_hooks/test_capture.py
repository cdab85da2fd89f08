"""Block capture: last block wins, verbs lower-cased, non-verb lines reported."""

from __future__ import annotations

from myco.agent_hooks.capture import capture
from myco.agent_hooks.env import CORE_VERBS, read_env
from myco.plugins import Hooks, make_plugin_manager


def test_last_block_of_the_turn_wins_and_earlier_ones_are_counted() -> None:
    texts = [
        "draft <myco>\nstart a\n</myco> then a tool call",
        "final\n<myco>\nstart b\nneed BACK.api\n</myco>",
    ]
    cap = capture(texts, CORE_VERBS)
    assert cap.lines == ["start b", "need BACK.api"]
    assert cap.blocks == 2 and cap.dropped_blocks == 1


def test_verbs_are_lower_cased_and_the_rest_kept_as_written() -> None:
    cap = capture(["<MYCO>\nDirect BOB Ship-It now\n  ASK back token?  \n</Myco>"], CORE_VERBS)
    assert cap.lines == ["direct BOB Ship-It now", "ask back token?"]


def test_unknown_first_words_are_reported_not_sent() -> None:
    cap = capture(
        ["<myco>\n# a comment\n\nstart x\nstrat y\nand the rest of a detail\n</myco>"], CORE_VERBS
    )
    assert cap.lines == ["start x"]
    assert cap.unknown == ["strat", "and"]


def test_no_block_and_empty_block() -> None:
    assert capture(["just prose"], CORE_VERBS).blocks == 0
    empty = capture(["<myco></myco>"], CORE_VERBS)
    assert empty.blocks == 1 and empty.lines == []


def test_myco_verbs_extends_the_known_verbs() -> None:
    env = read_env({"MYCO_VERBS": "start,wave"})
    assert capture(["<myco>\nWave hello\n</myco>"], env.verbs).lines == ["wave hello"]


def test_core_verbs_match_the_built_in_registry() -> None:
    """The hook's static list (no pluggy on the hot path) must follow the plugins."""
    verbs = Hooks(make_plugin_manager(load_entrypoints=False)).register_verbs()
    builtin = {
        name for name in verbs.names() if verbs.owner(name).startswith("myco.default_plugins.")
    }
    assert builtin == CORE_VERBS
