"""structlog configuration: JSON lines when not on a terminal, readable text otherwise.

No secret reaches a log line: every rendered line (myco's own and those of aiohttp and
asyncio, which go through the same formatter) passes :func:`redact` last, which hides
``Bearer`` credentials, ``myco_`` tokens and every token the daemon has been shown in an
``Authorization`` header (:func:`remember_secret`); tracebacks never carry local variables.
"""

from __future__ import annotations

import logging
import re
import sys
from collections import OrderedDict
from typing import Any, Literal

import structlog

REDACTED = "[redacted]"
#: tokens remembered for redaction (the newest; a token in use is seen again and again)
SECRETS_KEPT = 10_000
#: shorter values are not remembered (a client must not make common words vanish from logs)
_MIN_SECRET = 20

_BEARER_RE = re.compile(r"(?i)(bearer)(\s+|%20|\+)([^\s\"',;}\]\\]+)")
_MYCO_TOKEN_RE = re.compile(r"myco_[A-Za-z0-9_\-]{16,}")
#: runs that could be a remembered token (what a header value could hold)
_CANDIDATE_RE = re.compile(r"[!-~]{" + str(_MIN_SECRET) + ",}")
_secrets: OrderedDict[str, None] = OrderedDict()
_lengths_cache: list[int] | None = None


def remember_secret(token: str) -> None:
    """Make sure *token* (a credential the daemon was shown) never appears in a log line."""
    token = token.strip()
    if len(token) < _MIN_SECRET:
        return
    global _lengths_cache
    if token not in _secrets:
        _lengths_cache = None
    _secrets[token] = None
    _secrets.move_to_end(token)
    while len(_secrets) > SECRETS_KEPT:
        _secrets.popitem(last=False)


def _hide_known(text: str) -> str:
    """Replace every remembered secret, wherever it starts (escaped, quoted, glued)."""
    if not _secrets:
        return text
    found: set[str] = set()
    lengths = _lengths()
    for m in _CANDIDATE_RE.finditer(text):
        run = m.group()
        if run in _secrets:
            found.add(run)
            continue
        for i in range(len(run) - _MIN_SECRET + 1):
            for n in lengths:
                piece = run[i : i + n]
                if len(piece) == n and piece in _secrets:
                    found.add(piece)
    for secret in sorted(found, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def _lengths() -> list[int]:
    """The distinct lengths of the remembered secrets (real tokens share a few)."""
    global _lengths_cache
    if _lengths_cache is None:
        _lengths_cache = sorted({len(s) for s in _secrets})
    return _lengths_cache


def redact(text: str) -> str:
    """*text* with every credential it could carry replaced by ``[redacted]``."""
    text = _BEARER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _MYCO_TOKEN_RE.sub(REDACTED, text)
    return _hide_known(text)


class _Redacting:
    """Wraps the final renderer: the rendered line is redacted as a whole."""

    def __init__(self, renderer: Any) -> None:
        self.renderer = renderer

    def __call__(self, logger: Any, name: str, event_dict: Any) -> str:
        rendered = self.renderer(logger, name, event_dict)
        return redact(rendered if isinstance(rendered, str) else str(rendered))


class _QuietBadRequests(logging.Filter):
    """aiohttp logs every unparsable request with a traceback: one line is enough.

    A client's malformed request is the client's problem; a hostile one must not be able
    to flood the log with tracebacks.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and _is_client_error(exc):
            reason = (getattr(exc, "message", "") or str(exc)).strip().splitlines()
            record.msg = "bad request: %s"
            record.args = (reason[0][:200] if reason else type(exc).__name__,)
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def _is_client_error(exc: BaseException) -> bool:
    from aiohttp.http_exceptions import HttpProcessingError

    return isinstance(exc, (HttpProcessingError, ConnectionResetError))


def configure_logging(
    fmt: Literal["auto", "json", "console"] = "auto", level: int = logging.INFO
) -> None:
    """Configure structlog once for the daemon process (logs go to stderr).

    The standard library's loggers (aiohttp's, asyncio's) are routed through the same
    renderer and redaction, so their lines look like ours and leak nothing either.
    """
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() else "json"
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.typing.Processor
    if fmt == "console":
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(),
            exception_formatter=structlog.dev.plain_traceback,
        )
    else:
        # locals of a traceback can hold a token: never render them
        shared.append(
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            )
        )
        renderer = structlog.processors.JSONRenderer()
    final = _Redacting(renderer)
    structlog.configure(
        processors=[*shared, final],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, final],
        )
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    aiohttp_server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _QuietBadRequests) for f in aiohttp_server.filters):
        aiohttp_server.addFilter(_QuietBadRequests())
