from __future__ import annotations

import pytest

from compliance.errors import InputError
from compliance.yamlsafe import MAX_ALIASES, load_yaml


def test_plain_yaml() -> None:
    assert load_yaml("a: 1\nb: [x, y]\n", source="t.yaml") == {"a": 1, "b": ["x", "y"]}


def test_a_few_aliases_are_fine() -> None:
    assert load_yaml("a: &x [1]\nb: *x\n", source="t.yaml") == {"a": [1], "b": [1]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !!python/object/apply:os.system ['true']\n", "invalid YAML"),
        ("a: 1\na: 2\n", "duplicate key"),
        ("a: [1\n", "line"),
        ("x: &a [1]\ny: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n", "aliases"),
        ("[" * 200 + "]" * 200, "nesting"),
        ("{[1, 2]: x}\n", "unhashable"),
    ],
)
def test_hostile_yaml_is_an_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        load_yaml(text, source="card.md")
    assert str(info.value).startswith("card.md")


def test_size_is_bounded() -> None:
    with pytest.raises(InputError, match="larger than"):
        load_yaml("a: " + "x" * 100, source="t.yaml", max_bytes=50)
