"""Edit conflicts and file leases, built on public hooks like a third-party plugin.

Agent hooks report the files a session edits (internal verbs ``edit`` and ``clean``);
agents take and drop leases with ``claim <glob> ttl:<duration> [why]`` and
``release <glob|all>``. The state lives in ``state.extras["edits"]`` and is rebuilt
from the events on replay; liveness and expiry are computed when a view is rendered.
See docs/protocol.md ("Edits and leases") and docs/adapters.md ("Tool hooks").
"""

from __future__ import annotations
