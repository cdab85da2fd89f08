"""myco.records.Record: NamedTuple's behaviour for the hook path's records."""

from __future__ import annotations

import pickle

import pytest

from myco.records import Record


class Point(Record):
    x: int
    y: int = 0
    label: str = ""


def test_construction_by_position_keyword_and_default() -> None:
    assert Point(1, 2, "a") == Point(x=1, y=2, label="a")
    assert Point(1) == Point(1, 0, "")
    assert Point(1)._fields == ("x", "y", "label")
    assert Point._field_defaults == {"y": 0, "label": ""}


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, "missing 'x'"),
        ((1, 2, "a", 4), {}, "takes 3 arguments"),
        ((1,), {"x": 2}, "got 'x' twice"),
        ((1,), {"z": 2}, "has no field 'z'"),
    ],
)
def test_bad_construction_says_what_is_wrong(
    args: tuple[object, ...], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)


def test_replace_asdict_iteration_repr_and_hash() -> None:
    p = Point(1, 2)
    assert p._replace(y=5) == Point(1, 5)
    assert p == Point(1, 2)  # unchanged
    assert p._asdict() == {"x": 1, "y": 2, "label": ""}
    x, y, label = p
    assert (x, y, label) == (1, 2, "")
    assert repr(p) == "Point(x=1, y=2, label='')"
    assert len({p, Point(1, 2), Point(2, 1)}) == 2
    assert pickle.loads(pickle.dumps(p)) == p


def test_records_are_immutable_and_typed_by_class() -> None:
    p = Point(1)
    with pytest.raises(AttributeError, match="immutable"):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del p.x  # type: ignore[misc]

    class Other(Record):
        x: int
        y: int = 0
        label: str = ""

    assert Other(1) != Point(1)


def test_subclasses_extend_fields_and_class_vars_are_not_fields() -> None:
    from typing import ClassVar

    class Labelled(Point):
        kind: ClassVar[str] = "labelled"
        weight: float = 1.0

    assert Labelled._fields == ("x", "y", "label", "weight")
    assert Labelled(3).weight == 1.0 and Labelled.kind == "labelled"


def test_a_field_without_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="non-default field 'b'"):

        class Bad(Record):
            a: int = 0
            b: int
