"""Tensor layouts generated from configs: counts match the published checkpoints."""

from __future__ import annotations

import json
import math
import struct

import pytest

from compliance.facts.safetensors import parse_header
from web.hubserver.layouts import (
    LayoutError,
    build_shards,
    encode_header,
    index_json,
    parameter_counts,
    shard_tensors,
    tensors_for,
)

LLAMA_8B = {
    "architectures": ["LlamaForCausalLM"],
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
}


def total(config: dict, dtype: str | None = None) -> int:
    return sum(math.prod(shape) for _, _, shape in tensors_for(config, dtype))


def test_llama_3_1_8b_matches_the_published_count() -> None:
    assert total(LLAMA_8B) == 8_030_261_248


def test_llama_3_1_405b_matches_the_published_count() -> None:
    config = dict(LLAMA_8B, hidden_size=16384, intermediate_size=53248, num_attention_heads=128, num_hidden_layers=126)
    assert total(config) == 405_853_388_800


def test_qwen2_72b_adds_qkv_biases() -> None:
    config = dict(
        LLAMA_8B,
        architectures=["Qwen2ForCausalLM"],
        hidden_size=8192,
        intermediate_size=29568,
        num_attention_heads=64,
        num_hidden_layers=80,
        vocab_size=152064,
    )
    names = {name for name, _, _ in tensors_for(config)}
    assert "model.layers.0.self_attn.q_proj.bias" in names
    assert "model.layers.0.self_attn.o_proj.bias" not in names
    assert total(config) == 72_706_203_648  # Qwen2.5-72B-Instruct's exact count, same architecture


def test_mixtral_counts_all_experts() -> None:
    config = dict(LLAMA_8B, architectures=["MixtralForCausalLM"], vocab_size=32000, num_local_experts=8)
    assert total(config) == 46_702_792_704


def test_gemma2_ties_embeddings_and_adds_norms() -> None:
    config = {
        "architectures": ["Gemma2ForCausalLM"],
        "head_dim": 128,
        "hidden_size": 4608,
        "intermediate_size": 36864,
        "num_attention_heads": 32,
        "num_hidden_layers": 46,
        "num_key_value_heads": 16,
        "vocab_size": 256000,
    }
    names = {name for name, _, _ in tensors_for(config)}
    assert "lm_head.weight" not in names
    assert "model.layers.45.pre_feedforward_layernorm.weight" in names
    assert total(config) == 27_227_128_320


def test_phi3_fuses_projections() -> None:
    config = dict(
        LLAMA_8B,
        architectures=["Phi3ForCausalLM"],
        hidden_size=5120,
        intermediate_size=17920,
        num_attention_heads=40,
        num_hidden_layers=40,
        num_key_value_heads=10,
        vocab_size=100352,
    )
    shapes = {name: shape for name, _, shape in tensors_for(config)}
    assert shapes["model.layers.0.self_attn.qkv_proj.weight"] == (7680, 5120)
    assert shapes["model.layers.0.mlp.gate_up_proj.weight"] == (35840, 5120)
    assert total(config) == 14_659_507_200


def test_qwen3_moe_has_per_head_norms_and_experts() -> None:
    config = {
        "architectures": ["Qwen3MoeForCausalLM"],
        "head_dim": 128,
        "hidden_size": 2048,
        "intermediate_size": 6144,
        "moe_intermediate_size": 768,
        "num_attention_heads": 32,
        "num_experts": 128,
        "num_hidden_layers": 48,
        "num_key_value_heads": 4,
        "vocab_size": 151936,
        "tie_word_embeddings": False,
    }
    shapes = {name: shape for name, _, shape in tensors_for(config)}
    assert shapes["model.layers.0.self_attn.q_norm.weight"] == (128,)
    assert shapes["model.layers.47.mlp.experts.127.down_proj.weight"] == (2048, 768)
    assert total(config) == 30_532_122_624


def test_deepseek_v3_is_block_fp8_with_an_mtp_layer() -> None:
    config = {
        "architectures": ["DeepseekV3ForCausalLM"],
        "hidden_size": 7168,
        "intermediate_size": 18432,
        "moe_intermediate_size": 2048,
        "num_attention_heads": 128,
        "num_hidden_layers": 61,
        "vocab_size": 129280,
        "q_lora_rank": 1536,
        "kv_lora_rank": 512,
        "qk_nope_head_dim": 128,
        "qk_rope_head_dim": 64,
        "v_head_dim": 128,
        "n_routed_experts": 256,
        "n_shared_experts": 1,
        "first_k_dense_replace": 3,
        "num_nextn_predict_layers": 1,
        "topk_method": "noaux_tc",
        "quantization_config": {"quant_method": "fp8", "weight_block_size": [128, 128]},
    }
    tensors = {name: (dtype, shape) for name, dtype, shape in tensors_for(config)}
    assert tensors["model.layers.3.mlp.experts.0.gate_proj.weight"] == ("F8_E4M3", (2048, 7168))
    assert tensors["model.layers.3.mlp.experts.0.gate_proj.weight_scale_inv"] == ("F32", (16, 56))
    assert tensors["model.layers.3.mlp.gate.weight"][0] == "BF16"  # the router stays in BF16
    assert "model.layers.2.mlp.experts.0.up_proj.weight" not in tensors  # dense first layers
    assert tensors["model.layers.61.eh_proj.weight"] == ("BF16", (7168, 14336))
    main = sum(math.prod(s) for n, (d, s) in tensors.items() if ".layers.61." not in n and d != "F32")
    assert 670e9 < main < 672e9  # "671B total parameters"
    assert 684e9 < sum(math.prod(s) for _, s in tensors.values()) < 686e9  # "685B on Hugging Face"


def test_gpt2_keeps_mask_buffers_the_hub_counts() -> None:
    config = {
        "architectures": ["GPT2LMHeadModel"],
        "n_embd": 1600,
        "n_layer": 48,
        "n_head": 25,
        "n_positions": 1024,
        "vocab_size": 50257,
    }
    assert total(config, "F32") == 1_557_611_200 + 48 * 1024 * 1024


def test_pythia_matches_its_exact_count() -> None:
    config = {
        "architectures": ["GPTNeoXForCausalLM"],
        "hidden_size": 5120,
        "intermediate_size": 20480,
        "num_attention_heads": 40,
        "num_hidden_layers": 36,
        "vocab_size": 50688,
    }
    assert total(config) == 11_846_072_320


def test_awq_packs_eight_int4_values_per_int32() -> None:
    config = dict(LLAMA_8B, quantization_config={"quant_method": "awq", "bits": 4, "group_size": 128})
    tensors = {name: (dtype, shape) for name, dtype, shape in tensors_for(config)}
    assert tensors["model.layers.0.mlp.down_proj.qweight"] == ("I32", (14336, 512))
    assert tensors["model.layers.0.mlp.down_proj.scales"] == ("F16", (112, 4096))
    assert tensors["model.embed_tokens.weight"][0] == "F16"
    assert "model.layers.0.mlp.down_proj.weight" not in tensors


def test_unknown_architecture_is_refused() -> None:
    with pytest.raises(LayoutError, match="MambaForCausalLM"):
        tensors_for({"architectures": ["MambaForCausalLM"]})
    with pytest.raises(LayoutError, match="lacks"):
        tensors_for({"architectures": ["LlamaForCausalLM"], "hidden_size": 64})


def test_shards_are_balanced_and_keep_order() -> None:
    tensors = tensors_for(LLAMA_8B)
    groups = shard_tensors(tensors, 4)
    assert [t for g in groups for t in g] == tensors
    sizes = [sum(math.prod(s) * 2 for _, _, s in g) for g in groups]
    assert max(sizes) / min(sizes) < 1.5


def test_headers_pass_the_projects_own_validator() -> None:
    shards = build_shards(tensors_for(LLAMA_8B), 4)
    assert [s.name for s in shards][-1] == "model-00004-of-00004.safetensors"
    for shard in shards:
        (length,) = struct.unpack("<Q", shard.prefix[:8])
        assert length % 8 == 0 and len(shard.prefix) == 8 + length
        header = json.loads(shard.prefix[8:])
        tensors, metadata = parse_header(header, data_size=shard.size - len(shard.prefix), source=shard.name)
        assert metadata == {"format": "pt"} and tensors
    index = json.loads(index_json(shards))
    assert len(index["weight_map"]) == 291
    assert index["metadata"]["total_size"] == 8_030_261_248 * 2
    assert parameter_counts([s.header for s in shards]) == {"BF16": 8_030_261_248}


def test_a_single_shard_is_model_safetensors() -> None:
    tiny = dict(LLAMA_8B, hidden_size=64, intermediate_size=128, num_attention_heads=4, num_key_value_heads=2)
    tiny.update(num_hidden_layers=2, vocab_size=256)
    (shard,) = build_shards(tensors_for(tiny))
    assert shard.name == "model.safetensors"


def test_encode_header_pads_with_spaces() -> None:
    header = {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
    raw = json.dumps(header, separators=(",", ":")).encode()
    prefix = encode_header(header)
    (length,) = struct.unpack("<Q", prefix[:8])
    assert length % 8 == 0 and length >= len(raw)
    assert prefix[8:] == raw + b" " * (length - len(raw))
    assert json.loads(prefix[8:]) == header
