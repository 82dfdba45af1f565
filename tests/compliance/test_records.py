"""Record and FrozenRecord: the dataclass-free value classes of the start-up path."""

from __future__ import annotations

import pytest

from compliance.records import FrozenRecord, Record


class Point(FrozenRecord):
    __slots__ = ("x", "y")

    def __init__(self, x: int, y: int = 0) -> None:
        self.x = x
        self.y = y


class Box(Record):
    __slots__ = ("items",)

    def __init__(self, items: list[int] | None = None) -> None:
        self.items = [] if items is None else items


def test_equality_is_field_wise_and_class_sensitive() -> None:
    assert Point(1, 2) == Point(1, 2)
    assert Point(1, 2) != Point(2, 1)
    assert Point(1, 2) != (1, 2)
    assert Box([1]) == Box([1])


def test_frozen_records_hash_by_value_and_mutable_ones_do_not_hash() -> None:
    assert len({Point(1, 2), Point(1, 2), Point(3)}) == 2
    with pytest.raises(TypeError):
        hash(Box())


def test_repr_names_fields_in_declaration_order() -> None:
    assert repr(Point(1, 2)) == "Point(x=1, y=2)"


def test_replace_copies_with_changes_and_refuses_unknown_fields() -> None:
    p = Point(1, 2)
    assert p.replace(y=5) == Point(1, 5)
    assert p == Point(1, 2)
    with pytest.raises(TypeError, match="no field"):
        p.replace(z=1)


def test_slots_refuse_stray_attributes() -> None:
    with pytest.raises(AttributeError):
        Point(1).z = 3  # type: ignore[attr-defined]
