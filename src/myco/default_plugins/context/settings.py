"""The plugin's settings: `myco serve` options, read once at start-up.

View sections only receive the state, so the values live in one module-level object that
``startup`` fills from the daemon's configuration (the defaults apply in a
:class:`myco.testing.Swarm`).
"""

from __future__ import annotations

from attrs import define

from myco.options import Option

NAMESPACE = "context"
MINUTE_MS = 60_000


@define
class Settings:
    #: open items addressed to a session are listed again every K turns (0: never)
    resurface_turns: int = 5
    #: a working session no hook has heard from for this long is stale
    stale_minutes: int = 15
    #: ended and stale sessions leave worker views after this long
    gone_minutes: int = 30
    #: the DIRECTOR is told about items not seen by their target after this long
    unseen_minutes: int = 10
    #: a session waiting for its human longer than this is a stall
    awaiting_minutes: int = 10
    #: a directive open longer than this is a stall
    directive_minutes: int = 60
    #: wake idle sessions (``myco worker``) for directives and urgent questions
    wake: bool = True


SETTINGS = Settings()

OPTIONS = (
    Option(
        NAMESPACE,
        "wake",
        "queue a wake prompt for idle sessions on a direct or an urgent ask (yes|no)",
        default=True,
        type=lambda text: text.strip().lower() not in ("0", "false", "no", "off"),
        flag="--context-wake",
        env="MYCO_CONTEXT_WAKE",
        metavar="yes|no",
    ),
    Option(
        NAMESPACE,
        "resurface_turns",
        "list open items again every N turns in deltas (0: never)",
        default=5,
        type=int,
        flag="--context-resurface-turns",
        env="MYCO_CONTEXT_RESURFACE_TURNS",
    ),
    Option(
        NAMESPACE,
        "stale_minutes",
        "minutes without a hook before a working session is stale",
        default=15,
        type=int,
        flag="--context-stale-minutes",
        env="MYCO_CONTEXT_STALE_MINUTES",
    ),
    Option(
        NAMESPACE,
        "gone_minutes",
        "minutes before ended or stale sessions leave worker views",
        default=30,
        type=int,
        flag="--context-gone-minutes",
        env="MYCO_CONTEXT_GONE_MINUTES",
    ),
    Option(
        NAMESPACE,
        "unseen_minutes",
        "minutes before the DIRECTOR hears of an unseen item",
        default=10,
        type=int,
        flag="--context-unseen-minutes",
        env="MYCO_CONTEXT_UNSEEN_MINUTES",
    ),
    Option(
        NAMESPACE,
        "awaiting_minutes",
        "minutes awaiting a human before it is a stall",
        default=10,
        type=int,
        flag="--context-awaiting-minutes",
        env="MYCO_CONTEXT_AWAITING_MINUTES",
    ),
    Option(
        NAMESPACE,
        "directive_minutes",
        "minutes a directive may stay open before a stall",
        default=60,
        type=int,
        flag="--context-directive-minutes",
        env="MYCO_CONTEXT_DIRECTIVE_MINUTES",
    ),
)
