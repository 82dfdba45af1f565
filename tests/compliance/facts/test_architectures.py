"""Parameter counts from config.json: published hyper-parameters against published (or transformers-built) counts."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.errors import ModelFileError
from compliance.facts.architectures import ParamCount, count_parameters, names_moe_family
from compliance.facts.model import Confidence

# --------------------------------------------------------------------------- published configs (sizes only)

LLAMA2_7B = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 4096,
    "intermediate_size": 11008,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 32,
    "vocab_size": 32000,
    "tie_word_embeddings": False,
    "hidden_act": "silu",
}
MISTRAL_7B = {
    "model_type": "mistral",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 8,
    "vocab_size": 32000,
    "tie_word_embeddings": False,
}
MIXTRAL_8X7B = {**MISTRAL_7B, "model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2}
QWEN25_3B = {
    "model_type": "qwen2",
    "hidden_size": 2048,
    "intermediate_size": 11008,
    "num_attention_heads": 16,
    "num_hidden_layers": 36,
    "num_key_value_heads": 2,
    "vocab_size": 151936,
    "tie_word_embeddings": True,
}
QWEN3_30B_A3B = {
    "model_type": "qwen3_moe",
    "hidden_size": 2048,
    "head_dim": 128,
    "intermediate_size": 6144,
    "moe_intermediate_size": 768,
    "num_attention_heads": 32,
    "num_hidden_layers": 48,
    "num_key_value_heads": 4,
    "num_experts": 128,
    "num_experts_per_tok": 8,
    "decoder_sparse_step": 1,
    "mlp_only_layers": [],
    "vocab_size": 151936,
    "tie_word_embeddings": False,
}
DEEPSEEK_V3 = {
    "model_type": "deepseek_v3",
    "hidden_size": 7168,
    "intermediate_size": 18432,
    "moe_intermediate_size": 2048,
    "num_attention_heads": 128,
    "num_key_value_heads": 128,
    "num_hidden_layers": 61,
    "first_k_dense_replace": 3,
    "moe_layer_freq": 1,
    "n_routed_experts": 256,
    "n_shared_experts": 1,
    "num_experts_per_tok": 8,
    "q_lora_rank": 1536,
    "kv_lora_rank": 512,
    "qk_nope_head_dim": 128,
    "qk_rope_head_dim": 64,
    "v_head_dim": 128,
    "num_nextn_predict_layers": 1,
    "vocab_size": 129280,
    "tie_word_embeddings": False,
}
GPT2 = {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "n_positions": 1024, "vocab_size": 50257}
PYTHIA_12B = {
    "model_type": "gpt_neox",
    "hidden_size": 5120,
    "num_hidden_layers": 36,
    "num_attention_heads": 40,
    "intermediate_size": 20480,
    "vocab_size": 50688,
    "tie_word_embeddings": False,
}


def _count(config: dict[str, Any]) -> ParamCount:
    return count_parameters(config, source="test/config.json")


def _near(value: float, target: float, rel: float) -> bool:
    return abs(value - target) <= rel * target


# --------------------------------------------------------------------------- dense decoders


@pytest.mark.parametrize(
    ("config", "expected", "family"),
    [
        (LLAMA2_7B, 6_738_415_616, "llama"),
        (MISTRAL_7B, 7_241_732_096, "mistral"),
        (QWEN25_3B, 3_085_938_688, "qwen2"),
        (GPT2, 124_439_808, "gpt2"),
        (PYTHIA_12B, 11_846_072_320, "gpt_neox"),  # EleutherAI's own figure
    ],
)
def test_dense_models_match_published_counts(config: dict[str, Any], expected: int, family: str) -> None:
    result = _count(config)
    assert result.total == expected
    assert result.family == family
    assert result.exact is True
    assert result.active is None


def test_qwen2_72b_matches_its_reported_count() -> None:
    config = {
        "model_type": "qwen2",
        "hidden_size": 8192,
        "intermediate_size": 29568,
        "num_attention_heads": 64,
        "num_hidden_layers": 80,
        "num_key_value_heads": 8,
        "vocab_size": 152064,
        "tie_word_embeddings": False,
    }
    assert _count(config).total == 72_706_203_648


def test_stablelm_layernorm_biases_are_counted() -> None:
    config = {
        "model_type": "stablelm",
        "hidden_size": 2560,
        "intermediate_size": 6912,
        "num_attention_heads": 32,
        "num_hidden_layers": 32,
        "num_key_value_heads": 32,
        "vocab_size": 50304,
        "use_qkv_bias": False,
        "tie_word_embeddings": False,
    }
    assert _count(config).total == 2_795_443_200  # Stability's published count for stablelm-3b-4e1t


def test_gemma_ties_embeddings_by_default_and_gemma2_has_four_norms() -> None:
    gemma_7b = {
        "model_type": "gemma",
        "hidden_size": 3072,
        "intermediate_size": 24576,
        "num_attention_heads": 16,
        "num_key_value_heads": 16,
        "head_dim": 256,
        "num_hidden_layers": 28,
        "vocab_size": 256000,
    }
    assert _count(gemma_7b).total == 8_537_680_896
    gemma2_2b = {
        "model_type": "gemma2",
        "hidden_size": 2304,
        "intermediate_size": 9216,
        "num_attention_heads": 8,
        "num_key_value_heads": 4,
        "head_dim": 256,
        "num_hidden_layers": 26,
        "vocab_size": 256000,
    }
    assert _count(gemma2_2b).total == 2_614_341_888


def test_untying_adds_one_embedding_matrix() -> None:
    tied = _count(QWEN25_3B).total
    untied = _count({**QWEN25_3B, "tie_word_embeddings": False}).total
    assert untied - tied == 151936 * 2048


def test_biases_and_head_dim_override_are_counted() -> None:
    base = {**LLAMA2_7B, "num_hidden_layers": 1}
    with_bias = _count({**base, "attention_bias": True, "mlp_bias": True}).total
    assert with_bias - _count(base).total == 4 * 4096 + 2 * 11008 + 4096
    wide_heads = _count({**base, "head_dim": 256}).total
    # q and o grow from 4096 to 32*256 = 8192 columns each, k and v likewise.
    assert wide_heads - _count(base).total == 4 * 4096 * (8192 - 4096)


def test_grouped_query_attention_shrinks_k_and_v() -> None:
    mha = _count({**MISTRAL_7B, "num_key_value_heads": 32}).total
    gqa = _count(MISTRAL_7B).total
    assert mha - gqa == 32 * 2 * 4096 * (4096 - 1024)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        # falcon-7b in its original RefinedWebModel layout (multi-query, parallel attention)
        (
            {
                "model_type": "RefinedWebModel",
                "n_embed": 4544,
                "n_layer": 32,
                "n_head": 71,
                "multi_query": True,
                "parallel_attn": True,
                "bias": False,
                "vocab_size": 65024,
            },
            6_921_720_704,
        ),
        # bloom-7b1: the figure BigScience publishes
        (
            {"model_type": "bloom", "hidden_size": 4096, "n_layer": 30, "n_head": 32, "vocab_size": 250880},
            7_069_016_064,
        ),
        # phi-1.5 in its original phi-msft layout
        (
            {"model_type": "phi-msft", "n_embd": 2048, "n_layer": 24, "n_head": 32, "vocab_size": 51200},
            1_418_270_720,
        ),
        # mpt-7b: ALiBi, no biases, weight-only LayerNorm
        (
            {
                "model_type": "mpt",
                "d_model": 4096,
                "n_layers": 32,
                "n_heads": 32,
                "expansion_ratio": 4,
                "vocab_size": 50432,
                "no_bias": True,
                "attn_config": {"alibi": True},
            },
            6_649_286_656,
        ),
        # chatglm3-6b: multi-query groups, qkv bias only
        (
            {
                "model_type": "chatglm",
                "hidden_size": 4096,
                "num_layers": 28,
                "num_attention_heads": 32,
                "kv_channels": 128,
                "multi_query_attention": True,
                "multi_query_group_num": 2,
                "ffn_hidden_size": 13696,
                "padded_vocab_size": 65024,
                "add_bias_linear": False,
                "add_qkv_bias": True,
                "tie_word_embeddings": False,
            },
            6_243_584_000,
        ),
        # Qwen-7B (first generation): intermediate_size counts both SwiGLU halves
        (
            {
                "model_type": "qwen",
                "hidden_size": 4096,
                "num_hidden_layers": 32,
                "num_attention_heads": 32,
                "intermediate_size": 22016,
                "vocab_size": 151936,
            },
            7_721_324_544,
        ),
        # t5-11b (relu feed-forward, tied) and flan-t5-xxl (gated-gelu, untied head)
        (
            {
                "model_type": "t5",
                "d_model": 1024,
                "d_kv": 128,
                "d_ff": 65536,
                "num_layers": 24,
                "num_heads": 128,
                "vocab_size": 32128,
            },
            11_307_321_344,
        ),
        (
            {
                "model_type": "t5",
                "d_model": 4096,
                "d_kv": 64,
                "d_ff": 10240,
                "num_layers": 24,
                "num_heads": 64,
                "vocab_size": 32128,
                "feed_forward_proj": "gated-gelu",
                "tie_word_embeddings": False,
            },
            11_135_332_352,
        ),
        # falcon-mamba-7b
        (
            {
                "model_type": "falcon_mamba",
                "hidden_size": 4096,
                "num_hidden_layers": 64,
                "vocab_size": 65024,
                "state_size": 16,
                "expand": 2,
                "time_step_rank": 256,
                "tie_word_embeddings": False,
            },
            7_272_665_088,
        ),
    ],
)
def test_classic_families(config: dict[str, Any], expected: int) -> None:
    result = _count(config)
    assert result.total == expected
    assert result.exact is True


# --------------------------------------------------------------------------- mixture-of-experts


def test_mixtral_total_and_active() -> None:
    result = _count(MIXTRAL_8X7B)
    assert result.total == 46_702_792_704
    assert result.family == "mixtral"
    assert result.active is not None and _near(result.active, 12.9e9, 0.005)


def test_qwen3_moe_total_and_active() -> None:
    result = _count(QWEN3_30B_A3B)
    assert result.total == 30_532_122_624
    assert result.active is not None and _near(result.active, 3.3e9, 0.02)


def test_qwen_moe_dense_layers_follow_sparse_step_and_mlp_only_layers() -> None:
    small = {**QWEN3_30B_A3B, "num_hidden_layers": 4}
    all_sparse = _count(small).total
    dense_mlp = 3 * 2048 * 6144
    moe = 128 * 3 * 2048 * 768 + 2048 * 128
    assert _count({**small, "mlp_only_layers": [0]}).total == all_sparse - moe + dense_mlp
    assert _count({**small, "decoder_sparse_step": 2}).total == all_sparse - 2 * moe + 2 * dense_mlp


def test_qwen2_moe_counts_shared_expert_and_gate() -> None:
    config = {
        "model_type": "qwen2_moe",
        "hidden_size": 3584,
        "intermediate_size": 18944,
        "moe_intermediate_size": 2560,
        "shared_expert_intermediate_size": 20480,
        "num_attention_heads": 28,
        "num_key_value_heads": 4,
        "num_hidden_layers": 28,
        "num_experts": 64,
        "num_experts_per_tok": 8,
        "vocab_size": 151936,
        "tie_word_embeddings": False,
    }
    result = _count(config)
    assert result.total == 57_408_658_944  # Qwen2-57B-A14B
    assert result.active is not None and _near(result.active, 14.2e9, 0.01)


def test_deepseek_v3_counts_main_model_without_mtp() -> None:
    result = _count(DEEPSEEK_V3)
    assert result.total == 671_026_404_352  # the official 671B; the 685B on the Hub adds the MTP module
    assert result.family == "deepseek_v3"
    assert result.active is not None and _near(result.active, 37e9, 0.02)
    assert result.note is not None and "multi-token-prediction" in result.note


def test_deepseek_v2_lite_has_no_query_compression() -> None:
    config = {
        **DEEPSEEK_V3,
        "model_type": "deepseek_v2",
        "hidden_size": 2048,
        "intermediate_size": 10944,
        "moe_intermediate_size": 1408,
        "num_attention_heads": 16,
        "num_key_value_heads": 16,
        "num_hidden_layers": 27,
        "first_k_dense_replace": 1,
        "n_routed_experts": 64,
        "n_shared_experts": 2,
        "num_experts_per_tok": 6,
        "q_lora_rank": None,
        "num_nextn_predict_layers": 0,
        "vocab_size": 102400,
    }
    result = _count(config)
    assert _near(result.total, 15.7e9, 0.005)
    assert result.active is not None and _near(result.active, 2.66e9, 0.01)


def test_kimi_k2_uses_the_deepseek_formula() -> None:
    config = {
        **DEEPSEEK_V3,
        "model_type": "kimi_k2",
        "num_attention_heads": 64,
        "num_key_value_heads": 64,
        "first_k_dense_replace": 1,
        "n_routed_experts": 384,
        "num_nextn_predict_layers": 0,
        "vocab_size": 163840,
    }
    result = _count(config)
    assert _near(result.total, 1.03e12, 0.01)
    assert result.active is not None and _near(result.active, 32e9, 0.04)
    assert result.note is None


def test_llama4_interleaves_dense_and_moe_layers() -> None:
    maverick = {
        "model_type": "llama4",
        "text_config": {
            "model_type": "llama4_text",
            "hidden_size": 5120,
            "head_dim": 128,
            "intermediate_size": 8192,
            "intermediate_size_mlp": 16384,
            "interleave_moe_layer_step": 2,
            "num_attention_heads": 40,
            "num_key_value_heads": 8,
            "num_hidden_layers": 48,
            "num_local_experts": 128,
            "num_experts_per_tok": 1,
            "vocab_size": 202048,
        },
    }
    result = _count(maverick)
    assert result.total == 400_711_848_960
    assert result.active is not None and _near(result.active, 17e9, 0.02)
    assert result.note is not None and "text model" in result.note


def test_gpt_oss_counts_expert_biases_and_sinks() -> None:
    config = {
        "model_type": "gpt_oss",
        "hidden_size": 2880,
        "head_dim": 64,
        "intermediate_size": 2880,
        "num_attention_heads": 64,
        "num_key_value_heads": 8,
        "num_hidden_layers": 36,
        "num_local_experts": 128,
        "num_experts_per_tok": 4,
        "vocab_size": 201088,
        "tie_word_embeddings": False,
    }
    result = _count(config)
    assert result.total == 116_829_156_672  # OpenAI's 116.83B
    # OpenAI's 5.13B active leaves the input embedding out; this module counts it, like most labs.
    assert result.active is not None and _near(result.active - 201088 * 2880, 5.13e9, 0.01)


def test_dbrx_nested_configs() -> None:
    config = {
        "model_type": "dbrx",
        "d_model": 6144,
        "n_layers": 40,
        "n_heads": 48,
        "vocab_size": 100352,
        "attn_config": {"kv_n_heads": 8},
        "ffn_config": {"ffn_hidden_size": 10752, "moe_num_experts": 16, "moe_top_k": 4},
    }
    result = _count(config)
    assert _near(result.total, 132e9, 0.005)
    assert result.active is not None and _near(result.active, 36e9, 0.02)


def test_nemotron_h_hybrid_pattern() -> None:
    config = {
        "model_type": "nemotron_h",
        "hidden_size": 8192,
        "intermediate_size": 32768,
        "num_attention_heads": 64,
        "num_key_value_heads": 8,
        "attention_head_dim": 128,
        "mamba_num_heads": 256,
        "mamba_head_dim": 64,
        "n_groups": 8,
        "ssm_state_size": 256,
        "conv_kernel": 4,
        "num_hidden_layers": 118,
        # Nemotron-H-56B: mostly Mamba-2 (M) and MLP (-) layers, one attention layer (*) in eleven
        "hybrid_override_pattern": "M-M-M-M*-" + "M-M-M-M-M*-" * 9 + "M-M-M-M-M-",
        "vocab_size": 131072,
        "tie_word_embeddings": False,
    }
    assert _count(config).total == 56_324_350_464
    with pytest.raises(ModelFileError, match="hybrid_override_pattern"):
        _count({**config, "hybrid_override_pattern": "M-X"})


def test_qwen3_next_hybrid_linear_attention() -> None:
    config = {
        "model_type": "qwen3_next",
        "hidden_size": 2048,
        "head_dim": 256,
        "intermediate_size": 5120,
        "moe_intermediate_size": 512,
        "shared_expert_intermediate_size": 512,
        "num_attention_heads": 16,
        "num_key_value_heads": 2,
        "num_hidden_layers": 48,
        "num_experts": 512,
        "num_experts_per_tok": 10,
        "full_attention_interval": 4,
        "linear_num_key_heads": 16,
        "linear_num_value_heads": 32,
        "linear_key_head_dim": 128,
        "linear_value_head_dim": 128,
        "vocab_size": 151936,
        "tie_word_embeddings": False,
    }
    result = _count(config)
    assert result.total == 79_674_391_296  # "80B-A3B"
    assert result.active is not None and _near(result.active, 3.9e9, 0.02)


# --------------------------------------------------------------------------- multimodal, dispatch, generic


def test_vision_tower_is_estimated_and_flagged() -> None:
    config = {
        "model_type": "gemma3",
        "text_config": {
            "model_type": "gemma3_text",
            "hidden_size": 2560,
            "intermediate_size": 10240,
            "num_attention_heads": 8,
            "num_key_value_heads": 4,
            "head_dim": 256,
            "num_hidden_layers": 34,
            "vocab_size": 262208,
        },
        "vision_config": {
            "hidden_size": 1152,
            "intermediate_size": 4304,
            "num_hidden_layers": 27,
            "patch_size": 14,
            "image_size": 896,
        },
    }
    result = _count(config)
    assert _near(result.total, 4.3e9, 0.01)  # gemma-3-4b
    assert result.exact is False
    assert result.note is not None and "vision" in result.note


def test_architectures_decide_when_model_type_is_missing() -> None:
    config = {k: v for k, v in LLAMA2_7B.items() if k != "model_type"}
    result = _count(config)
    assert result.family == "llama"
    assert result.total == 6_738_415_616


def test_unknown_architecture_gets_generic_estimate() -> None:
    config = {"model_type": "brand_new_lm", "hidden_size": 1024, "num_hidden_layers": 10, "vocab_size": 1000}
    result = _count(config)
    assert result.family == "generic"
    assert result.exact is False
    assert _near(result.total, 12 * 10 * 1024**2 + 1000 * 1024, 0.01)
    assert result.note is not None and "generic" in result.note


def test_generic_estimate_uses_intermediate_size_and_experts() -> None:
    dense = {"model_type": "x", "hidden_size": 1024, "num_hidden_layers": 4, "intermediate_size": 4096}
    gated = _count({**dense, "hidden_act": "silu"}).total
    plain = _count(dense).total
    assert gated - plain == 4 * 1024 * 4096
    moe = _count({**dense, "num_experts": 8, "num_experts_per_tok": 2})
    assert moe.active is not None and moe.total > moe.active > 0


def test_missing_intermediate_size_is_assumed_and_not_exact() -> None:
    config = {k: v for k, v in LLAMA2_7B.items() if k != "intermediate_size"}
    result = _count(config)
    assert result.exact is False
    assert result.note is not None and "intermediate_size" in result.note


# --------------------------------------------------------------------------- malformed configs


@pytest.mark.parametrize("config", [[1, 2], "config", None, 42])
def test_non_mapping_config_is_rejected(config: Any) -> None:
    with pytest.raises(ModelFileError) as info:
        count_parameters(config, source="test/config.json")
    assert str(info.value).startswith("test/config.json: ")


def test_missing_hidden_size_and_layers_is_rejected() -> None:
    with pytest.raises(ModelFileError) as info:
        _count({"model_type": "llama", "vocab_size": 32000})
    assert info.value.source == "test/config.json"
    assert info.value.where == "hidden_size"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("hidden_size", -4096),
        ("hidden_size", 0),
        ("hidden_size", "4096"),
        ("hidden_size", 4096.5),
        ("hidden_size", True),
        ("hidden_size", 10**30),
        ("num_hidden_layers", 10**9),
        ("vocab_size", [32000]),
        ("tie_word_embeddings", "yes"),
        ("num_key_value_heads", float("nan")),
    ],
)
def test_bad_values_name_file_and_key(key: str, value: Any) -> None:
    with pytest.raises(ModelFileError) as info:
        _count({**LLAMA2_7B, key: value})
    assert info.value.where == key
    assert "test/config.json" in str(info.value)


def test_nested_errors_name_the_nested_key() -> None:
    config = {"model_type": "llama4", "text_config": {"hidden_size": 5120, "num_hidden_layers": -1}}
    with pytest.raises(ModelFileError) as info:
        _count(config)
    assert info.value.where == "text_config.num_hidden_layers"


def test_integral_floats_are_accepted() -> None:
    assert _count({**LLAMA2_7B, "hidden_size": 4096.0}).total == 6_738_415_616


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
_KEYS = st.sampled_from(
    [
        "model_type",
        "hidden_size",
        "num_hidden_layers",
        "num_attention_heads",
        "num_key_value_heads",
        "intermediate_size",
        "vocab_size",
        "head_dim",
        "num_experts",
        "n_routed_experts",
        "text_config",
        "vision_config",
        "hybrid_override_pattern",
        "mlp_only_layers",
        "architectures",
        "d_model",
        "n_layer",
        "attn_config",
    ]
)
_TYPES = st.sampled_from(["llama", "qwen3_moe", "deepseek_v3", "nemotron_h", "t5", "falcon", "mpt", "dbrx", "x"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, _JSON, max_size=10), _TYPES, st.booleans())
def test_any_config_gives_a_count_or_model_file_error(extra: dict[str, Any], model_type: str, base: bool) -> None:
    config: dict[str, Any] = {**(LLAMA2_7B if base else {}), "model_type": model_type, **extra}
    try:
        result = count_parameters(config)
    except ModelFileError:
        return
    assert isinstance(result.total, int)
    assert result.active is None or result.active <= result.total


# --------------------------------------------------------------------------- experts read from the config's own keys

# DeepSeek-MoE 16B as published: 64 routed experts (6 per token) and 2 shared ones, first layer dense.
DEEPSEEK_MOE_16B = {
    "architectures": ["DeepseekForCausalLM"],
    "model_type": "deepseek",
    "hidden_size": 2048,
    "intermediate_size": 10944,
    "moe_intermediate_size": 1408,
    "n_routed_experts": 64,
    "n_shared_experts": 2,
    "num_experts_per_tok": 6,
    "first_k_dense_replace": 1,
    "moe_layer_freq": 1,
    "num_attention_heads": 16,
    "num_key_value_heads": 16,
    "num_hidden_layers": 28,
    "vocab_size": 102400,
    "hidden_act": "silu",
    "tie_word_embeddings": False,
}
# DBRX as published: 16 experts, 4 per token, the expert sizes nested in ffn_config.
DBRX = {
    "model_type": "dbrx",
    "d_model": 6144,
    "n_heads": 48,
    "n_layers": 40,
    "vocab_size": 100352,
    "attn_config": {"kv_n_heads": 8},
    "ffn_config": {"moe_num_experts": 16, "moe_top_k": 4, "ffn_hidden_size": 10752},
}
_MIXTRAL_KEYS = {"num_local_experts": 8, "num_experts_per_tok": 2}


def _without(config: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in keys}


def test_deepseek_moe_is_counted_with_its_experts() -> None:
    result = _count(DEEPSEEK_MOE_16B)
    assert result.family == "deepseek"
    assert _near(result.total, 16.4e9, 0.01)
    assert result.active is not None and _near(result.active, 2.8e9, 0.02)
    assert result.confidence is Confidence.CONFIDENT and result.exact is True
    # One dense layer of width 10944, 27 sparse ones: 64 routed + 2 shared experts and a router each.
    expert = 3 * 2048 * 1408
    embeddings, attention = 2 * 102400 * 2048, 28 * (4 * 2048 * 2048 + 2 * 2048)
    dense_layer = 3 * 2048 * 10944
    assert result.total == embeddings + 2048 + attention + dense_layer + 27 * (66 * expert + 64 * 2048)
    assert result.active == embeddings + 2048 + attention + dense_layer + 27 * (8 * expert + 64 * 2048)


def test_deepseek_without_experts_is_dense() -> None:
    config = _without(DEEPSEEK_MOE_16B, "n_routed_experts", "n_shared_experts", "moe_intermediate_size")
    result = _count(config)
    assert result.active is None
    assert result.total == _count({**config, "model_type": "llama", "architectures": ["LlamaForCausalLM"]}).total


@pytest.mark.parametrize("model_type", ["llama", "mistral", "yi", "granite", None])
def test_experts_are_recognised_on_a_dense_llama_like_type(model_type: str | None) -> None:
    config = {**MISTRAL_7B, **_MIXTRAL_KEYS, "model_type": model_type}
    if model_type is None:
        config = _without(config, "model_type") | {"architectures": ["LlamaForCausalLM"]}
    result = _count(config)
    assert result.total == _count(MIXTRAL_8X7B).total
    assert result.active == _count(MIXTRAL_8X7B).active
    assert result.confidence is Confidence.LIKELY  # experts on a layout whose implementation has none
    assert result.note is not None and "num_local_experts" in result.note


def test_deepseek_reference_code_arguments_are_read() -> None:
    # DeepSeek-V3 as its own inference code names the sizes (no model_type, no activation).
    config = {"vocab_size": 129280, "dim": 7168, "inter_dim": 18432, "moe_inter_dim": 2048, "n_layers": 61,
              "n_dense_layers": 3, "n_heads": 128, "n_routed_experts": 256, "n_shared_experts": 1,
              "n_activated_experts": 8, "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_nope_head_dim": 128,
              "qk_rope_head_dim": 64, "v_head_dim": 128}  # fmt: skip
    result = _count(config)
    assert _near(result.total, 671e9, 0.01)
    assert result.active is not None and _near(result.active, 37e9, 0.03)
    assert result.confidence is Confidence.SPECULATIVE  # the activation had to be guessed
    assert result.note is not None and "activation" in result.note
    no_compression = _count({**config, "q_lora_rank": 0})  # 0: no query compression, like null
    assert no_compression.total == _count(_without(config, "q_lora_rank")).total


def test_deepseek_style_keys_under_an_unknown_type_match_the_family_formula() -> None:
    config = _without(DEEPSEEK_MOE_16B, "architectures") | {"model_type": "brand_new_moe"}
    result = _count(config)
    known = _count(DEEPSEEK_MOE_16B)
    assert result.family == "generic"
    assert (result.total, result.active) == (known.total, known.active)
    assert result.confidence is Confidence.LIKELY


@pytest.mark.parametrize(
    ("expert_keys", "routed", "used", "width"),
    [
        ({"num_experts": 60, "num_experts_per_tok": 4, "moe_intermediate_size": 1408}, 60, 4, 1408),
        ({"n_routed_experts": 64, "num_experts_per_tok": 6, "moe_intermediate_size": 1408}, 64, 6, 1408),
        ({"moe_num_experts": 64, "moe_k": 6, "moe_intermediate_size": 3584}, 64, 6, 3584),
        ({"num_local_experts": 16, "moe_top_k": 2}, 16, 2, 6400),  # Mixtral's convention: expert = MLP width
        ({"ffn_config": {"moe_num_experts": 16, "moe_top_k": 4, "ffn_hidden_size": 10752}}, 16, 4, 10752),
    ],
)
def test_every_expert_key_family_is_read_under_an_unknown_type(
    expert_keys: dict[str, Any], routed: int, used: int, width: int
) -> None:
    h, layers = 2048, 12
    dense = {"model_type": "x", "hidden_size": h, "num_hidden_layers": layers, "num_attention_heads": 16,
             "intermediate_size": 6400, "vocab_size": 32000, "hidden_act": "silu"}  # fmt: skip
    result = _count({**dense, **expert_keys})
    expert = 3 * h * width
    base = _count(dense).total - layers * 3 * h * 6400
    assert result.total == base + layers * (routed * expert + routed * h)
    assert result.active == base + layers * (used * expert + routed * h)
    assert result.confidence is Confidence.LIKELY


def test_dbrx_is_exact_with_its_ffn_config_and_speculative_without() -> None:
    full = _count(DBRX)
    assert full.family == "dbrx" and full.confidence is Confidence.CONFIDENT
    assert _near(full.total, 132e9, 0.01)
    assert full.active is not None and _near(full.active, 36e9, 0.02)
    bare = _count(_without(DBRX, "ffn_config"))
    assert bare.confidence is Confidence.SPECULATIVE and bare.exact is False
    assert bare.note is not None and "ffn_config" in bare.note


def test_missing_expert_width_is_speculative_and_named() -> None:
    config = {**_without(DEEPSEEK_MOE_16B, "moe_intermediate_size", "architectures"), "model_type": "new_moe"}
    result = _count(config)
    assert result.confidence is Confidence.SPECULATIVE
    assert result.note is not None and "moe_intermediate_size" in result.note
    assert result.active is not None and result.total > result.active


def test_missing_top_k_is_speculative_and_named() -> None:
    result = _count(_without(MIXTRAL_8X7B, "num_experts_per_tok"))
    assert result.confidence is Confidence.SPECULATIVE
    assert result.note is not None and "num_experts_per_tok" in result.note
    result = _count({**MISTRAL_7B, "num_local_experts": 8})
    assert result.confidence is Confidence.SPECULATIVE
    assert result.note is not None and "num_experts_per_tok" in result.note


def test_experts_on_a_family_whose_formula_is_dense_are_flagged() -> None:
    result = _count({**GPT2, "num_local_experts": 8, "num_experts_per_tok": 2})
    assert result.total == _count(GPT2).total
    assert result.confidence is Confidence.SPECULATIVE
    assert result.note is not None and "num_local_experts = 8" in result.note and "gpt2" in result.note


@pytest.mark.parametrize("count_key", ["num_experts", "num_local_experts", "n_routed_experts"])
@pytest.mark.parametrize("value", [0, 1])
def test_one_or_no_expert_is_a_dense_model(count_key: str, value: int) -> None:
    result = _count({**LLAMA2_7B, count_key: value})
    assert result.total == _count(LLAMA2_7B).total
    assert result.active is None
    assert result.confidence is Confidence.CONFIDENT


@pytest.mark.parametrize(
    ("pattern", "sparse_layers"),
    [
        ({}, [0, 1, 2, 3, 4, 5, 6, 7]),
        ({"first_k_dense_replace": 3}, [3, 4, 5, 6, 7]),
        ({"moe_layer_freq": 2}, [0, 2, 4, 6]),  # DeepSeek: counted from the first layer
        ({"decoder_sparse_step": 2}, [1, 3, 5, 7]),  # Qwen: the last layer of each period
        ({"interleave_moe_layer_step": 4}, [3, 7]),
        ({"moe_layer_freq": [0, 1, 1, 0, 0, 1, 0, 0]}, [1, 2, 5]),
        ({"mlp_only_layers": [0, 7]}, [1, 2, 3, 4, 5, 6]),
        ({"moe_layers": [2, 5]}, [2, 5]),
        ({"moe_layer_start_index": 2, "moe_layer_interval": 3}, [2, 5]),
        ({"expert_layer_period": 2, "expert_layer_offset": 1}, [1, 3, 5, 7]),
    ],
)
def test_layer_patterns_decide_which_layers_hold_experts(pattern: dict[str, Any], sparse_layers: list[int]) -> None:
    h, inter, width, n = 512, 1536, 256, 8
    config = {"model_type": "new_moe", "hidden_size": h, "num_hidden_layers": 8, "num_attention_heads": 8,
              "vocab_size": 1000, "hidden_act": "silu", "intermediate_size": inter, "num_experts": n,
              "num_experts_per_tok": 2, "moe_intermediate_size": width, **pattern}  # fmt: skip
    result = _count(config)
    sparse = len(sparse_layers)
    dense = _count(_without(config, "num_experts")).total
    assert result.total == dense + sparse * (n * 3 * h * width + n * h - 3 * h * inter)


@settings(max_examples=150, deadline=None)
@given(
    model_type=st.sampled_from(["llama", "mistral", "qwen2", "deepseek", "mystery_lm"]),
    count_key=st.sampled_from(["num_experts", "n_routed_experts", "moe_num_experts", "num_local_experts"]),
    experts=st.integers(2, 128),
    data=st.data(),
    width=st.integers(1, 64).map(lambda x: 64 * x),
    layers=st.integers(1, 6),
)
def test_routed_experts_not_taken_are_exactly_the_inactive_share(
    model_type: str, count_key: str, experts: int, data: st.DataObject, width: int, layers: int
) -> None:
    used = data.draw(st.integers(1, experts))
    h = 256
    config = {"model_type": model_type, "hidden_size": h, "num_hidden_layers": layers, "num_attention_heads": 4,
              "vocab_size": 500, "intermediate_size": 704, "hidden_act": "silu", count_key: experts,
              "num_experts_per_tok": used, "moe_intermediate_size": width}  # fmt: skip
    result = count_parameters(config)
    assert result.active is not None
    assert result.total - result.active == layers * (experts - used) * 3 * h * width
    assert result.confidence in (Confidence.CONFIDENT, Confidence.LIKELY)
    more = count_parameters({**config, count_key: experts + 1})
    assert more.total - result.total == layers * (3 * h * width + h)


# --------------------------------------------------------------------------- confidence tiers


def test_confidence_is_earned() -> None:
    assert _count(LLAMA2_7B).confidence is Confidence.CONFIDENT
    complete = {"model_type": "brand_new_lm", "hidden_size": 1024, "num_hidden_layers": 4, "num_attention_heads": 8,
                "intermediate_size": 4096, "vocab_size": 1000}  # fmt: skip
    assert _count(complete).confidence is Confidence.LIKELY
    for key in ("num_attention_heads", "intermediate_size", "vocab_size"):
        partial = _count(_without(complete, key))
        assert partial.confidence is Confidence.SPECULATIVE
        assert partial.note is not None and "generic" in partial.note


def test_a_count_built_without_a_confidence_follows_exact() -> None:
    assert ParamCount(1, None, "x", True).confidence is Confidence.CONFIDENT
    assert ParamCount(1, None, "x", False).confidence is Confidence.SPECULATIVE


@pytest.mark.parametrize(
    ("name", "moe"),
    [
        ("mixtral", True),
        ("MixtralForCausalLM", True),
        ("qwen3_moe", True),
        ("Qwen3MoeForCausalLM", True),
        ("deepseek_v3", True),
        ("DeepseekForCausalLM", True),
        ("DbrxForCausalLM", True),
        ("ernie4_5_moe", True),
        ("llama", False),
        ("LlamaForCausalLM", False),
        ("qwen2", False),
        ("gpt2", False),
        ("", False),
        ("x" * 1000, False),
    ],
)
def test_names_moe_family(name: str, moe: bool) -> None:
    assert names_moe_family(name) is moe
