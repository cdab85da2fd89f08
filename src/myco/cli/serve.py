"""``myco serve``: run the daemon until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from myco.cli import CommandError


def serve(args: argparse.Namespace) -> int:
    from myco.config import Config
    from myco.daemon import ConfigError, Daemon
    from myco.logs import configure_logging

    config = Config.from_env(
        host=args.host, port=args.port, data_dir=args.data_dir, fsync=args.fsync,
        storage=args.storage, tenants=args.tenants, log_format=args.log_format,
        access_log=not args.quiet,
    )
    configure_logging(config.log_format)
    try:
        daemon = Daemon(config)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    try:
        asyncio.run(_run(daemon))
    except OSError as exc:
        raise CommandError(f"cannot listen on {config.host}:{config.port}: {exc.strerror}") from None
    return 0


async def _run(daemon: object) -> None:
    from aiohttp import web

    from myco.daemon import Daemon
    from myco.web.app import create_app

    assert isinstance(daemon, Daemon)
    config = daemon.config
    app = create_app(daemon)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        site = web.TCPSite(runner, config.host, config.port)
        await site.start()
        port = config.port
        server = site._server
        if server is not None and getattr(server, "sockets", None):
            port = server.sockets[0].getsockname()[1]
        host = f"[{config.host}]" if ":" in config.host else config.host
        print(f"myco listening on http://{host}:{port} (data: {config.data_dir})", flush=True)
        if config.host not in ("127.0.0.1", "localhost", "::1"):
            print("myco: warning: listening beyond loopback; use a reverse proxy with TLS",
                  file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()
