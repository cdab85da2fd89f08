"""The agent-hook runtime: what ``myco hook <agent> <event>`` runs on every turn.

Agent CLIs start a fresh process per hook call, so everything here imports only the
standard library (no pluggy, attrs or aiohttp) and every network call has a deadline.
Adapters build on :mod:`myco.agent_hooks.runtime`; the dispatcher is
:mod:`myco.agent_hooks.main`.
"""
