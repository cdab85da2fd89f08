"""The Claude Code adapter: hook glue (:mod:`.adapter`) and its plugin (:mod:`.plugin`).

This package imports nothing: ``myco hook claude-code EVENT`` imports :mod:`.adapter` on every
turn, and :mod:`.plugin` (which imports pluggy through the ``hookimpl`` marker) only when the
plugin manager is built.
"""
