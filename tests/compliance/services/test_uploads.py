"""Uploaded metadata: shape checks at submission, facts without a network at run time."""

from __future__ import annotations

from typing import Any

import pytest

from compliance.errors import ModelFileError, UsageError
from compliance.services.uploads import inspect_uploaded, validate_uploaded


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"card": 3}, "card must be"),
        ({"readme": "x"}, "unknown key 'readme'"),
        ({"safetensors": "model.safetensors"}, "list of at most"),
        ({"safetensors": [{"file": "m.safetensors"}]}, "'header'"),
        ({"safetensors": [{"file": "", "header": {}}]}, "'file'"),
        ({"config": {"hidden_size": float("nan")}}, "NaN or Infinity"),
        ({"safetensors": [{"file": "m.safetensors", "header": {"w": {"shape": [float("inf")]}}}]}, "NaN or Infinity"),
    ],
)
def test_validate_uploaded_rejects_bad_shapes(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        validate_uploaded(raw)


def test_a_header_without_offsets_is_a_model_file_error() -> None:
    uploaded = {"safetensors": [{"file": "m.safetensors", "header": {"w": {"dtype": "F32", "shape": [2]}}}]}
    with pytest.raises(ModelFileError, match=r"m\.safetensors: tensor 'w' has no valid data_offsets"):
        inspect_uploaded("acme/x", validate_uploaded(uploaded), declared=[], use_exact=False)


def test_a_card_alone_gives_facts() -> None:
    card = "---\nlicense: mit\nbase_model: acme/base\n---\n# Model\n\nA 7B parameter model trained on 2T tokens.\n"
    inspection = inspect_uploaded("acme/x", validate_uploaded({"card": card}), declared=[], use_exact=False)
    assert inspection.model.source == "upload" and inspection.files_read == ["README.md"]
    assert inspection.facts.value("license") == "mit"
    assert inspection.facts.value("training_tokens") == 2e12
