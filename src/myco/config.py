"""Daemon configuration: one frozen value built from the command line and environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from attrs import frozen

FsyncPolicy = Literal["always", "everysec", "no"]
TenantMode = Literal["open", "closed"]

DEFAULT_PORT = 8000
DEFAULT_VIEW_BUDGET = 9000


def default_data_dir() -> Path:
    """``$MYCO_DATA_DIR``, else the per-user data directory (``~/.local/share/myco``)."""
    env = os.environ.get("MYCO_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("myco", appauthor=False))


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, ""))
    except ValueError:
        return default


@frozen
class Config:
    """Everything the daemon needs to know at start-up.

    :param fsync: when appended events reach the disk: after every append (``always``),
        once a second (``everysec``, like Redis's appendfsync) or when the OS decides (``no``).
    :param tenants: ``open`` creates a tenant for any strong new token; ``closed`` accepts
        only tokens registered with ``myco token add``.
    :param view_budget: the most characters a view may have.
    """

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path = Path(".")
    fsync: FsyncPolicy = "everysec"
    storage: str = "file"
    tenants: TenantMode = "open"
    view_budget: int = DEFAULT_VIEW_BUDGET
    redis_url: str = "redis://127.0.0.1:6379/0"
    log_format: Literal["auto", "json", "console"] = "auto"
    access_log: bool = True
    #: tenants one client address may create per hour (open mode)
    new_tenants_per_hour: int = 10
    #: acting as a session needs that session's token (``myco token session``), and only
    #: DIRECTOR may post ``direct``; the tenant token keeps its tenant-wide reads
    require_session_tokens: bool = False
    #: reverse proxies (IPs or networks) whose ``X-Forwarded-For`` names the real client
    trusted_proxies: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, **overrides: object) -> Config:
        """Defaults, then ``MYCO_*`` environment variables, then *overrides*."""
        values: dict[str, object] = {
            "data_dir": default_data_dir(),
            "view_budget": _env_int("MYCO_VIEW_BUDGET", DEFAULT_VIEW_BUDGET),
            "new_tenants_per_hour": _env_int("MYCO_NEW_TENANTS_PER_HOUR", 10),
            "trusted_proxies": tuple(
                p.strip()
                for p in os.environ.get("MYCO_TRUSTED_PROXIES", "").split(",")
                if p.strip()
            ),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["data_dir"] = Path(str(values["data_dir"])).expanduser()
        return cls(**values)  # type: ignore[arg-type]

    @property
    def tenants_dir(self) -> Path:
        return self.data_dir / "tenants"
