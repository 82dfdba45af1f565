"""The shipped index of known models: its format and the digests it keeps."""

from __future__ import annotations

import pytest

from compliance.errors import InputError
from compliance.hub.known import SCHEMA, known_models, known_record, layout_counts, names_digest, parse_known

LLAMA = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
         "intermediate_size": 128, "vocab_size": 100, "num_attention_heads": 4}  # fmt: skip


def test_names_digest_folds_layer_numbers_only() -> None:
    a = names_digest(["model.layers.0.mlp.up_proj.weight", "model.layers.1.mlp.up_proj.weight", "lm_head.weight"])
    b = names_digest(["model.layers.7.mlp.up_proj.weight", "lm_head.weight"])
    c = names_digest(["transformer.h.0.mlp.c_fc.weight", "lm_head.weight"])
    assert a == b != c
    assert names_digest([]) is None


def test_record_round_trips_through_the_parser() -> None:
    tensors = [("model.layers.0.w", "BF16", [64, 128]), ("lm_head.weight", "BF16", [100, 64])]
    row = known_record("acme/tiny", config=LLAMA, tensors=tensors, since="2024-01-02", weights=["ab" * 32])
    assert row["parameters"] == 64 * 128 + 100 * 64 and row["dtypes"] == ["BF16"]
    (model,) = parse_known({"schema": SCHEMA, "models": [row]})
    assert model.model_id == "acme/tiny" and model.since == "2024-01-02" and model.weights == ("ab" * 32,)
    assert model.layout == row["layout"] and model.fingerprint.shapes == row["shapes"]
    assert model.names == row["names"]


@pytest.mark.parametrize("doc", [None, {}, {"schema": "other", "models": []}, {"schema": SCHEMA, "models": [{}]}])
def test_a_document_that_is_not_an_index_is_refused(doc: object) -> None:
    with pytest.raises(InputError):
        parse_known(doc)


def test_shipped_index_has_the_minicpm_layout_twice_and_llama_3_8b_often() -> None:
    models = {m.model_id: m for m in known_models()}
    counts = layout_counts(models.values())
    minicpm = models["openbmb/MiniCPM-Llama3-V-2_5"]
    assert minicpm.layout == models["mustafaaljadery/llama3v"].layout and counts[minicpm.layout] == 2
    assert counts[models["meta-llama/Llama-3.1-8B"].layout] > 3
    assert all(m.since for m in models.values() if m.source == "demo-registry")
