"""``myco`` subcommands that plugins add through the ``register_commands`` hook.

A plugin describes each command as a :class:`Command`: its name, one line of help, a
function that adds its arguments to an :class:`argparse.ArgumentParser`, and the function
that runs it. Raise :class:`myco.cli.CommandError` for a user-facing failure: myco prints
its message as one line and exits with status 1.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator

from attrs import frozen

from myco.cli import CORE_COMMANDS

Configure = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace], "int | None"]


@frozen
class Command:
    """One ``myco NAME`` subcommand.

    :param name: the word after ``myco``.
    :param help: one line for ``myco --help``.
    :param run: called with the parsed arguments; returns the exit status (None means 0).
    :param configure: adds the command's arguments (and sub-actions) to its parser.
    :param description: longer text for ``myco NAME --help`` (default *help*).
    """

    name: str
    help: str
    run: Run
    configure: Configure | None = None
    description: str = ""


class CommandRegistry:
    """Plugin commands by name; a name taken twice (or a built-in's) is an error."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._owners: dict[str, str] = {}
        #: the plugin adding right now (set by :class:`myco.plugins.Hooks`), for messages
        self.current_plugin = ""

    def add(self, command: Command) -> None:
        if command.name in CORE_COMMANDS:
            raise ValueError(f"command {command.name!r} is built into myco")
        if command.name in self._commands:
            owner = self._owners[command.name]
            if owner and self.current_plugin:
                raise ValueError(
                    f"command {command.name!r} is registered by both {owner!r} and "
                    f"{self.current_plugin!r}"
                )
            raise ValueError(f"command {command.name!r} is registered twice")
        self._commands[command.name] = command
        self._owners[command.name] = self.current_plugin

    def get(self, name: str) -> Command | None:
        return self._commands.get(name)

    def names(self) -> list[str]:
        return sorted(self._commands)

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands[n] for n in self.names())

    def __contains__(self, name: object) -> bool:
        return name in self._commands

    def __len__(self) -> int:
        return len(self._commands)
