"""JSON for the hook path, from the C accelerator the :mod:`json` package itself uses.

Importing :mod:`json` imports :mod:`re` (with :mod:`enum`, :mod:`functools` and
:mod:`collections`): about 7 ms of a hook's 10 ms budget over a bare interpreter, spent
compiling regular expressions the C scanner and encoder never use. This module builds
``_json``'s scanner and encoder directly, with :mod:`json`'s defaults (strict strings,
``NaN``/``Infinity`` accepted, compact separators), and falls back to :mod:`json` on an
interpreter without them. Output is byte-for-byte ``json.dumps(obj, separators=(",", ":"))``
(``tests/agent_hooks/test_jsonlite.py`` checks it against :mod:`json`).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
_WHITESPACE = " \t\n\r"


class _ScannerContext:
    """The attributes ``_json.make_scanner`` reads (those of :class:`json.JSONDecoder`)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__


def _unserializable(obj: object) -> Any:
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


_scan: Callable[[str, int], tuple[Any, int]] | None
_encoders: dict[bool, Callable[[Any, int], Any]] = {}
try:
    import _json

    _context: Any = _ScannerContext()
    _scan = _json.make_scanner(_context)
    for _ascii, _strings in (
        (True, _json.encode_basestring_ascii),
        (False, _json.encode_basestring),
    ):
        _encoders[_ascii] = _json.make_encoder(
            None, _unserializable, _strings, None, ":", ",", False, False, True
        )
except (ImportError, AttributeError, TypeError):  # pragma: no cover - not CPython
    _scan = None
    _encoders.clear()


def loads(data: str | bytes) -> Any:
    """``json.loads(data)`` for UTF-8 *data*; ``ValueError`` when it is not one JSON value."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    if _scan is None:  # pragma: no cover - not CPython
        import json

        return json.loads(text)
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration as exc:
        raise ValueError(f"expecting a JSON value at character {exc.value}") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if text[end:].strip(_WHITESPACE):
        raise ValueError(f"extra data after the JSON value at character {end}")
    return value


def dumps(obj: Any, *, ensure_ascii: bool = True) -> str:
    """``json.dumps(obj, separators=(",", ":"), ensure_ascii=...)``."""
    encode = _encoders.get(ensure_ascii)
    if encode is None:  # pragma: no cover - not CPython
        import json

        return json.dumps(obj, separators=(",", ":"), ensure_ascii=ensure_ascii)
    if isinstance(obj, str):  # what json.dumps does: the C encoder wants a container
        return str(
            _json.encode_basestring_ascii(obj) if ensure_ascii else _json.encode_basestring(obj)
        )
    return "".join(encode(obj, 0))
