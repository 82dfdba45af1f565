"""Architecture fingerprints: pure functions over configs, tensor shapes and counts."""

from __future__ import annotations

from typing import Any

from compliance.hub.fingerprint import (
    FingerprintIndex,
    IndexEntry,
    compare,
    config_dims,
    fingerprint,
    same_architecture,
)

LLAMA: dict[str, Any] = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "tie_word_embeddings": False,
    "rope_theta": 500000.0,
    "_name_or_path": "meta-llama/Llama-3.1-8B",
}


def test_dims_are_structural_canonical_and_nested() -> None:
    dims = dict(config_dims(LLAMA))
    assert dims["hidden_size"] == 4096 and dims["vocab_size"] == 128256
    assert "rope_theta" not in dims and "_name_or_path" not in dims  # not structural / not an int
    gpt2 = dict(config_dims({"n_embd": 1600, "n_layer": 48, "n_head": 25, "vocab_size": 50257}))
    assert gpt2 == {"hidden_size": 1600, "num_hidden_layers": 48, "num_attention_heads": 25, "vocab_size": 50257}
    vlm = dict(config_dims({**LLAMA, "vision_config": {"hidden_size": 1152, "num_hidden_layers": 27}}))
    assert vlm["vision_config.hidden_size"] == 1152 and vlm["hidden_size"] == 4096
    assert config_dims(None) == () and config_dims({"hidden_size": "big"}) == ()


def test_renamed_copy_matches_exactly() -> None:
    original = fingerprint(config=LLAMA, total=8_030_261_248)
    copy = fingerprint(config={**LLAMA, "architectures": ["MyNewModel"], "model_type": "mine"}, total=8_030_261_248)
    result = same_architecture(copy, original)
    assert result.same is True and "config" in result.basis
    assert copy.dims_digest == original.dims_digest
    assert copy.architecture == "MyNewModel"  # kept for display, never compared


def test_size_alone_is_never_an_exact_match() -> None:
    a, b = fingerprint(total=7_000_000_000), fingerprint(total=7_000_000_000)
    assert same_architecture(a, b).same is None
    assert compare(a, b).same is True and compare(a, b).basis == "parameter count"


def test_one_different_dimension_breaks_the_match() -> None:
    other = fingerprint(config={**LLAMA, "intermediate_size": 11008})
    result = same_architecture(fingerprint(config=LLAMA), other)
    assert result.same is False and result.differences == ("intermediate_size 14336 vs 11008",)
    assert "intermediate_size 14336 vs 11008" in compare(fingerprint(config=LLAMA), other).describe()


def test_shapes_ignore_names_order_and_dtypes() -> None:
    a = fingerprint(tensor_shapes=[(4096, 4096), (128256, 4096), (4096,)])
    b = fingerprint(tensor_shapes=[(4096,), (4096, 4096), (128256, 4096)])
    assert a.shapes == b.shapes and a.tensors == 3
    assert compare(a, b).basis == "tensor shapes" and compare(a, b).same
    c = fingerprint(tensor_shapes=[(4096, 4096), (32000, 4096), (4096,)])
    assert compare(a, c).same is False
    assert compare(a, c, use_shapes=False).same is None  # quantized: shapes are not comparable


def test_too_few_shared_dimensions_fall_back_to_counts() -> None:
    a = fingerprint(config={"hidden_size": 10, "vocab_size": 5}, total=100)
    b = fingerprint(config={"hidden_size": 10, "vocab_size": 5}, total=120)
    assert compare(a, b).basis == "parameter count" and compare(a, b).same is False
    assert compare(fingerprint(), fingerprint()).same is None


def test_merged_completes_missing_parts() -> None:
    cheap = fingerprint(total=5, names={"architectures": ["X"]})
    full = fingerprint(config=LLAMA)
    merged = cheap.merged(full)
    assert merged.total == 5 and merged.dims == full.dims and merged.architecture == "X"


def test_index_finds_candidates_by_count_digest_or_shapes_and_is_bounded() -> None:
    index = FingerprintIndex(max_entries=2)
    index.add(IndexEntry("a/one", None, fingerprint(total=10)))
    index.add(IndexEntry("b/two", None, fingerprint(config=LLAMA)))
    assert [e.model_id for e in index.candidates(fingerprint(total=10))] == ["a/one"]
    assert [e.model_id for e in index.candidates(fingerprint(config=LLAMA))] == ["b/two"]
    assert index.candidates(fingerprint(config=LLAMA), exclude=["b/two"]) == []
    index.add(IndexEntry("c/three", None, fingerprint(total=11)))
    assert len(index) == 2 and index.get("a/one") is None  # oldest dropped
