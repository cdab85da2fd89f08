"""Hook configuration, read from the environment the agent CLI passes through.

``myco run`` exports these; a user who wires the hooks by hand can set them too.
"""

from __future__ import annotations

import os

from myco.agent_hooks.deadline import DEFAULT_BUDGET
from myco.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path
    from typing import Any

DEFAULT_URL = "http://127.0.0.1:8000"

#: verbs (and aliases) of the built-in plugins; ``MYCO_VERBS``, else the plugin cache's
#: verbs (``myco hook``), replace it. ``tests/agent_hooks`` checks it against the registry.
CORE_VERBS = frozenset(
    {
        "start",
        "done",
        "need",
        "block",
        "up",
        "down",
        "ask",
        "reply",
        "say",
        "direct",
        "private",
        "log",
        "note",
        "ack",
        "claim",
        "release",
        "edit",
        "clean",
        "seen",
        "live",
    }
)

_NAME_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_NAME_CHARS = _NAME_FIRST | {"."}
_TRUE = ("1", "true", "yes", "on")


class HookEnv(Record):
    """Everything a hook needs to know besides its stdin payload."""

    url: str
    token: str
    session: str
    offline: bool
    require_block: bool
    #: the hook state directory (outboxes, markers), as a string: :mod:`pathlib` costs
    #: every hook about 4 ms to import, so the hook path joins with :func:`os.path.join`
    state_root: str
    budget: float
    debug: bool
    verbs: frozenset[str]
    #: ``MYCO_FULL_VIEW``: inject the full view on every prompt (no deltas, no receipts)
    full_views: bool = False

    @property
    def state_dir(self) -> Path:
        """:attr:`state_root` as a :class:`~pathlib.Path` (imports :mod:`pathlib`)."""
        from pathlib import Path

        return Path(self.state_root)

    @property
    def tenant_key(self) -> str:
        """The tenant's id prefix (``sha256(token)``, as the daemon computes it).

        Outboxes are kept per tenant, not per URL, so that queued events still reach the
        swarm when the daemon comes back on another address.
        """
        if not self.token:
            return "anonymous"
        return sha256_hex(self.token.encode("utf-8", "surrogatepass"))[:16]


_sha256: Callable[[bytes], Any] | None = None


def sha256_hex(data: bytes) -> str:
    """``hashlib.sha256(data).hexdigest()``, without loading OpenSSL on the hook path.

    Importing :mod:`hashlib` loads the OpenSSL bindings, about 2 ms of every hook's start;
    CPython's built-in SHA-256 module (the one hashlib falls back to) gives the same digest.
    """
    global _sha256
    if _sha256 is None:
        for name in ("_sha2", "_sha256"):  # Python 3.12+, then 3.10 and 3.11
            try:
                _sha256 = __import__(name).sha256
                break
            except (ImportError, AttributeError):
                continue
        else:
            import hashlib

            _sha256 = hashlib.sha256
    return str(_sha256(data).hexdigest())


def flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in _TRUE


def state_root(env: Mapping[str, str]) -> str:
    """``$MYCO_STATE_DIR``, else ``$XDG_STATE_HOME/myco``, else ``~/.local/state/myco``."""
    explicit = env.get("MYCO_STATE_DIR")
    if explicit:
        return explicit
    xdg = env.get("XDG_STATE_HOME")
    if xdg:
        return os.path.join(xdg, "myco")
    home = env.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, ".local", "state", "myco")


def state_dir(env: Mapping[str, str]) -> Path:
    """:func:`state_root` as a :class:`~pathlib.Path` (imports :mod:`pathlib`)."""
    from pathlib import Path

    return Path(state_root(env))


def session_from(env: Mapping[str, str], cwd: str) -> str:
    """``MYCO_SESSION``, else the project directory's name, as a valid upper-case name."""
    raw = env.get("MYCO_SESSION", "").strip()
    if not raw:
        raw = os.path.basename(os.path.normpath(cwd or os.getcwd()))
        raw = "".join(c if c in _NAME_CHARS else "-" for c in raw).lstrip(".")[:64]
    valid = 0 < len(raw) <= 64 and raw[0] in _NAME_FIRST and _NAME_CHARS.issuperset(raw)
    return raw.upper() if valid else "DEFAULT"


def daemon_url(raw: str | None) -> str:
    """The daemon's base URL from ``MYCO_URL`` / ``--url``; ``host:port`` means ``http://``.

    Users write ``127.0.0.1:8000`` as often as the full URL; both must work.
    """
    url = (raw or "").strip() or DEFAULT_URL
    if "://" not in url:
        url = "http://" + url
    return url.rstrip("/")


def hook_budget(env: Mapping[str, str]) -> float:
    """Seconds a hook may take (``MYCO_HOOK_BUDGET``, default 0.7, within 0.05-10)."""
    try:
        value = float(env.get("MYCO_HOOK_BUDGET", ""))
    except ValueError:
        return DEFAULT_BUDGET
    return min(max(value, 0.05), 10.0)


def read_env(env: Mapping[str, str] | None = None, cwd: str = "") -> HookEnv:
    """The hook configuration from *env* (default ``os.environ``)."""
    env = os.environ if env is None else env
    verbs = frozenset(v for v in env.get("MYCO_VERBS", "").lower().split(",") if v)
    return HookEnv(
        url=daemon_url(env.get("MYCO_URL")),
        token=env.get("MYCO_TOKEN", ""),
        session=session_from(env, cwd),
        offline=flag(env, "MYCO_OFFLINE"),
        require_block=flag(env, "MYCO_REQUIRE_BLOCK"),
        state_root=state_root(env),
        budget=hook_budget(env),
        debug=bool(env.get("MYCO_HOOK_DEBUG")),
        verbs=verbs or CORE_VERBS,
        full_views=flag(env, "MYCO_FULL_VIEW"),
    )
