"""The shipped daemon fixture (:mod:`myco.testing.daemon`), as the tests have always used it."""

from __future__ import annotations

from myco.testing.daemon import DaemonProcess, call

__all__ = ["DaemonProcess", "call"]
