"""Tensor layouts generated from a config.json, and safetensors shards built from them.

The demo registry stores each model's config, never its weights. This module rebuilds the list
of tensors (name, dtype, shape) a checkpoint of that architecture holds, applies the published
storage format (block-FP8 with scale tensors, AWQ int4 packing, MXFP4 experts), splits the
tensors into shards and writes each shard's header. Shapes follow the Hugging Face modelling
code of each architecture; counts match the published checkpoints.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Tensor = tuple[str, str, tuple[int, ...]]
Config = dict[str, Any]

BITS: dict[str, int] = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E4M3": 8, "F8_E5M2": 8,
    "I16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "I64": 64, "F64": 64,
}  # fmt: skip
TORCH_DTYPES = {"bfloat16": "BF16", "float16": "F16", "float32": "F32", "half": "F16", "float": "F32"}
DEFAULT_SHARD_BYTES = 5_000_000_000
INDEX_NAME = "model.safetensors.index.json"


class LayoutError(ValueError):
    """The config does not describe an architecture this module can lay out."""


def nbytes(dtype: str, shape: tuple[int, ...]) -> int:
    """Bytes a tensor occupies in a safetensors file."""
    return math.ceil(math.prod(shape) * BITS[dtype] / 8)


def default_dtype(config: Config) -> str:
    """The stored dtype named by ``torch_dtype`` (BF16 when absent)."""
    return TORCH_DTYPES.get(str(config.get("torch_dtype") or "bfloat16"), "BF16")


@dataclass(frozen=True, slots=True)
class _Dims:
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    layers: int

    @classmethod
    def of(cls, c: Config) -> _Dims:
        hidden = int(c["hidden_size"])
        heads = int(c["num_attention_heads"])
        return cls(
            hidden=hidden,
            heads=heads,
            kv_heads=int(c.get("num_key_value_heads") or heads),
            head_dim=int(c.get("head_dim") or hidden // heads),
            intermediate=int(c.get("intermediate_size") or 4 * hidden),
            vocab=int(c["vocab_size"]),
            layers=int(c["num_hidden_layers"]),
        )


def _attention(
    p: str, d: _Dims, dt: str, *, qkv_bias: bool = False, o_bias: bool = False, qk_norm: str = "", fused: bool = False
) -> list[Tensor]:
    q, kv = d.heads * d.head_dim, d.kv_heads * d.head_dim
    out: list[Tensor] = []
    if fused:
        out.append((p + "self_attn.qkv_proj.weight", dt, (q + 2 * kv, d.hidden)))
    else:
        for name, rows in (("q_proj", q), ("k_proj", kv), ("v_proj", kv)):
            out.append((f"{p}self_attn.{name}.weight", dt, (rows, d.hidden)))
            if qkv_bias:
                out.append((f"{p}self_attn.{name}.bias", dt, (rows,)))
    out.append((p + "self_attn.o_proj.weight", dt, (d.hidden, q)))
    if o_bias:
        out.append((p + "self_attn.o_proj.bias", dt, (d.hidden,)))
    if qk_norm == "head":
        out += [(p + "self_attn.q_norm.weight", dt, (d.head_dim,)), (p + "self_attn.k_norm.weight", dt, (d.head_dim,))]
    elif qk_norm == "full":
        out += [(p + "self_attn.q_norm.weight", dt, (q,)), (p + "self_attn.k_norm.weight", dt, (kv,))]
    return out


def _mlp(p: str, hidden: int, inter: int, dt: str, *, fused: bool = False, bias: bool = False) -> list[Tensor]:
    if fused:
        return [(p + "gate_up_proj.weight", dt, (2 * inter, hidden)), (p + "down_proj.weight", dt, (hidden, inter))]
    out: list[Tensor] = []
    for name, shape in (("gate_proj", (inter, hidden)), ("up_proj", (inter, hidden)), ("down_proj", (hidden, inter))):
        out.append((f"{p}{name}.weight", dt, shape))
        if bias:
            out.append((f"{p}{name}.bias", dt, (shape[0],)))
    return out


def _ends(prefix: str, d: _Dims, dt: str, tied: bool) -> tuple[list[Tensor], list[Tensor]]:
    head: list[Tensor] = [(prefix + "model.embed_tokens.weight", dt, (d.vocab, d.hidden))]
    tail: list[Tensor] = [(prefix + "model.norm.weight", dt, (d.hidden,))]
    if not tied:
        tail.append((prefix + "lm_head.weight", dt, (d.vocab, d.hidden)))
    return head, tail


def decoder(c: Config, dt: str, *, prefix: str = "") -> list[Tensor]:
    """Llama and its close relatives: Mistral, Qwen2/3, OLMo 2, Gemma 2, Phi-3/4, Mixtral, Qwen3-MoE."""
    arch = _arch(c)
    d = _Dims.of(c)
    tied = bool(c.get("tie_word_embeddings", arch.startswith("Gemma")))
    bias = bool(c.get("attention_bias", False))
    attn: dict[str, Any] = {"qkv_bias": bias, "o_bias": bias}
    norms = ["input_layernorm", "post_attention_layernorm"]
    fused = False
    if arch == "Qwen2ForCausalLM":
        attn = {"qkv_bias": True}
    elif arch in ("Qwen3ForCausalLM", "Qwen3MoeForCausalLM"):
        attn["qk_norm"] = "head"
    elif arch == "Olmo2ForCausalLM":
        attn["qk_norm"] = "full"
        norms = ["post_attention_layernorm", "post_feedforward_layernorm"]
    elif arch.startswith("Gemma2"):
        norms += ["pre_feedforward_layernorm", "post_feedforward_layernorm"]
    elif arch == "Phi3ForCausalLM":
        fused = True
    head, tail = _ends(prefix, d, dt, tied)
    out = head
    for layer in range(d.layers):
        p = f"{prefix}model.layers.{layer}."
        out += _attention(p, d, dt, fused=fused, **attn)
        out += _decoder_mlp(c, arch, p, d, dt, layer, fused)
        out += [(p + n + ".weight", dt, (d.hidden,)) for n in norms]
    return out + tail


def _decoder_mlp(c: Config, arch: str, p: str, d: _Dims, dt: str, layer: int, fused: bool) -> list[Tensor]:
    if arch == "MixtralForCausalLM":
        experts = int(c["num_local_experts"])
        out: list[Tensor] = [(p + "block_sparse_moe.gate.weight", dt, (experts, d.hidden))]
        for j in range(experts):
            e = f"{p}block_sparse_moe.experts.{j}."
            out += [
                (e + "w1.weight", dt, (d.intermediate, d.hidden)),
                (e + "w2.weight", dt, (d.hidden, d.intermediate)),
                (e + "w3.weight", dt, (d.intermediate, d.hidden)),
            ]
        return out
    if arch == "Qwen3MoeForCausalLM":
        step = int(c.get("decoder_sparse_step") or 1)
        experts = int(c.get("num_experts") or 0)
        sparse = layer not in (c.get("mlp_only_layers") or []) and experts > 0 and (layer + 1) % step == 0
        if sparse:
            inter = int(c["moe_intermediate_size"])
            out = [(p + "mlp.gate.weight", dt, (experts, d.hidden))]
            for j in range(experts):
                out += _mlp(f"{p}mlp.experts.{j}.", d.hidden, inter, dt)
            return out
    return _mlp(p + "mlp.", d.hidden, d.intermediate, dt, fused=fused, bias=bool(c.get("mlp_bias", False)))


def deepseek_v3(c: Config, dt: str) -> list[Tensor]:
    """DeepSeek-V3 family (also Kimi K2): multi-head latent attention, shared + routed experts, MTP layers."""
    d = _Dims.of(c)
    h = d.hidden
    nope, rope, v_dim = int(c["qk_nope_head_dim"]), int(c["qk_rope_head_dim"]), int(c["v_head_dim"])
    q_rank, kv_rank = c.get("q_lora_rank"), int(c["kv_lora_rank"])
    experts, moe_inter = int(c.get("n_routed_experts") or 0), int(c.get("moe_intermediate_size") or 0)
    shared = int(c.get("n_shared_experts") or 0)
    dense_first, freq = int(c.get("first_k_dense_replace") or 0), int(c.get("moe_layer_freq") or 1)

    def layer_tensors(layer: int) -> list[Tensor]:
        p = f"model.layers.{layer}."
        a = p + "self_attn."
        out: list[Tensor] = []
        if q_rank:
            out += [
                (a + "q_a_proj.weight", dt, (int(q_rank), h)),
                (a + "q_a_layernorm.weight", dt, (int(q_rank),)),
                (a + "q_b_proj.weight", dt, (d.heads * (nope + rope), int(q_rank))),
            ]
        else:
            out.append((a + "q_proj.weight", dt, (d.heads * (nope + rope), h)))
        out += [
            (a + "kv_a_proj_with_mqa.weight", dt, (kv_rank + rope, h)),
            (a + "kv_a_layernorm.weight", dt, (kv_rank,)),
            (a + "kv_b_proj.weight", dt, (d.heads * (nope + v_dim), kv_rank)),
            (a + "o_proj.weight", dt, (h, d.heads * v_dim)),
        ]
        if experts and layer >= dense_first and layer % freq == 0:
            out.append((p + "mlp.gate.weight", dt, (experts, h)))
            if c.get("topk_method") == "noaux_tc":
                out.append((p + "mlp.gate.e_score_correction_bias", "F32", (experts,)))
            for j in range(experts):
                out += _mlp(f"{p}mlp.experts.{j}.", h, moe_inter, dt)
            if shared:
                out += _mlp(p + "mlp.shared_experts.", h, moe_inter * shared, dt)
        else:
            out += _mlp(p + "mlp.", h, d.intermediate, dt)
        out += [(p + "input_layernorm.weight", dt, (h,)), (p + "post_attention_layernorm.weight", dt, (h,))]
        return out

    out: list[Tensor] = [("model.embed_tokens.weight", dt, (d.vocab, h))]
    for layer in range(d.layers):
        out += layer_tensors(layer)
    out += [("model.norm.weight", dt, (h,)), ("lm_head.weight", dt, (d.vocab, h))]
    for k in range(int(c.get("num_nextn_predict_layers") or 0)):
        layer = d.layers + k
        p = f"model.layers.{layer}."
        out += layer_tensors(layer)
        out += [
            (p + "embed_tokens.weight", dt, (d.vocab, h)),
            (p + "enorm.weight", dt, (h,)),
            (p + "hnorm.weight", dt, (h,)),
            (p + "eh_proj.weight", dt, (h, 2 * h)),
            (p + "shared_head.norm.weight", dt, (h,)),
            (p + "shared_head.head.weight", dt, (d.vocab, h)),
        ]
    return out


def gpt_oss(c: Config, dt: str) -> list[Tensor]:
    """gpt-oss: attention with biases and sinks, biased router, experts stored MXFP4 when quantized."""
    d = _Dims.of(c)
    h, inter = d.hidden, d.intermediate
    experts = int(c.get("num_local_experts") or c.get("num_experts") or 0)
    mxfp4 = (c.get("quantization_config") or {}).get("quant_method") == "mxfp4"
    out: list[Tensor] = [("model.embed_tokens.weight", dt, (d.vocab, h))]
    for layer in range(d.layers):
        p = f"model.layers.{layer}."
        out += _attention(p, d, dt, qkv_bias=True, o_bias=True)
        out += [
            (p + "self_attn.sinks", dt, (d.heads,)),
            (p + "mlp.router.weight", dt, (experts, h)),
            (p + "mlp.router.bias", dt, (experts,)),
        ]
        e = p + "mlp.experts."
        if mxfp4:
            # 32 four-bit values share one 8-bit scale; 16 bytes hold a block of 32 values.
            out += [
                (e + "gate_up_proj_blocks", "U8", (experts, 2 * inter, h // 32, 16)),
                (e + "gate_up_proj_scales", "U8", (experts, 2 * inter, h // 32)),
                (e + "down_proj_blocks", "U8", (experts, h, inter // 32, 16)),
                (e + "down_proj_scales", "U8", (experts, h, inter // 32)),
            ]
        else:
            out += [(e + "gate_up_proj", dt, (experts, h, 2 * inter)), (e + "down_proj", dt, (experts, inter, h))]
        out += [
            (e + "gate_up_proj_bias", dt, (experts, 2 * inter)),
            (e + "down_proj_bias", dt, (experts, h)),
            (p + "input_layernorm.weight", dt, (h,)),
            (p + "post_attention_layernorm.weight", dt, (h,)),
        ]
    return [*out, ("model.norm.weight", dt, (h,)), ("lm_head.weight", dt, (d.vocab, h))]


def gpt2(c: Config, dt: str) -> list[Tensor]:
    """GPT-2: Conv1D weights stored (in, out), learned positions, tied head, causal-mask buffers."""
    h, layers, ctx = int(c["n_embd"]), int(c["n_layer"]), int(c["n_positions"])
    inner = int(c.get("n_inner") or 4 * h)
    out: list[Tensor] = [("wte.weight", dt, (int(c["vocab_size"]), h)), ("wpe.weight", dt, (ctx, h))]
    for layer in range(layers):
        p = f"h.{layer}."
        out += [
            (p + "ln_1.weight", dt, (h,)), (p + "ln_1.bias", dt, (h,)),
            # The published checkpoints keep the causal mask as a buffer; the hub counts it.
            (p + "attn.bias", dt, (1, 1, ctx, ctx)),
            (p + "attn.c_attn.weight", dt, (h, 3 * h)), (p + "attn.c_attn.bias", dt, (3 * h,)),
            (p + "attn.c_proj.weight", dt, (h, h)), (p + "attn.c_proj.bias", dt, (h,)),
            (p + "ln_2.weight", dt, (h,)), (p + "ln_2.bias", dt, (h,)),
            (p + "mlp.c_fc.weight", dt, (h, inner)), (p + "mlp.c_fc.bias", dt, (inner,)),
            (p + "mlp.c_proj.weight", dt, (inner, h)), (p + "mlp.c_proj.bias", dt, (h,)),
        ]  # fmt: skip
    return [*out, ("ln_f.weight", dt, (h,)), ("ln_f.bias", dt, (h,))]


def _linear(name: str, dt: str, rows: int, cols: int, bias: bool) -> list[Tensor]:
    out: list[Tensor] = [(name + ".weight", dt, (rows, cols))]
    if bias:
        out.append((name + ".bias", dt, (rows,)))
    return out


def _norm(name: str, dt: str, width: int, bias: bool = True) -> list[Tensor]:
    out: list[Tensor] = [(name + ".weight", dt, (width,))]
    if bias:
        out.append((name + ".bias", dt, (width,)))
    return out


def gpt_neox(c: Config, dt: str) -> list[Tensor]:
    """GPT-NeoX / Pythia: fused QKV with biases, untied output embedding."""
    d = _Dims.of(c)
    h = d.hidden
    out: list[Tensor] = [("gpt_neox.embed_in.weight", dt, (d.vocab, h))]
    for layer in range(d.layers):
        p = f"gpt_neox.layers.{layer}."
        out += _norm(p + "input_layernorm", dt, h) + _norm(p + "post_attention_layernorm", dt, h)
        out += _linear(p + "attention.query_key_value", dt, 3 * h, h, True)
        out += _linear(p + "attention.dense", dt, h, h, True)
        out += _linear(p + "mlp.dense_h_to_4h", dt, d.intermediate, h, True)
        out += _linear(p + "mlp.dense_4h_to_h", dt, h, d.intermediate, True)
    return out + _norm("gpt_neox.final_layer_norm", dt, h) + [("embed_out.weight", dt, (d.vocab, h))]


def falcon(c: Config, dt: str) -> list[Tensor]:
    """Falcon with the "new decoder architecture" (40B/180B): grouped KV, parallel attention and MLP."""
    h, heads, layers = int(c["hidden_size"]), int(c["num_attention_heads"]), int(c["num_hidden_layers"])
    kv = int(c.get("num_kv_heads") or heads)
    hd, bias, vocab = h // heads, bool(c.get("bias", False)), int(c["vocab_size"])
    out: list[Tensor] = [("transformer.word_embeddings.weight", dt, (vocab, h))]
    for layer in range(layers):
        p = f"transformer.h.{layer}."
        out += _norm(p + "ln_attn", dt, h) + _norm(p + "ln_mlp", dt, h)
        out += _linear(p + "self_attention.query_key_value", dt, (heads + 2 * kv) * hd, h, bias)
        out += _linear(p + "self_attention.dense", dt, h, h, bias)
        out += _linear(p + "mlp.dense_h_to_4h", dt, 4 * h, h, bias)
        out += _linear(p + "mlp.dense_4h_to_h", dt, h, 4 * h, bias)
    out += _norm("transformer.ln_f", dt, h)
    if not c.get("tie_word_embeddings", True):
        out.append(("lm_head.weight", dt, (vocab, h)))
    return out


def bloom(c: Config, dt: str) -> list[Tensor]:
    """BLOOM: ALiBi (no position table), embedding layer norm, biased linears, tied head."""
    h, layers, vocab = int(c.get("hidden_size") or c["n_embed"]), int(c["n_layer"]), int(c["vocab_size"])
    out: list[Tensor] = [("word_embeddings.weight", dt, (vocab, h)), *_norm("word_embeddings_layernorm", dt, h)]
    for layer in range(layers):
        p = f"h.{layer}."
        out += _norm(p + "input_layernorm", dt, h)
        out += _linear(p + "self_attention.query_key_value", dt, 3 * h, h, True)
        out += _linear(p + "self_attention.dense", dt, h, h, True)
        out += _norm(p + "post_attention_layernorm", dt, h)
        out += _linear(p + "mlp.dense_h_to_4h", dt, 4 * h, h, True)
        out += _linear(p + "mlp.dense_4h_to_h", dt, h, 4 * h, True)
    return out + _norm("ln_f", dt, h)


def minicpmv(c: Config, dt: str) -> list[Tensor]:
    """MiniCPM-V 2.5: a Llama language model under ``llm.``, a SigLIP-style vision tower, a resampler."""
    llm = dict(c, architectures=["LlamaForCausalLM"])
    out = decoder(llm, dt, prefix="llm.")
    v = c["vision_config"]
    vh, vi, vl = int(v["hidden_size"]), int(v["intermediate_size"]), int(v["num_hidden_layers"])
    patch = int(v["patch_size"])
    positions = (int(v["image_size"]) // patch) ** 2
    out += [
        ("vpm.embeddings.patch_embedding.weight", dt, (vh, 3, patch, patch)),
        ("vpm.embeddings.patch_embedding.bias", dt, (vh,)),
        ("vpm.embeddings.position_embedding.weight", dt, (positions, vh)),
    ]
    for layer in range(vl):
        p = f"vpm.encoder.layers.{layer}."
        out += _norm(p + "layer_norm1", dt, vh)
        for name in ("k_proj", "v_proj", "q_proj", "out_proj"):
            out += _linear(f"{p}self_attn.{name}", dt, vh, vh, True)
        out += _norm(p + "layer_norm2", dt, vh)
        out += _linear(p + "mlp.fc1", dt, vi, vh, True) + _linear(p + "mlp.fc2", dt, vh, vi, True)
    out += _norm("vpm.post_layernorm", dt, vh)
    h = int(c["hidden_size"])
    out += [
        ("resampler.query", dt, (int(c["query_num"]), h)),
        ("resampler.proj", dt, (h, h)),
        ("resampler.kv_proj.weight", dt, (h, vh)),
        ("resampler.attn.in_proj_weight", dt, (3 * h, h)),
        ("resampler.attn.in_proj_bias", dt, (3 * h,)),
        ("resampler.attn.out_proj.weight", dt, (h, h)),
        ("resampler.attn.out_proj.bias", dt, (h,)),
    ]
    for name in ("ln_q", "ln_kv", "ln_post"):
        out += _norm("resampler." + name, dt, h)
    return out


_BUILDERS: dict[str, Callable[[Config, str], list[Tensor]]] = {
    "LlamaForCausalLM": decoder,
    "MistralForCausalLM": decoder,
    "Qwen2ForCausalLM": decoder,
    "Qwen3ForCausalLM": decoder,
    "Qwen3MoeForCausalLM": decoder,
    "MixtralForCausalLM": decoder,
    "Olmo2ForCausalLM": decoder,
    "Gemma2ForCausalLM": decoder,
    "Phi3ForCausalLM": decoder,
    "DeepseekV3ForCausalLM": deepseek_v3,
    "GptOssForCausalLM": gpt_oss,
    "GPT2LMHeadModel": gpt2,
    "GPTNeoXForCausalLM": gpt_neox,
    "FalconForCausalLM": falcon,
    "BloomForCausalLM": bloom,
    "MiniCPMV": minicpmv,
}
ARCHITECTURES = tuple(_BUILDERS)


def _arch(c: Config) -> str:
    archs = c.get("architectures") or []
    return str(archs[0]) if archs else ""


def tensors_for(config: Config, dtype: str | None = None) -> list[Tensor]:
    """Every tensor a checkpoint of ``config`` stores, in its storage format."""
    arch = _arch(config)
    builder = _BUILDERS.get(arch)
    if builder is None:
        raise LayoutError(f"no tensor layout for architecture {arch or '(none)'!r}")
    try:
        tensors = builder(config, dtype or default_dtype(config))
    except (KeyError, TypeError, ValueError) as exc:
        raise LayoutError(f"config for {arch} lacks or mangles {exc}") from None
    quant = config.get("quantization_config") or {}
    method = quant.get("quant_method")
    if method == "fp8" and quant.get("weight_block_size"):
        tensors = block_fp8(tensors, tuple(int(b) for b in quant["weight_block_size"]))
    elif method == "awq":
        tensors = awq(tensors, int(quant.get("bits", 4)), int(quant.get("group_size", 128)))
    return tensors


def _is_quantizable(name: str, shape: tuple[int, ...]) -> bool:
    # Linear projections inside decoder layers; embeddings, heads, routers and norms stay as they are.
    return len(shape) == 2 and ".layers." in name and name.endswith("_proj.weight") and "eh_proj" not in name


def block_fp8(tensors: list[Tensor], block: tuple[int, ...]) -> list[Tensor]:
    """DeepSeek-style FP8: each projection in F8_E4M3 plus an F32 ``weight_scale_inv`` per block."""
    out: list[Tensor] = []
    rows_per, cols_per = block
    for name, dtype, shape in tensors:
        if _is_quantizable(name, shape):
            out.append((name, "F8_E4M3", shape))
            scale = (math.ceil(shape[0] / rows_per), math.ceil(shape[1] / cols_per))
            out.append((name + "_scale_inv", "F32", scale))
        else:
            out.append((name, dtype, shape))
    return out


def awq(tensors: list[Tensor], bits: int, group: int) -> list[Tensor]:
    """AWQ (GEMM packing): int32 ``qweight``/``qzeros`` with ``32/bits`` values each, F16 ``scales``."""
    per = 32 // bits
    out: list[Tensor] = []
    for name, _dtype, shape in tensors:
        if _is_quantizable(name, shape):
            rows, cols = shape
            base = name.removesuffix(".weight")
            out += [
                (base + ".qweight", "I32", (cols, rows // per)),
                (base + ".qzeros", "I32", (cols // group, rows // per)),
                (base + ".scales", "F16", (cols // group, rows)),
            ]
        else:
            out.append((name, "F16", shape))
    return out


@dataclass(frozen=True, slots=True)
class Shard:
    """One safetensors file: its name, encoded header, total size and what it holds."""

    name: str
    prefix: bytes  # 8-byte length + JSON header
    size: int
    counts: dict[str, int]  # elements per dtype
    tensors: tuple[str, ...]

    @property
    def header(self) -> dict[str, Any]:
        """The decoded JSON header (parsed on demand: big models hold 100k+ entries)."""
        return json.loads(self.prefix[8:])


def encode_header(header: dict[str, Any]) -> bytes:
    """Length prefix + compact JSON, padded with spaces to 8 bytes as safetensors writers do."""
    return _frame(json.dumps(header, separators=(",", ":")).encode())


def _frame(raw: bytes) -> bytes:
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw


def shard_tensors(tensors: list[Tensor], shards: int | None = None) -> list[list[Tensor]]:
    """Split tensors, in order, into ``shards`` groups of about equal bytes (default: 5 GB each)."""
    return [[t for t, _ in group] for group in _split(tensors, shards)]


def _split(tensors: list[Tensor], shards: int | None) -> list[list[tuple[Tensor, int]]]:
    sized = [(t, nbytes(t[1], t[2])) for t in tensors]
    total = sum(size for _, size in sized)
    count = shards or max(1, math.ceil(total / DEFAULT_SHARD_BYTES))
    target = total / count if total else 1
    groups: list[list[tuple[Tensor, int]]] = [[] for _ in range(count)]
    done = 0
    for tensor, size in sized:
        # A tensor goes to the shard its midpoint falls in, so big tensors do not straddle.
        groups[min(count - 1, int((done + size / 2) // target))].append((tensor, size))
        done += size
    return [g for g in groups if g]


def build_shards(
    tensors: list[Tensor], shards: int | None = None, *, metadata: dict[str, str] | None = None
) -> list[Shard]:
    """Headers and sizes of every shard (``model.safetensors`` when there is only one)."""
    groups = _split(tensors, shards)
    meta = json.dumps(metadata or {"format": "pt"}, separators=(",", ":"))
    out: list[Shard] = []
    for k, group in enumerate(groups):
        # Formatted by hand: three times faster than building dicts for json.dumps, which
        # matters for 100k-tensor MoE checkpoints. The output is the same compact JSON.
        parts = [f'"__metadata__":{meta}']
        counts: dict[str, int] = {}
        offset = 0
        for (name, dtype, shape), size in group:
            dims = ",".join(map(str, shape))
            parts.append(
                f'{json.dumps(name)}:{{"dtype":"{dtype}","shape":[{dims}],"data_offsets":[{offset},{offset + size}]}}'
            )
            counts[dtype] = counts.get(dtype, 0) + math.prod(shape)
            offset += size
        prefix = _frame(("{" + ",".join(parts) + "}").encode())
        name = "model.safetensors" if len(groups) == 1 else f"model-{k + 1:05d}-of-{len(groups):05d}.safetensors"
        out.append(Shard(name, prefix, len(prefix) + offset, counts, tuple(t[0] for t, _ in group)))
    return out


def index_json(shards: list[Shard]) -> str:
    """The ``model.safetensors.index.json`` of a sharded checkpoint (two-space indent, sorted names)."""
    weight_map = sorted((name, s.name) for s in shards for name in s.tensors)
    total = sum(s.size - len(s.prefix) for s in shards)
    # Written by hand: json.dumps with indent falls back to the slow pure-Python encoder.
    entries = ",\n".join(f"    {json.dumps(name)}: {json.dumps(shard)}" for name, shard in weight_map)
    return f'{{\n  "metadata": {{\n    "total_size": {total}\n  }},\n  "weight_map": {{\n{entries}\n  }}\n}}\n'


def parameter_counts(headers: list[dict[str, Any]]) -> dict[str, int]:
    """Elements per dtype over headers, as the hub's ``safetensors.parameters`` reports them."""
    counts: dict[str, int] = {}
    for header in headers:
        for name, entry in header.items():
            if name == "__metadata__" or not isinstance(entry, dict):
                continue
            n = math.prod(int(x) for x in entry.get("shape", []))
            counts[str(entry.get("dtype"))] = counts.get(str(entry.get("dtype")), 0) + n
    return counts
