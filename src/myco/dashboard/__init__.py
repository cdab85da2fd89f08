"""The live swarm dashboard: a browser page served by the daemon at ``GET /``.

The page is static (``static/``: hand-written HTML, CSS and JavaScript, no build step, no
CDN) and reads everything through authenticated JSON endpoints under ``/-/dashboard/``
plus a Server-Sent Events stream. It is wired in by the built-in plugin
:mod:`myco.default_plugins.dashboard`, so ``MYCO_DISABLE_PLUGINS`` can turn it off and
another plugin can replace it.
"""

from __future__ import annotations

#: key of the dashboard's bookkeeping in ``SwarmState.extras`` and ``Daemon.extras``
EXTRAS_KEY = "myco.dashboard"
