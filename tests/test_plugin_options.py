"""Plugins own their ``myco serve`` options and their ``myco`` commands (issue 8 §3).

The built-ins declare their settings through ``register_serve_options`` and ``myco token``
through ``register_commands``; a disabled plugin's flags and commands are gone; the value
of an option reaches the plugin through its namespace of the daemon configuration.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from myco import hookimpl
from myco.auth.settings import NEW_TENANTS_PER_HOUR, TENANTS, TRUSTED_PROXIES
from myco.cli import CommandError, build_parser, main, needs_plugins
from myco.cli.registry import Command, CommandRegistry
from myco.config import Config
from myco.daemon import Daemon
from myco.default_plugins.storage_file import FSYNC
from myco.default_plugins.storage_redis import REDIS_URL
from myco.options import Option, OptionError, OptionRegistry, SettingsFile
from myco.plugins import Hooks, make_plugin_manager

FILE = "myco.default_plugins.storage_file"
REDIS = "myco.default_plugins.storage_redis"
AUTH = "myco.default_plugins.auth_token"


def hooks(*extra: object, disable: str = "") -> Hooks:
    env = {"MYCO_DISABLE_PLUGINS": disable} if disable else {}
    return Hooks(make_plugin_manager(load_entrypoints=False, env=env, extra=extra))


def serve_args(plugins: Hooks, *argv: str) -> argparse.Namespace:
    return build_parser(plugins).parse_args(["serve", *argv])


def settings(plugins: Hooks, argv: tuple[str, ...] = (), **env: str) -> dict[str, Any]:
    return plugins.register_serve_options().resolve(env, serve_args(plugins, *argv))


# -- the built-ins' settings --------------------------------------------------------------


def test_builtin_settings_live_in_their_plugins_namespaces() -> None:
    values = settings(hooks())
    assert values["file"] == {"fsync": "everysec"}
    assert values["redis"]["redis_url"] == "redis://127.0.0.1:6379/0"
    assert values["auth"] == {
        "tenants": "open",
        "require_session_tokens": False,
        "trusted_proxies": (),
        "new_tenants_per_hour": 10,
    }
    core = {a.name for a in Config.__attrs_attrs__}  # type: ignore[attr-defined]
    for owned in ("fsync", "redis_url", "tenants", "require_session_tokens", "trusted_proxies"):
        assert owned not in core


def test_flag_beats_variable_beats_default() -> None:
    plugins = hooks()
    assert settings(plugins, MYCO_FSYNC="no")["file"]["fsync"] == "no"
    assert settings(plugins, ("--fsync", "always"), MYCO_FSYNC="no")["file"]["fsync"] == "always"
    auth = settings(
        plugins,
        ("--trusted-proxy", "10.0.0.1", "--trusted-proxy", "10.1.0.0/16", "--tenants", "closed"),
        MYCO_TRUSTED_PROXIES="192.168.0.1",
        MYCO_REQUIRE_SESSION_TOKENS="yes",
        MYCO_NEW_TENANTS_PER_HOUR="3",
    )["auth"]
    assert auth == {
        "tenants": "closed",
        "require_session_tokens": True,
        "trusted_proxies": ("10.0.0.1", "10.1.0.0/16"),
        "new_tenants_per_hour": 3,
    }
    from_env = settings(plugins, MYCO_TRUSTED_PROXIES="10.0.0.1, ::1", MYCO_TENANTS="closed")
    assert from_env["auth"]["trusted_proxies"] == ("10.0.0.1", "::1")
    assert from_env["auth"]["tenants"] == "closed"


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        ((), {"MYCO_FSYNC": "sometimes"}, "MYCO_FSYNC: expected one of always, everysec, no; "),
        ((), {"MYCO_NEW_TENANTS_PER_HOUR": "many"}, "MYCO_NEW_TENANTS_PER_HOUR: expected a whole"),
        ((), {"MYCO_REQUIRE_SESSION_TOKENS": "maybe"}, "MYCO_REQUIRE_SESSION_TOKENS: expected"),
        ((), {"MYCO_TRUSTED_PROXIES": "10.0.0.1,nope"}, "MYCO_TRUSTED_PROXIES: not an IP"),
        (("--new-tenants-per-hour", "-1"), {}, "--new-tenants-per-hour: must be 0 or more"),
    ],
)
def test_a_bad_value_names_its_flag_or_variable(
    argv: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    with pytest.raises(OptionError) as info:
        settings(hooks(), argv, **env)
    assert str(info.value).startswith(message)


def test_the_servers_network_limits_are_core_options() -> None:
    """``[server]``: flags, variables and the settings file reach :class:`Limits`."""
    from myco.web.limits import Limits

    plugins = hooks(disable="myco.default_plugins.transport_http")
    values = settings(
        plugins, ("--max-connections", "77"), MYCO_HEADER_TIMEOUT="2.5", MYCO_STREAM_QUEUE="9"
    )
    limits = Limits.from_config(Config(plugins=values))
    assert (limits.max_connections, limits.header_timeout, limits.stream_queue) == (77, 2.5, 9)
    assert Limits.from_config(Config()) == Limits(max_connections=limits_default())
    for argv, env, message in (
        ((), {"MYCO_MAX_CONNECTIONS": "many"}, "MYCO_MAX_CONNECTIONS: expected a whole number"),
        (("--body-timeout", "0"), {}, "--body-timeout: expected a number above 0, got '0'"),
    ):
        with pytest.raises(OptionError, match=message):
            settings(plugins, argv, **env)


def limits_default() -> int:
    from myco.web.limits import default_max_connections

    return default_max_connections()


def test_plugins_read_their_settings_from_the_config() -> None:
    plugins = hooks()
    values = settings(plugins, ("--fsync", "always", "--redis-url", "redis://h:1/2"))
    config = Config(plugins=values)
    assert FSYNC.value(config) == "always" == config.plugin("file").fsync
    assert REDIS_URL.value(config) == "redis://h:1/2" == config.plugin("redis")["redis_url"]
    daemon = Daemon(config, plugins.pm)
    assert daemon.storage._policy == "always"  # type: ignore[attr-defined]
    # a config built without the command line: each option's default
    bare = Config()
    assert FSYNC.value(bare) == "everysec"
    assert TENANTS.value(bare) == "open" and TRUSTED_PROXIES.value(bare) == ()
    assert NEW_TENANTS_PER_HOUR.value(bare.with_settings("auth", new_tenants_per_hour=2)) == 2
    with pytest.raises(AttributeError, match="no setting 'fsinc' in the 'file' settings"):
        _ = config.plugin("file").fsinc
    assert dict(config.plugin("not-installed")) == {}


# -- disabling a plugin removes what it contributes ------------------------------------


@pytest.mark.parametrize(
    ("plugin", "gone", "kept"),
    [
        (FILE, ["--fsync"], ["--redis-url", "--tenants"]),
        (REDIS, ["--redis-url", "--redis-prefix"], ["--fsync", "--tenants"]),
        (
            AUTH,
            ["--tenants", "--require-session-tokens", "--trusted-proxy", "--new-tenants-per-hour"],
            ["--fsync", "--redis-url"],
        ),
    ],
)
def test_a_disabled_plugin_has_no_flags(plugin: str, gone: list[str], kept: list[str]) -> None:
    serve = subparser(build_parser(hooks(disable=plugin)), "serve")
    flags = {flag for action in serve._actions for flag in action.option_strings}
    assert not set(gone) & flags
    assert set(kept) <= flags
    full = subparser(build_parser(hooks()), "serve")
    assert set(gone) <= {flag for action in full._actions for flag in action.option_strings}


def test_a_disabled_auth_plugin_has_no_token_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser(hooks(disable=AUTH)).parse_args(["token", "new"])
    assert "invalid choice: 'token'" in capsys.readouterr().err
    args = build_parser(hooks()).parse_args(["token", "new"])
    assert args.plugin_command.name == "token"


def subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and name in action.choices:
            found: argparse.ArgumentParser = action.choices[name]
            return found
    raise AssertionError(f"no subcommand {name}")


# -- third-party options and commands ----------------------------------------------------


class GreeterPlugin:
    """A plugin with an option and a command, as a third party would write them."""

    __name__ = "greeter"
    LOUD = Option("greeter", "greet_loudly", "shout the greeting", default=False, kind="flag")

    @hookimpl
    def register_serve_options(self, options: OptionRegistry) -> None:
        options.add(self.LOUD)

    @hookimpl
    def register_commands(self, commands: CommandRegistry) -> None:
        def configure(parser: argparse.ArgumentParser) -> None:
            parser.add_argument("name", help="who to greet")

        def run(args: argparse.Namespace) -> int:
            if args.name == "nobody":
                raise CommandError("nobody to greet")
            print(f"hello {args.name}")
            return 3

        commands.add(Command("greet", "print a greeting", run, configure))


def test_a_plugin_adds_an_option_and_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    plugins = hooks(GreeterPlugin())
    assert settings(plugins, ("--greet-loudly",))["greeter"] == {"greet_loudly": True}
    assert settings(plugins, MYCO_GREET_LOUDLY="0")["greeter"] == {"greet_loudly": False}
    args = build_parser(plugins).parse_args(["greet", "bob"])
    assert args.plugin_command.run(args) == 3
    assert capsys.readouterr().out == "hello bob\n"


def test_main_runs_a_plugin_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plugins = hooks(GreeterPlugin())
    monkeypatch.setattr("myco.cli.load_plugins", lambda: plugins)
    assert main(["greet", "ann"]) == 3
    assert main(["greet", "nobody"]) == 1
    out = capsys.readouterr()
    assert out.out == "hello ann\n" and out.err == "myco: nobody to greet\n"


def test_conflicting_declarations_are_refused() -> None:
    options = OptionRegistry()
    options.add(Option("a", "fsync", "x"))
    with pytest.raises(ValueError, match="--fsync is declared by both the 'a' settings and"):
        options.add(Option("b", "fsync", "y"))
    options.add(Option("b", "other", "y", env="MYCO_X", flag="--y"))
    with pytest.raises(ValueError, match="MYCO_X is declared by both"):
        options.add(Option("c", "more", "y", env="MYCO_X"))
    commands = CommandRegistry()
    with pytest.raises(ValueError, match="'serve' is built into myco"):
        commands.add(Command("serve", "no", lambda args: 0))
    commands.add(Command("greet", "hi", lambda args: 0))
    with pytest.raises(ValueError, match="'greet' is registered twice"):
        commands.add(Command("greet", "hi", lambda args: 0))


class SquatterPlugin:
    """Declares a flag and a command that built-ins already own."""

    __name__ = "squatter"

    @hookimpl
    def register_serve_options(self, options: OptionRegistry) -> None:
        options.add(Option("squat", "fsync", "mine now"))


def test_a_flag_taken_by_another_plugin_names_both(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plugins = hooks(SquatterPlugin())
    with pytest.raises(ValueError, match="--fsync is declared by both") as info:
        plugins.register_serve_options()
    assert str(info.value) == (
        f"--fsync is declared by both the 'file' settings of {FILE} and the 'squat' "
        "settings of squatter"
    )
    monkeypatch.setattr("myco.cli.load_plugins", lambda: plugins)
    assert main(["serve", "--help"]) == 1
    assert capsys.readouterr().err == f"myco: {info.value}\n"


# -- which command lines load plugins -------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["view", "ALICE"], False),
        (["post", "ALICE", "start x"], False),
        (["status"], False),
        (["msg", "get", "X.md"], False),
        (["run", "ALICE"], False),
        (["--version"], False),
        (["serve", "--port", "0"], True),
        (["token", "new"], True),
        (["greet", "bob"], True),
        (["view", "--help"], True),
        (["--help"], True),
        ([], True),
    ],
)
def test_only_serve_help_and_plugin_commands_load_plugins(
    argv: list[str], expected: bool
) -> None:
    assert needs_plugins(argv) is expected


def test_client_commands_import_neither_pluggy_nor_aiohttp(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from myco.cli import main\n"
        "status = main(['view', 'ALICE'])\n"
        "print(status, sorted(m for m in ('pluggy', 'aiohttp') if m in sys.modules))\n"
    )
    env = {
        **os.environ,
        "MYCO_URL": "http://127.0.0.1:9",  # nothing listens on the discard port
        "MYCO_TOKEN": "x" * 40,
        "HOME": str(tmp_path),
    }
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.stdout.strip() == "1 []", out.stderr


def test_serve_reports_a_bad_variable_in_one_line(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "myco", "serve", "--port", "0", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "MYCO_FSYNC": "sometimes"},
        timeout=60,
    )
    assert out.returncode == 1
    assert out.stderr == (
        "myco: MYCO_FSYNC: expected one of always, everysec, no; got 'sometimes'\n"
    )


def test_a_disabled_plugins_flag_is_refused_by_serve(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "myco", "serve", "--fsync", "always", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "MYCO_DISABLE_PLUGINS": FILE},
        timeout=60,
    )
    assert out.returncode == 2
    assert "unrecognized arguments: --fsync always" in out.stderr


# -- the settings file (myco serve --config FILE) ----------------------------------------

SETTINGS = """
[file]
fsync = "no"

[auth]
tenants = "closed"
require_session_tokens = true
trusted_proxies = ["10.0.0.5", "192.168.0.0/16"]
new_tenants_per_hour = 4
"""


def test_the_settings_file_sits_between_defaults_and_variables(tmp_path: Path) -> None:
    path = tmp_path / "myco.toml"
    path.write_text(SETTINGS)
    plugins = hooks()
    file = SettingsFile.load(path)
    options = plugins.register_serve_options()
    values = options.resolve({}, serve_args(plugins), file)
    assert values["file"] == {"fsync": "no"}
    assert values["auth"] == {
        "tenants": "closed",
        "require_session_tokens": True,
        "trusted_proxies": ("10.0.0.5", "192.168.0.0/16"),
        "new_tenants_per_hour": 4,
    }
    assert values["redis"]["redis_url"] == "redis://127.0.0.1:6379/0"  # not in the file
    over = options.resolve(
        {"MYCO_FSYNC": "always"}, serve_args(plugins, "--tenants", "open"), file
    )
    assert over["file"]["fsync"] == "always" and over["auth"]["tenants"] == "open"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[file]\nfsinc = 'no'\n", "[file] has no setting 'fsinc' (known: fsync)"),
        (
            "[nope]\nx = 1\n",
            "no installed plugin has settings [nope] "
            "(known: auth, context, edits, file, redis, server)",
        ),
        ("[file]\nfsync = 'sometimes'\n", "[file] fsync: expected one of always, everysec, no"),
        ("[auth]\nnew_tenants_per_hour = 'x'\n", "new_tenants_per_hour: expected a whole number"),
        ("[auth]\ntenants = ['open']\n", "[auth] tenants: expected text or a number"),
        ("fsync = 'no'\n", "'fsync' must be a table ([fsync])"),
        ("[file\n", "not valid TOML"),
    ],
)
def test_a_bad_settings_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "myco.toml"
    path.write_text(text)
    plugins = hooks()
    with pytest.raises(OptionError) as info:
        plugins.register_serve_options().resolve({}, None, SettingsFile.load(path))
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)


def test_serve_reads_the_settings_file_named_by_myco_config(tmp_path: Path) -> None:
    path = tmp_path / "myco.toml"
    path.write_text("[file]\nfsync = 'rarely'\n")
    out = subprocess.run(
        [sys.executable, "-m", "myco", "serve", "--port", "0", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "MYCO_CONFIG": str(path)},
        timeout=60,
    )
    assert out.returncode == 1
    assert out.stderr == (
        f"myco: {path} [file] fsync: expected one of always, everysec, no; got 'rarely'\n"
    )
    missing = subprocess.run(
        [sys.executable, "-m", "myco", "serve", "--config", str(tmp_path / "none.toml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 1
    assert missing.stderr == (
        f"myco: cannot read settings file {tmp_path / 'none.toml'}: No such file or directory\n"
    )
