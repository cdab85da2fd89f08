"""``myco demo``: a throwaway daemon with a scripted swarm playing on it.

The point is to show what myco does without setting up agents: FRONT, BACK and AUTH build
a login feature under a DIRECTOR, at a pace a person can follow in the dashboard. The
script goes through the HTTP API like real sessions would (``POST /events``, inline
messages, ``GET /msg/...?session=`` to read and acknowledge), so what the page shows is
what a real swarm would produce. ``--speed`` divides every pause (tests use a fast pace).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from attrs import field, frozen

DEMO_HOST = "127.0.0.1"

FRONT_001 = """\
## Token format for the login page

Which format will `POST /auth/login` return?

- a **JWT** in the response body, or
- an opaque session cookie?

I need it before wiring the form's error states.
"""

BACK_001 = """\
## Answer: JWT (RS256)

`POST /auth/login` returns

```json
{"access": "<jwt>", "refresh": "<opaque>", "expires_in": 900}
```

| field | meaning |
|---|---|
| access | JWT, valid 15 min |
| refresh | opaque, rotated on every use |

Keys: http://127.0.0.1:9100/.well-known/jwks.json
"""


@frozen
class Step:
    """One beat of the script: after *pause_s* (at speed 1), *session* acts."""

    session: str
    lines: tuple[str, ...] = ()
    pause_s: float = 2.0
    msgs: Mapping[str, str] = field(factory=dict)
    #: a message the session reads (and so acknowledges) before posting
    read: str = ""


SCRIPT: tuple[Step, ...] = (
    Step(
        "DIRECTOR",
        ("say kickoff: login feature - FRONT the page, BACK the auth API, AUTH the token service",),
        pause_s=1.0,
    ),
    Step("FRONT", ("start login-page",), pause_s=1.5),
    Step("BACK", ("start auth-api",), pause_s=1.0),
    Step("AUTH", ("start token-service",), pause_s=1.0),
    Step("FRONT", ("need BACK.auth-api",)),
    Step("BACK", ("need AUTH.token-service",), pause_s=1.5),
    Step(
        "FRONT", ("ask BACK token-format spec:msg/FRONT-001.md",), msgs={"FRONT-001.md": FRONT_001}
    ),
    Step("FRONT", ("block BACK waiting for the token format",), pause_s=1.5),
    Step("DIRECTOR", ("direct BACK refresh-tokens: add refresh tokens before logout ships",)),
    Step(
        "AUTH",
        (
            "up token-service addr:http://127.0.0.1:9100",
            "done token-service ref:auth@4f2c1e9 result:tests-green",
        ),
        pause_s=2.5,
    ),
    Step(
        "BACK",
        ("reply FRONT jwt-rs256 re:msg/FRONT-001.md spec:msg/BACK-001.md",),
        msgs={"BACK-001.md": BACK_001},
    ),
    Step("FRONT", ("start login-page",), read="BACK-001.md"),
    Step("BACK", ("done auth-api ref:back@a91b3c0 result:ok re:refresh-tokens",), pause_s=2.5),
    Step("FRONT", ("done login-page ref:front@77d0e12 result:ok",), pause_s=2.5),
    Step("DIRECTOR", ("say login ships today - thanks all",)),
)


async def _pause(seconds: float, stop: asyncio.Event | None) -> None:
    if stop is None:
        await asyncio.sleep(seconds)
        return
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        return


async def play(
    base_url: str,
    token: str,
    *,
    speed: float = 1.0,
    say: Callable[[str], None] = print,
    stop: asyncio.Event | None = None,
    script: tuple[Step, ...] = SCRIPT,
) -> None:
    """Play *script* against the daemon at *base_url* as tenant *token*."""
    import aiohttp

    run = secrets.token_hex(4)  # batch ids: a replay on a reused data dir is not a duplicate
    auth = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(base_url.rstrip("/"), headers=auth) as http:
        for i, step in enumerate(script):
            await _pause(step.pause_s / speed, stop)
            if stop is not None and stop.is_set():
                return
            if step.read:
                async with http.get(f"/msg/{step.read}", params={"session": step.session}) as r:
                    r.raise_for_status()
                say(f"  {step.session:<9} reads msg/{step.read}")
            if not step.lines:
                continue
            body: dict[str, object] = {
                "session": step.session,
                "events": list(step.lines),
                "id": f"demo-{run}-{i}",
            }
            if step.msgs:
                body["msgs"] = dict(step.msgs)
            async with http.post("/events", json=body) as r:
                if r.status != 200:
                    raise RuntimeError(f"the daemon refused step {i}: {await r.text()}")
            for line in step.lines:
                say(f"  {step.session:<9} {line}")


async def _serve_and_play(
    daemon: object, token: str, port: int, speed: float, once: bool, out: TextIO
) -> int:
    from aiohttp import web

    from myco.daemon import Daemon
    from myco.web.app import create_app

    assert isinstance(daemon, Daemon)

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    runner = web.AppRunner(create_app(daemon), access_log=None, handle_signals=False)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    player: asyncio.Task[None] | None = None
    try:
        site = web.TCPSite(runner, DEMO_HOST, port)
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        if sockets:
            port = sockets[0].getsockname()[1]
        url = f"http://{DEMO_HOST}:{port}/"
        say("myco demo — a scripted swarm (FRONT, BACK, AUTH and the DIRECTOR)")
        say(f"  dashboard: {url}")
        say(f"  token:     {token}")
        say("  (paste the token into the page; it never goes in the address)")
        say(f"  data:      {daemon.config.data_dir}")
        say("  Ctrl-C stops the demo.")
        say("")
        player = asyncio.create_task(play(url, token, speed=speed, say=say, stop=stop))
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait({player, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if player.done() and not stop.is_set():
            if player.exception() is not None:
                say(f"demo: the script failed: {player.exception()}")
                return 1
            say(
                "demo: script finished" + ("" if once else " — the dashboard stays up until Ctrl-C")
            )
            if not once:
                await stop.wait()
        say("demo: stopping")
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if player is not None and not player.done():
            player.cancel()
            await asyncio.gather(player, return_exceptions=True)
        await runner.cleanup()


def run(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """The ``myco demo`` command (see :func:`myco.cli.build_parser` for its options)."""
    from myco.auth.tokens import new_token, strength_problem
    from myco.cli import CommandError
    from myco.config import Config
    from myco.daemon import ConfigError, Daemon
    from myco.logs import configure_logging

    if not args.speed > 0:
        raise CommandError("--speed must be a positive number")
    token = args.token or new_token()
    problem = strength_problem(token)
    if problem:
        raise CommandError(f"--token rejected: {problem}")
    temp = None if args.data_dir else Path(tempfile.mkdtemp(prefix="myco-demo-"))
    data_dir = Path(args.data_dir) if args.data_dir else temp
    assert data_dir is not None
    try:
        config = Config.from_env(
            host=DEMO_HOST,
            port=args.port,
            data_dir=data_dir,
            storage="file",
            access_log=False,
        )
        configure_logging(config.log_format)
        daemon = Daemon(config)
        try:
            return asyncio.run(
                _serve_and_play(daemon, token, args.port, args.speed, args.once, out)
            )
        except ConfigError as exc:  # e.g. another daemon holds --data-dir
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {DEMO_HOST}:{args.port}: {exc.strerror}"
            ) from None
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
