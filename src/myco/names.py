"""Validation of the names that reach file paths or views: sessions and message files.

Both are checked with an allow-list so that no request can address a file outside its
tenant's directory, whatever the storage backend does with the name.
"""

from __future__ import annotations

import re

SESSION_MAX = 64
DIRECTOR = "DIRECTOR"
ALL = "ALL"

_SESSION_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}")
_MSG_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}")


class InvalidName(ValueError):
    """A session or message name that may not be used."""


def is_session_name(name: str) -> bool:
    """True when *name* is a valid session name (any case)."""
    return _SESSION_RE.fullmatch(name) is not None


def session_name(name: object) -> str:
    """Return the canonical (upper-case) session name or raise :class:`InvalidName`."""
    if not isinstance(name, str) or not name:
        raise InvalidName("session name is required")
    if len(name) > SESSION_MAX:
        raise InvalidName(f"invalid session name: longer than {SESSION_MAX} characters")
    if not _SESSION_RE.fullmatch(name):
        raise InvalidName(
            "invalid session name: use letters, digits, '_', '-' and '.' (not leading), "
            f"at most {SESSION_MAX} characters"
        )
    return name.upper()


def is_msg_name(name: str) -> bool:
    """True when *name* is a valid message file name (``FRONT-001.md``)."""
    return _MSG_RE.fullmatch(name) is not None and ".." not in name


def msg_name(name: object) -> str:
    """Return *name* if it is a valid message file name, else raise :class:`InvalidName`."""
    if not isinstance(name, str) or not is_msg_name(name):
        raise InvalidName("invalid filename")
    return name
