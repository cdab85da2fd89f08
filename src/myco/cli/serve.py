"""``myco serve``: run the daemon until SIGINT or SIGTERM.

Core options are the parser's own; every other option was declared by a plugin
(``register_serve_options``) and lands in that plugin's settings namespace, from its
default, the settings file (``--config``), its variable and its flag, last wins.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from myco.cli import CommandError

if TYPE_CHECKING:
    from myco.plugins import Hooks


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run the daemon on uvloop when it is installed (libuv's loop: fewer microseconds per
    connection and request), else on asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


def serve(args: argparse.Namespace, plugins: Hooks | None = None) -> int:
    from myco.cli import load_plugins
    from myco.config import Config
    from myco.daemon import ConfigError, Daemon
    from myco.logs import configure_logging
    from myco.options import OptionError, SettingsFile
    from myco.storage.contract import StorageUnavailable

    hooks = plugins if plugins is not None else load_plugins()
    config_file = args.config or os.environ.get("MYCO_CONFIG") or None
    try:
        file = SettingsFile.load(config_file) if config_file else None
        settings = hooks.register_serve_options().resolve(os.environ, args, file)
    except OptionError as exc:
        raise CommandError(str(exc)) from None
    config = Config.from_env(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        storage=args.storage,
        log_format=args.log_format,
        access_log=not args.quiet,
        plugins=settings,
    )
    configure_logging(config.log_format)
    try:
        daemon = Daemon(config, hooks.pm)
        run_loop(_run(daemon))
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        where = f"{config.host}:{config.port}"
        raise CommandError(f"cannot listen on {where}: {exc.strerror}") from None
    except StorageUnavailable as exc:
        raise CommandError(f"storage unavailable at start-up: {exc}") from None
    return 0


async def _run(daemon: object) -> None:
    from myco.daemon import Daemon
    from myco.web.app import create_app
    from myco.web.limits import Limits
    from myco.web.server import GuardedSite, make_runner

    assert isinstance(daemon, Daemon)
    config = daemon.config
    limits = Limits.from_config(config)
    app = create_app(daemon, limits)
    runner = make_runner(app, limits)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        site = GuardedSite(runner, config.host, config.port, limits)
        await site.start()
        port = site.bound_port
        host = f"[{config.host}]" if ":" in config.host else config.host
        print(f"myco listening on http://{host}:{port} (data: {config.data_dir})", flush=True)
        if config.host not in ("127.0.0.1", "localhost", "::1"):
            print(
                "myco: warning: listening beyond loopback; use a reverse proxy with TLS",
                file=sys.stderr,
                flush=True,
            )
        await stop.wait()
    finally:
        await runner.cleanup()
