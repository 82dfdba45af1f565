"""The reading policy and the model description, as pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from compliance.hub.gather import description_facts, is_moe, packed_weights, plan
from compliance.hub.info import HubInfo, parse_base_models

SHA = "a" * 40


def info(**kw: Any) -> HubInfo:
    base: dict[str, Any] = {
        "id": "acme/model",
        "sha": SHA,
        "config": {"architectures": ["LlamaForCausalLM"], "model_type": "llama"},
        "safetensors_total": 8_000_000_000,
        "safetensors_parameters": {"BF16": 8_000_000_000},
        "siblings": ["README.md", "config.json", "model.safetensors", ".gitattributes"],
        "card_data": {"license": "apache-2.0"},
    }
    base.update(kw)
    return HubInfo.from_json(base)


def test_dense_model_with_totals_needs_only_the_card() -> None:
    decided = plan(info(), token_given=False)
    assert (decided.card, decided.config, decided.headers) == (True, False, False)


def test_thorough_reads_config_and_headers() -> None:
    decided = plan(info(), token_given=False, thorough=True)
    assert (decided.card, decided.config, decided.headers) == (True, True, True)


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"safetensors_total": None, "safetensors_parameters": None}, "no safetensors totals"),
        ({"config": {"model_type": "deepseek_v3"}}, "mixture of experts"),
        ({"config": {"architectures": ["MixtralForCausalLM"]}}, "mixture of experts"),
        ({"safetensors_parameters": {"I32": 10, "F16": 5}}, "packed"),
        ({"config": None}, "no config subset"),
    ],
)
def test_config_is_read_only_when_the_description_lacks_what_it_gives(changes: dict[str, Any], why: str) -> None:
    decided = plan(info(**changes), token_given=False)
    assert decided.config and any(why in r for r in decided.reasons)


def test_nothing_is_listed_nothing_is_read() -> None:
    decided = plan(info(siblings=[".gitattributes"], safetensors_total=None), token_given=False)
    assert (decided.card, decided.config, decided.headers) == (False, False, False)


def test_headers_only_when_there_is_no_other_count() -> None:
    no_count = info(siblings=["model.safetensors"], safetensors_total=None, safetensors_parameters=None)
    assert plan(no_count, token_given=False).headers
    bin_only = info(siblings=["pytorch_model.bin", "config.json"], safetensors_total=None)
    assert not plan(bin_only, token_given=False).headers


def test_gated_without_token_reads_nothing_more() -> None:
    gated = info(gated="manual", safetensors_total=None)
    decided = plan(gated, token_given=False)
    assert not decided.readable and not (decided.card or decided.config or decided.headers)
    assert plan(gated, token_given=True).card


def test_moe_and_packed_detection() -> None:
    assert is_moe(info(config={"model_type": "qwen3_moe"})) is True
    assert is_moe(info(config={"model_type": "llama"})) is False
    assert is_moe(info(config=None)) is None
    assert packed_weights(info(safetensors_parameters={"U8": 60, "BF16": 2}))
    assert packed_weights(info(config={"quantization_config": {"quant_method": "awq"}}))
    assert not packed_weights(info(safetensors_parameters={"F8_E4M3": 60, "F32": 2}))


def test_hostile_description_fields_are_dropped() -> None:
    bad = HubInfo.from_json(
        {
            "id": "acme/model",
            "sha": "not-a-sha",
            "gated": "sometimes",
            "card_data": ["not", "a", "mapping"],
            "safetensors_total": -5,
            "safetensors_parameters": {"BF16": "many", "F16": 10},
            "siblings": ["ok.json", 7, ""],
            "base_models": ["a/b", {"x": 1}],
        }
    )
    assert bad.sha is None and bad.gated is False and bad.card_data is None
    assert bad.safetensors_total is None and bad.safetensors_parameters == {"F16": 10}
    assert bad.siblings == ["ok.json"] and bad.base_models == ["a/b"]
    with pytest.raises(ValueError):
        HubInfo.from_json(["id"])


def test_base_models_in_every_shape() -> None:
    assert parse_base_models({"relation": "quantized", "models": [{"id": "a/b"}]}) == (["a/b"], "quantized")
    assert parse_base_models(["a/b", "c/d"]) == (["a/b", "c/d"], None)
    assert parse_base_models(None) == ([], None)


def test_description_facts_carry_hub_evidence() -> None:
    facts = {f.name: f for f in description_facts(info(base_models=["x/y"], base_relation="adapter"), "http://h", SHA)}
    assert facts["architecture"].value == "LlamaForCausalLM"
    assert facts["parameters_by_dtype"].value == {"BF16": 8_000_000_000}
    assert facts["base_model"].value == "x/y" and facts["base_model_relation"].value == "adapter"
    assert all(f.evidence[0].kind == "hub-api" for f in facts.values())
    # a card that names its base wins: the hub's list is not repeated
    named = description_facts(info(base_models=["x/y"], card_data={"base_model": "x/y"}), "http://h", SHA)
    assert "base_model" not in {f.name for f in named}


def test_a_large_index_is_read_in_linear_time() -> None:
    # The shard names were collected in a list, each tensor's look-up a scan: 200,000 tensors
    # over 4,096 shards (a 9 MB index, well under the limit) took 27 s.
    import json
    import time

    from compliance.hub.gather import _shards_of_index

    names = [f"model-{i:05d}-of-04096.safetensors" for i in range(4096)]
    data = json.dumps({"weight_map": {f"t{i}": names[i % 4096] for i in range(200_000)}}).encode()
    started = time.perf_counter()
    assert _shards_of_index(data, "index") == names
    assert time.perf_counter() - started < 2.0
