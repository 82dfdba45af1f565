"""Tensor layouts for generating realistic safetensors headers without any weights."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

DTYPE_BYTES = {"BF16": 2, "F16": 2, "F32": 4}

# Llama 3.1 405B's published hyper-parameters.
LLAMA_405B: dict[str, Any] = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 16384,
    "intermediate_size": 53248,
    "num_hidden_layers": 126,
    "num_attention_heads": 128,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "max_position_embeddings": 131072,
    "rms_norm_eps": 1e-05,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
}


def llama_tensors(cfg: dict[str, Any], dtype: str = "BF16") -> list[tuple[str, str, list[int]]]:
    """(name, dtype, shape) for every tensor of a Llama-architecture model."""
    h, i, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    heads, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = h // heads
    out = [("model.embed_tokens.weight", dtype, [v, h])]
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        out += [
            (p + "self_attn.q_proj.weight", dtype, [heads * hd, h]),
            (p + "self_attn.k_proj.weight", dtype, [kv * hd, h]),
            (p + "self_attn.v_proj.weight", dtype, [kv * hd, h]),
            (p + "self_attn.o_proj.weight", dtype, [h, heads * hd]),
            (p + "mlp.gate_proj.weight", dtype, [i, h]),
            (p + "mlp.up_proj.weight", dtype, [i, h]),
            (p + "mlp.down_proj.weight", dtype, [h, i]),
            (p + "input_layernorm.weight", dtype, [h]),
            (p + "post_attention_layernorm.weight", dtype, [h]),
        ]
    out += [("model.norm.weight", dtype, [h]), ("lm_head.weight", dtype, [v, h])]
    return out


def write_sharded(directory: Path, tensors: list[tuple[str, str, list[int]]], shards: int) -> int:
    """Write ``shards`` sparse safetensors files plus the index; returns the apparent size in bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    bounds = [len(tensors) * k // shards for k in range(shards + 1)]
    weight_map: dict[str, str] = {}
    total = 0
    for k in range(shards):
        name = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
        header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
        offset = 0
        for tname, dtype, shape in tensors[bounds[k] : bounds[k + 1]]:
            n = 1
            for d in shape:
                n *= d
            size = n * DTYPE_BYTES[dtype]
            header[tname] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
            weight_map[tname] = name
            offset += size
        raw = json.dumps(header).encode()
        with (directory / name).open("wb") as fh:
            fh.write(struct.pack("<Q", len(raw)) + raw)
            fh.truncate(8 + len(raw) + offset)  # sparse: the data is never written
        total += 8 + len(raw) + offset
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (directory / "model.safetensors.index.json").write_text(json.dumps(index))
    return total
