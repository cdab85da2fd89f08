"""Settings that plugins own: ``myco serve`` options declared through a hook.

A plugin declares each of its settings once, as an :class:`Option`, in
``register_serve_options(options)``. myco turns it into a ``myco serve`` flag and a
``MYCO_<NAME>`` environment variable, and puts the value in the plugin's namespace of the
daemon configuration, where the plugin reads it back::

    FSYNC = Option("file", "fsync", "when appended events reach the disk",
                   default="everysec", choices=("always", "everysec", "no"))

    @hookimpl
    def register_serve_options(options):
        options.add(FSYNC)

    policy = FSYNC.value(daemon.config)      # or daemon.config.plugin("file")["fsync"]

A value comes from, last wins: the option's default, the settings file
(``myco serve --config FILE``: one TOML table per namespace), its environment variable, its
flag. A disabled plugin declares nothing, so its flags and variables do not exist.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from attrs import Factory, field, frozen

if TYPE_CHECKING:
    from myco.config import Config

OptionKind = Literal["value", "flag", "list"]
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


class OptionError(ValueError):
    """A value given for an option cannot be used; the message names the flag or variable."""


def _flag(option: Option) -> str:
    return "--" + option.name.replace("_", "-")


def _env(option: Option) -> str:
    return "MYCO_" + option.name.upper()


@frozen
class Option:
    """One setting of a plugin, settable as a ``myco serve`` flag and an environment variable.

    :param namespace: the plugin's settings namespace: the value is read with
        ``config.plugin(namespace)[name]`` (or :meth:`value`).
    :param name: the key in the namespace, a Python identifier.
    :param help: one line for ``myco serve --help``.
    :param default: the value when neither the flag nor the variable is given.
    :param type: turns the text of the flag or variable into the value (``int``, ``float``,
        or any callable raising ``ValueError`` with a message); applied to each item of a
        ``list`` option. Not applied to *default*.
    :param choices: the accepted texts; ``myco serve --help`` lists them.
    :param kind: ``value`` takes one argument; ``flag`` takes none and is True when given
        (the variable accepts 1/0, true/false, yes/no, on/off); ``list`` is repeatable and
        its variable is comma-separated; its value is a tuple.
    :param flag: the command-line flag (default ``--`` + *name* with dashes).
    :param env: the environment variable (default ``MYCO_`` + upper-cased *name*).
    :param metavar: the argument's name in the help (default the upper-cased name).
    """

    namespace: str
    name: str
    help: str
    default: Any = None
    type: Callable[[str], Any] = str
    choices: tuple[str, ...] = ()
    kind: OptionKind = "value"
    flag: str = field(default=Factory(_flag, takes_self=True))
    env: str = field(default=Factory(_env, takes_self=True))
    metavar: str = ""

    @property
    def dest(self) -> str:
        """The attribute of the parsed ``argparse.Namespace`` that holds the flag's text."""
        return f"option__{self.namespace}__{self.name}"

    def value(self, config: Config) -> Any:
        """This option's value in *config*: what was configured, else its default."""
        return config.plugin(self.namespace).get(self.name, self.default)

    def convert(self, raw: str, source: str) -> Any:
        """The value of text *raw* given through *source* (the flag or the variable)."""
        if self.kind == "flag":
            lowered = raw.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise OptionError(f"{source}: expected true or false, got {raw!r}")
        if self.kind == "list":
            return tuple(self._one(item.strip(), source) for item in raw.split(",") if item.strip())
        return self._one(raw, source)

    def _one(self, raw: str, source: str) -> Any:
        if self.choices and raw not in self.choices:
            raise OptionError(f"{source}: expected one of {', '.join(self.choices)}; got {raw!r}")
        try:
            return self.type(raw)
        except (TypeError, ValueError) as exc:
            kind = getattr(self.type, "__name__", "")
            if self.type in (int, float):
                raise OptionError(f"{source}: expected {kind}, got {raw!r}") from None
            raise OptionError(f"{source}: {exc}") from None


class OptionRegistry:
    """The options every plugin declared, in declaration order.

    A flag or variable that two options claim is an error naming both namespaces.
    """

    def __init__(self) -> None:
        self._options: list[Option] = []
        self._claims: dict[str, tuple[Option, str]] = {}
        #: the plugin adding right now (set by :class:`myco.plugins.Hooks`), for messages
        self.current_plugin = ""

    def add(self, option: Option) -> None:
        """Declare *option*; its flag and variable must be free."""
        if not option.namespace or not option.name.isidentifier():
            raise ValueError(f"option {option.name!r}: namespace and identifier name needed")
        for claim in (option.flag, option.env, option.dest):
            taken = self._claims.get(claim)
            if taken is not None:
                raise ValueError(
                    f"{claim} is declared by both {_owner(*taken)} and "
                    f"{_owner(option, self.current_plugin)}"
                )
        for claim in (option.flag, option.env, option.dest):
            self._claims[claim] = (option, self.current_plugin)
        self._options.append(option)

    def namespaces(self) -> list[str]:
        return sorted({o.namespace for o in self._options})

    def __iter__(self) -> Iterator[Option]:
        return iter(self._options)

    def __len__(self) -> int:
        return len(self._options)

    def add_to_parser(self, parser: argparse.ArgumentParser) -> None:
        """One flag per option, grouped by namespace; values are converted by :meth:`resolve`."""
        for namespace in self.namespaces():
            group = parser.add_argument_group(f"{namespace} settings")
            for option in (o for o in self._options if o.namespace == namespace):
                group.add_argument(option.flag, **_argparse_kwargs(option))

    def resolve(
        self,
        env: Mapping[str, str],
        args: argparse.Namespace | None = None,
        file: SettingsFile | None = None,
    ) -> dict[str, dict[str, Any]]:
        """namespace -> name -> value: the default, the file, the variable, the flag.

        Raises :class:`OptionError` naming the flag, the variable or the file entry of a
        bad value, and for a file entry no option declares.
        """
        if file is not None:
            self._check_file(file)
        out: dict[str, dict[str, Any]] = {ns: {} for ns in self.namespaces()}
        for option in self._options:
            value = option.default
            if option.kind == "list" and value is not None:
                value = tuple(value)
            if file is not None and option.name in file.tables.get(option.namespace, {}):
                value = file.value(option)
            raw_env = env.get(option.env)
            if raw_env is not None and (raw_env.strip() or option.kind != "value"):
                value = option.convert(raw_env, option.env)
            given = getattr(args, option.dest, None) if args is not None else None
            if given is not None:
                if option.kind == "flag":
                    value = bool(given)
                elif option.kind == "list":
                    value = tuple(v for raw in given for v in option.convert(raw, option.flag))
                else:
                    value = option.convert(given, option.flag)
            out[option.namespace][option.name] = value
        return out

    def _check_file(self, file: SettingsFile) -> None:
        for namespace, table in file.tables.items():
            names = {o.name for o in self._options if o.namespace == namespace}
            if not names:
                known = ", ".join(self.namespaces()) or "none"
                raise OptionError(
                    f"{file.path}: no installed plugin has settings [{namespace}] (known: {known})"
                )
            for name in table:
                if name not in names:
                    raise OptionError(
                        f"{file.path}: [{namespace}] has no setting {name!r} "
                        f"(known: {', '.join(sorted(names))})"
                    )


@frozen
class SettingsFile:
    """Plugin settings read from a TOML file: one table per namespace.

    ::

        [file]
        fsync = "always"

        [auth]
        tenants = "closed"
        trusted_proxies = ["10.0.0.5", "192.168.0.0/16"]
    """

    path: str
    tables: Mapping[str, Mapping[str, Any]]

    @classmethod
    def load(cls, path: str | Path) -> SettingsFile:
        """Parse *path*; :class:`OptionError` with one line when it cannot be read."""
        # the standard library's tomllib from 3.11; its backport, tomli, on 3.10
        toml: Any = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
        try:
            with open(path, "rb") as fh:
                data: dict[str, Any] = toml.load(fh)
        except OSError as exc:
            raise OptionError(f"cannot read settings file {path}: {exc.strerror}") from None
        except toml.TOMLDecodeError as exc:
            raise OptionError(f"{path}: not valid TOML: {exc}") from None
        for namespace, table in data.items():
            if not isinstance(table, dict):
                raise OptionError(f"{path}: {namespace!r} must be a table ([{namespace}])")
        return cls(str(path), data)

    def value(self, option: Option) -> Any:
        """The file's value for *option*, converted like the flag's text."""
        raw = self.tables[option.namespace][option.name]
        source = f"{self.path} [{option.namespace}] {option.name}"
        if option.kind == "flag" and isinstance(raw, bool):
            return raw
        if option.kind == "list" and isinstance(raw, list):
            return tuple(v for item in raw for v in option.convert(_text(item, source), source))
        return option.convert(_text(raw, source), source)


def _text(raw: object, source: str) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise OptionError(f"{source}: expected text or a number, got {raw!r}")
    return str(raw)


def _owner(option: Option, plugin: str) -> str:
    return f"the {option.namespace!r} settings" + (f" of {plugin}" if plugin else "")


def _argparse_kwargs(option: Option) -> dict[str, Any]:
    help_text = option.help.replace("%", "%%")
    if option.choices:
        help_text += f"; one of: {', '.join(option.choices)}"
    if option.kind != "flag" and option.default not in (None, "", ()):
        shown = option.default
        if isinstance(shown, (tuple, list)):
            shown = ",".join(map(str, shown))
        help_text += f" (default {shown})"
    help_text += f" [env {option.env}]"
    kwargs: dict[str, Any] = {"dest": option.dest, "default": None, "help": help_text}
    if option.kind == "flag":
        kwargs["action"] = "store_true"
        return kwargs
    if option.kind == "list":
        kwargs["action"] = "append"
        help_text += "; repeatable"
        kwargs["help"] = help_text
    if option.choices:
        kwargs["choices"] = option.choices
    kwargs["metavar"] = option.metavar or (None if option.choices else option.name.upper())
    return kwargs


class Settings(Mapping[str, Any]):
    """One plugin's settings: a read-only mapping, also readable as attributes."""

    def __init__(self, namespace: str, values: Mapping[str, Any]) -> None:
        self._namespace = namespace
        self._values = dict(values)

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(
                f"no setting {name!r} in the {self._namespace!r} settings "
                f"(known: {', '.join(sorted(self._values)) or 'none'})"
            ) from None

    def __repr__(self) -> str:
        return f"Settings({self._namespace!r}, {self._values!r})"


def copy_settings(plugins: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """A copy of a namespace -> settings mapping that callers cannot change through."""
    return {ns: dict(values) for ns, values in plugins.items()}
