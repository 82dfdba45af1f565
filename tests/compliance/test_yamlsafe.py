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


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: 1\nrelease_date: 2025-13-45\n", 2, "not a valid date '2025-13-45' (month must be in 1..12)"),
        ("expires: 2025-02-30\n", 1, "not a valid date '2025-02-30' (day is out of range for month)"),
        ("a:\n  - 2025-01-01 25:00:00\n", 2, "not a valid date"),
        ("a: !!timestamp soon\n", 1, "not a valid date 'soon'"),
        ("a: !!int many\n", 1, "not a valid int 'many'"),
        ("a: !!float lots\n", 1, "not a valid float 'lots'"),
        ("a: !!bool maybe\n", 1, "not a valid bool 'maybe'"),
        ("a: " + "9" * 5000 + "\n", 1, "not a valid int"),
    ],
)
def test_a_value_that_only_looks_like_its_type_is_an_input_error_with_its_line(
    text: str, line: int, message: str
) -> None:
    # The defect: PyYAML's constructors raise ValueError (or KeyError) for these, which the
    # CLI reported as "internal error" (exit 2).
    with pytest.raises(InputError) as info:
        load_yaml(text, source="facts.yaml")
    assert info.value.where == f"line {line}"
    assert message in info.value.message


def test_real_dates_are_still_dates() -> None:
    from datetime import date

    assert load_yaml("expires: 2025-12-31\n", source="w.yaml") == {"expires": date(2025, 12, 31)}


def test_deep_nesting_of_any_kind_is_an_input_error() -> None:
    block = "".join("  " * depth + "k:\n" for depth in range(100)) + "  " * 100 + "k: 1\n"
    for text in ("[" * 100_000 + "]" * 100_000, "{a: " * 100_000 + "1" + "}" * 100_000, block):
        with pytest.raises(InputError, match="nesting deeper"):
            load_yaml(text, source="rules.yaml", max_bytes=10**6)


@pytest.mark.parametrize(
    "text", ['license: "\\ud800"\n', 'a: 1\n"\\udc80x": 2\n', "a:\n  - '\\ud800'\n  - \"\\udfff\"\n"]
)
def test_an_escaped_lone_surrogate_is_an_input_error(text: str) -> None:
    # Found by fuzzing: a card whose front matter said license: "\ud800" gave a fact no UTF-8
    # text can hold, and the check's report then failed to store (the check stayed running).
    with pytest.raises(InputError, match="lone surrogate") as info:
        load_yaml(text, source="README.md")
    assert info.value.one_line().encode("utf-8")


def test_escaped_characters_and_pairs_are_still_read() -> None:
    assert load_yaml('a: "\\u00e9\\U0001F642"\nb: "\\ud83d\\ude42"\n', source="x.yaml") == {"a": "é🙂", "b": "🙂"}
