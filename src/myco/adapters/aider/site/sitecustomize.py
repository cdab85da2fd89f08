"""Loads myco's Aider shim into Aider's interpreter (``myco run`` puts this directory on
``PYTHONPATH``). Aider's environment has no myco, so the shim is loaded by file path; it
then runs the ``sitecustomize`` this one shadows. See :mod:`myco.adapters.aider.shim`.
"""

from __future__ import annotations


def _load() -> None:
    import importlib.util
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(os.path.dirname(here), "shim.py")
    spec = importlib.util.spec_from_file_location("_myco_aider_shim", path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.bootstrap(here)


try:
    _load()
except Exception:  # never break the interpreter's start-up
    pass
