"""Small builders for test data: safetensors files, model directories, configs, cards."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

BYTES = {"F32": 4, "BF16": 2, "F16": 2, "I64": 8, "I32": 4, "U8": 1, "F8_E4M3": 1}


def _header(tensors: dict[str, tuple[str, list[int]]]) -> tuple[dict[str, Any], int]:
    """A safetensors header for tensors laid out back to back, and the data size it implies."""
    header: dict[str, Any] = {}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        n = 1
        for d in shape:
            n *= d
        size = n * BYTES[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    return header, offset


def safetensors_bytes(tensors: dict[str, tuple[str, list[int]]], *, metadata: dict[str, str] | None = None) -> bytes:
    """A complete, valid safetensors file (zero data) for the given tensor dtypes and shapes."""
    header, size = _header(tensors)
    if metadata:
        header["__metadata__"] = metadata
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + b"\0" * size


def write_sparse_safetensors(path: Path, tensors: dict[str, tuple[str, list[int]]]) -> int:
    """Write a header and extend the file to its full size without writing data (a sparse file)."""
    header, size = _header(tensors)
    raw = json.dumps(header).encode()
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw)
        fh.truncate(8 + len(raw) + size)
    return 8 + len(raw) + size


TINY_LLAMA_CONFIG: dict[str, Any] = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 64,
    "intermediate_size": 172,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 128,
    "tie_word_embeddings": False,
}


def tiny_llama_tensors(
    cfg: dict[str, Any] = TINY_LLAMA_CONFIG, dtype: str = "BF16"
) -> dict[str, tuple[str, list[int]]]:
    """The tensor layout of a Llama model with the given config."""
    h, i, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    heads, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = h // heads
    out: dict[str, tuple[str, list[int]]] = {"model.embed_tokens.weight": (dtype, [v, h])}
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        out[p + "self_attn.q_proj.weight"] = (dtype, [heads * hd, h])
        out[p + "self_attn.k_proj.weight"] = (dtype, [kv * hd, h])
        out[p + "self_attn.v_proj.weight"] = (dtype, [kv * hd, h])
        out[p + "self_attn.o_proj.weight"] = (dtype, [h, heads * hd])
        out[p + "mlp.gate_proj.weight"] = (dtype, [i, h])
        out[p + "mlp.up_proj.weight"] = (dtype, [i, h])
        out[p + "mlp.down_proj.weight"] = (dtype, [h, i])
        out[p + "input_layernorm.weight"] = (dtype, [h])
        out[p + "post_attention_layernorm.weight"] = (dtype, [h])
    out["model.norm.weight"] = (dtype, [h])
    out["lm_head.weight"] = (dtype, [v, h])
    return out


def count(tensors: dict[str, tuple[str, list[int]]]) -> int:
    """Total elements of a tensor layout."""
    total = 0
    for _dtype, shape in tensors.values():
        n = 1
        for d in shape:
            n *= d
        total += n
    return total


CARD = """---
license: apache-2.0
pipeline_tag: text-generation
---
# Tiny model

This model was pretrained on 2T tokens of public web text.
"""


def model_dir(root: Path, *, config: dict[str, Any] | None = TINY_LLAMA_CONFIG, card: str | None = CARD,
              tensors: dict[str, tuple[str, list[int]]] | None = None) -> Path:  # fmt: skip
    """A model directory with config.json, README.md and model.safetensors (each optional)."""
    root.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (root / "config.json").write_text(json.dumps(config))
    if card is not None:
        (root / "README.md").write_text(card)
    if tensors is not None:
        (root / "model.safetensors").write_bytes(safetensors_bytes(tensors))
    return root
