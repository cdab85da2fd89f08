"""Small immutable records for code that runs in a fresh process on every agent turn.

``typing.NamedTuple`` would do, but importing :mod:`typing` (with :mod:`re`,
:mod:`collections` and :mod:`functools`) and building each class (``namedtuple`` compiles
code for it) cost a hook about 6 ms before it does anything. A :class:`Record` subclass
declares its fields as annotations, with defaults as class attributes, exactly as a
``NamedTuple`` does, and keeps the API callers use: positional or keyword construction,
attribute access, ``_replace``, ``_asdict``, ``_fields``, iteration (tuple-like unpacking),
equality, hashing and a readable ``repr``. Type checkers see a frozen dataclass (PEP 681).

Standard library only, and only modules the interpreter has loaded at start-up.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, ClassVar

    from typing_extensions import Self, dataclass_transform
else:

    def dataclass_transform(**_: object) -> object:
        return lambda cls: cls


_MISSING = object()


@dataclass_transform(frozen_default=True)
class Record:
    """Base class: subclasses list their fields as annotations (``name: type = default``)."""

    _fields: ClassVar[tuple[str, ...]] = ()
    _field_defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 - inspect is slow to import
        fields = [*cls._fields]
        defaults = dict(cls._field_defaults)
        for name, annotation in own.items():
            if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
                continue
            if name not in fields:
                fields.append(name)
            value = cls.__dict__.get(name, _MISSING)
            if value is not _MISSING:
                defaults[name] = value
            elif any(f in defaults for f in fields[:-1]) and name not in defaults:
                raise TypeError(f"{cls.__name__}: non-default field {name!r} after a default")
        cls._fields = tuple(fields)
        cls._field_defaults = defaults

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__} takes {len(fields)} arguments")
        values = dict(zip(fields, args, strict=False))  # the rest by keyword or default
        for name, value in kwargs.items():
            if name not in fields:
                raise TypeError(f"{type(self).__name__} has no field {name!r}")
            if name in values:
                raise TypeError(f"{type(self).__name__} got {name!r} twice")
            values[name] = value
        if len(values) < len(fields):
            defaults = self._field_defaults
            for name in fields:
                if name not in values:
                    if name not in defaults:
                        raise TypeError(f"{type(self).__name__} is missing {name!r}")
                    values[name] = defaults[name]
        self.__dict__.update(values)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use _replace()")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _values(self) -> tuple[Any, ...]:
        d = self.__dict__
        return tuple(d[name] for name in self._fields)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values())

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={v!r}" for n, v in zip(self._fields, self._values(), strict=True))
        return f"{type(self).__name__}({inner})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self._values())

    def _replace(self, **changes: Any) -> Self:
        """A copy with *changes* applied (``NamedTuple._replace``)."""
        return type(self)(**{**self._asdict(), **changes})

    def _asdict(self) -> dict[str, Any]:
        """The fields as a new dict, in declaration order."""
        d = self.__dict__
        return {name: d[name] for name in self._fields}
