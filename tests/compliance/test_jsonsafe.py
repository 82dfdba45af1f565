"""JSON from model files: every defect, deep nesting included, is a ModelFileError."""

from __future__ import annotations

import pytest

from compliance.errors import InputError, ModelFileError
from compliance.jsonsafe import load_json


def test_json_is_decoded_from_bytes_or_text() -> None:
    assert load_json(b'{"a": [1, 2]}', source="config.json") == {"a": [1, 2]}
    assert load_json('{"a": null}', source="config.json") == {"a": None}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested too deeply"),
        (b"{", "not valid JSON"),
        (b'{"hidden_size": ' + b"1" * 5000 + b"}", "integer string conversion"),
        (b'{"a": "\xff"}', "not UTF-8"),
    ],
)
def test_malformed_json_is_a_model_file_error(data: bytes, message: str) -> None:
    # The defect: 100,000 levels of nesting escaped as RecursionError, an "internal error".
    with pytest.raises(ModelFileError, match=message) as info:
        load_json(data, source="config.json")
    assert info.value.source == "config.json"


def test_the_caller_chooses_the_error_class() -> None:
    with pytest.raises(InputError) as info:
        load_json(b"[", source="x.json", error=InputError)
    assert type(info.value) is InputError
