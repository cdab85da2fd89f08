"""The agents' guide, shipped inside the package.

``swarm/PROTOCOL.md`` and ``swarm/DIRECTOR.md`` are the source of truth; this package holds
copies so that an installed wheel has them (``tests/agent_hooks/test_agent_guide.py`` checks that
the copies are identical).
"""

from __future__ import annotations

from importlib import resources

PROTOCOL = "PROTOCOL.md"
DIRECTOR = "DIRECTOR.md"


def read(name: str) -> str:
    """The text of guide file *name* (``PROTOCOL.md`` or ``DIRECTOR.md``)."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
