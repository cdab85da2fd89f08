"""The Codex adapter: hook glue (:mod:`.adapter`), hook trust pins (:mod:`.trust`) and its plugin
registration (:mod:`.plugin`).

This package imports nothing: ``myco hook codex EVENT`` imports :mod:`.adapter` on every turn,
and :mod:`.plugin` (which imports pluggy) only when the plugin manager is built.
"""
