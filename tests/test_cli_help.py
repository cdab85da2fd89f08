"""Every ``myco`` option and positional is described, and every choice is listed.

The walk covers each subcommand and sub-action, the plugins' commands and ``serve``
options included (the installed plugins are loaded as ``myco --help`` loads them).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from myco.cli import build_parser
from myco.plugins import Hooks, make_plugin_manager


def walk(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from walk(sub, (*path, name))


PARSERS = dict(walk(build_parser(Hooks(make_plugin_manager()))))


def test_the_walk_sees_core_and_plugin_commands() -> None:
    names = {" ".join(path) for path in PARSERS}
    assert {"serve", "view", "token", "token add", "msg put", "run", "worker"} <= names


@pytest.mark.parametrize("path", sorted(PARSERS), ids=lambda p: " ".join(p) or "myco")
def test_every_argument_has_help_and_lists_its_choices(path: tuple[str, ...]) -> None:
    parser = PARSERS[path]
    text = parser.format_help()
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            continue
        name = "/".join(action.option_strings) or action.dest
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                assert choice.help, f"myco {' '.join(path)} {choice.dest}: no help"
            continue
        assert action.help and action.help != argparse.SUPPRESS, f"{name}: no help"
        for choice in action.choices or ():
            assert str(choice) in text, f"{name}: choice {choice!r} not in the help"


@pytest.mark.parametrize(
    ("path", "words"),
    [
        (("view",), ["--format", "markdown", "json"]),
        (("serve",), ["--fsync", "always, everysec, no", "MYCO_FSYNC"]),
        (("serve",), ["--tenants", "open, closed", "MYCO_TENANTS"]),
        (("serve",), ["--log-format", "auto", "json", "console"]),
        (("serve",), ["--redis-url", "MYCO_REDIS_URL", "--trusted-proxy", "repeatable"]),
        (("token", "add"), ["--data-dir", "MYCO_DATA_DIR"]),
    ],
)
def test_help_names_values_and_variables(path: tuple[str, ...], words: list[str]) -> None:
    text = " ".join(PARSERS[path].format_help().split())
    for word in words:
        assert word in text
