"""The shipped index of known models: its format and the digests it keeps."""

from __future__ import annotations

import pytest

from compliance.errors import InputError
from compliance.provenance.known import (
    DISTINCTIVE_MAX,
    SCHEMA,
    KnownMatch,
    KnownModel,
    Layout,
    fold_names,
    known_models,
    known_record,
    layout_counts,
    match_known,
    names_digest,
    parse_known,
)

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
    families = {row["names"]: fold_names(name for name, _, _ in tensors)}
    index = parse_known({"schema": SCHEMA, "models": [row], "families": families})
    (model,) = index.models
    assert model.model_id == "acme/tiny" and model.since == "2024-01-02" and model.weights == ("ab" * 32,)
    assert model.dims == row["dims"] and model.shapes == row["shapes"] and model.names == row["names"]
    assert index.family_of(["model.layers.5.w", "lm_head.weight"]) == row["names"]
    assert index.family_of(["transformer.h.0.w"]) is None


@pytest.mark.parametrize("doc", [None, {}, {"schema": "other", "models": []}, {"schema": SCHEMA, "models": [{}]}])
def test_a_document_that_is_not_an_index_is_refused(doc: object) -> None:
    with pytest.raises(InputError):
        parse_known(doc)


def test_shipped_index_has_the_minicpm_layout_twice_and_llama_3_8b_often() -> None:
    models = {m.model_id: m for m in known_models()}
    counts = layout_counts(models.values())
    minicpm = models["openbmb/MiniCPM-Llama3-V-2_5"]
    assert minicpm.dims == models["mustafaaljadery/llama3v"].dims
    assert counts[tuple(sorted(minicpm.dims.items()))] == 2
    assert counts[tuple(sorted(models["meta-llama/Llama-3.1-8B"].dims.items()))] > 3
    assert all(m.since for m in models.values() if m.source == "demo-registry")


def _model(
    model_id: str, since: str | None, *, hidden: int = 4096, bases: tuple[str, ...] = (), weights: tuple[str, ...] = ()
) -> KnownModel:
    layout = Layout.of({**LLAMA, "hidden_size": hidden})
    return KnownModel(model_id, layout.dims, total=hidden * 1000, architecture="LlamaForCausalLM", since=since,
                      bases=bases, weights=weights, names="llama-names")  # fmt: skip


RARE = _model("lab-a/rare-vl", "2024-05-19", hidden=4608)
COMMON = [_model(f"org{k}/base-{k}", "2024-04-01") for k in range(DISTINCTIVE_MAX + 1)]
KNOWN = [RARE, *COMMON]


def _check(model: KnownModel, models: list[KnownModel] | None = None, **kw: object) -> KnownMatch | None:
    layout = Layout(model.dims, total=model.total, shapes=model.shapes, names=model.names)
    args: dict = {"model_id": model.model_id, "bases": model.bases, "created": model.since, **kw}
    return match_known(layout, models=KNOWN if models is None else models, **args)


def test_a_rare_layout_under_another_name_is_a_probable_derivation_of_the_older_model() -> None:
    copy = _model("someone/new-vl", "2024-05-26", hidden=4608)
    found = _check(copy, [*KNOWN, copy])
    assert found is not None and found.kind == "derivation" and found.source is RARE and found.shared_by == 1
    assert "lab-a/rare-vl (known since 2024-05-19)" in found.describe()


def test_the_older_model_is_never_the_derivation_of_the_younger() -> None:
    copy = _model("someone/new-vl", "2024-05-26", hidden=4608)
    found = _check(RARE, [*KNOWN, copy])
    assert found is not None and found.kind == "family" and found.examples[0] == "org0/base-0"


def test_without_dates_no_direction_is_claimed() -> None:
    undated = _model("someone/new-vl", None, hidden=4608)
    found = _check(undated)
    assert found is not None and found.kind == "family"


def test_a_declared_fine_tune_of_a_public_base_is_never_flagged() -> None:
    tune = _model("someone/tune", "2025-01-01", hidden=4608, bases=("lab-a/rare-vl",))
    assert _check(tune) is None
    # Its base is not the undeclared derivation of it either, even with dates reversed.
    child = _model("someone/child", "2020-01-01", hidden=4608, bases=("lab-a/rare-vl",))
    found = _check(RARE, [*KNOWN, child])
    assert found is not None and found.kind == "family"


def test_a_common_layout_only_names_the_family() -> None:
    found = _check(_model("someone/llama-like", "2025-01-01"))
    assert found is not None and found.kind == "family" and found.family == "Llama"
    assert found.shared_by == DISTINCTIVE_MAX + 1
    assert found.describe().startswith("Llama (same layout as org0/base-0")


def test_the_same_publisher_reusing_its_layout_is_not_flagged() -> None:
    successor = _model("lab-a/rare-vl-2", "2025-01-01", hidden=4608)
    found = _check(successor)
    assert found is not None and found.kind == "family"


def test_identical_weight_files_are_a_copy_whatever_the_layout() -> None:
    source = _model("org0/base-0", "2024-04-01", weights=("ab" * 32,))
    copy = _model("someone/llama-like", "2025-01-01")
    found = _check(copy, [source, *COMMON[1:]], weights=["ab" * 32])
    assert found is not None and found.kind == "copy" and found.source is source
    assert "byte-identical to org0/base-0's" in found.describe()


def test_shipped_index_flags_llama3v_against_minicpm_and_names_yi_a_llama() -> None:
    models = {m.model_id: m for m in known_models()}
    llama3v, yi = models["mustafaaljadery/llama3v"], models["01-ai/Yi-34B"]
    found = _check(llama3v, list(models.values()))
    assert found is not None and found.kind == "derivation"
    assert found.source.model_id == "openbmb/MiniCPM-Llama3-V-2_5" and "tensor shapes" in found.basis
    family = _check(yi, list(models.values()))
    assert family is not None and family.kind == "family" and family.family == "Llama"
