"""The in-memory lister matches targets the way the hub would."""

from __future__ import annotations

from compliance.services.ports import ListedModel, StaticLister, TargetSpec

MODELS = [ListedModel("acme/llama-7b", "a"), ListedModel("Acme/mistral", "b"), ListedModel("other/llama", "c")]


def test_static_lister_filters_by_author_search_and_ids() -> None:
    lister = StaticLister(MODELS)
    assert [m.model_id for m in lister(TargetSpec("author", ("acme",)))] == ["acme/llama-7b", "Acme/mistral"]
    assert [m.model_id for m in lister(TargetSpec("search", ("LLAMA",)))] == ["acme/llama-7b", "other/llama"]
    assert [m.model_id for m in lister(TargetSpec("models", ("other/llama", "x/y")))] == ["other/llama"]
    assert lister.calls == 3
