"""``myco serve``: run the daemon until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

from myco.cli import CommandError


def serve(args: argparse.Namespace) -> int:
    from myco.config import Config
    from myco.daemon import ConfigError, Daemon
    from myco.logs import configure_logging
    from myco.storage.contract import StorageUnavailable

    config = Config.from_env(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        fsync=args.fsync,
        storage=args.storage,
        tenants=args.tenants,
        log_format=args.log_format,
        access_log=not args.quiet,
        redis_url=getattr(args, "redis_url", None) or os.environ.get("MYCO_REDIS_URL"),
        require_session_tokens=getattr(args, "require_session_tokens", False) or None,
        trusted_proxies=tuple(args.trusted_proxy) if args.trusted_proxy else None,
    )
    from myco.auth.address import parse_networks

    try:
        parse_networks(config.trusted_proxies)
    except ValueError as exc:
        raise CommandError(f"--trusted-proxy: {exc}") from None
    configure_logging(config.log_format)
    try:
        daemon = Daemon(config)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    if config.storage == "file":
        lock_data_dir(config.data_dir)
    try:
        asyncio.run(_run(daemon))
    except OSError as exc:
        where = f"{config.host}:{config.port}"
        raise CommandError(f"cannot listen on {where}: {exc.strerror}") from None
    except StorageUnavailable as exc:
        raise CommandError(f"storage unavailable at start-up: {exc}") from None
    return 0


def lock_data_dir(data_dir: Path) -> None:
    """One daemon per file data directory: two writers would interleave sequence numbers.

    The lock is held until the process exits (the descriptor is deliberately kept open).
    """
    import os

    try:
        import fcntl
    except ImportError:  # not POSIX: no advisory locks to take
        return

    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(data_dir / ".myco.lock", os.O_CREAT | os.O_RDWR, 0o600)
    except OSError as exc:
        raise CommandError(f"cannot use data directory {data_dir}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise CommandError(f"another myco daemon is already using {data_dir}") from None
    _LOCKS.append(fd)


_LOCKS: list[int] = []


async def _run(daemon: object) -> None:
    from myco.daemon import Daemon
    from myco.web.app import create_app
    from myco.web.limits import Limits
    from myco.web.server import GuardedSite, make_runner

    assert isinstance(daemon, Daemon)
    config = daemon.config
    limits = Limits.from_env()
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
