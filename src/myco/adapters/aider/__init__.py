"""The Aider adapter: hook glue (:mod:`.adapter`), the in-process shim Aider loads (:mod:`.shim`,
through ``site/sitecustomize.py``) and its plugin registration (:mod:`.plugin`).

This package imports nothing: the hook path imports :mod:`.adapter` only, and :mod:`.plugin`
(which imports pluggy) is loaded only when the plugin manager is built.
"""
