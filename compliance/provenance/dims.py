"""Structural hyper-parameters of a config.json, canonically named (no heavy imports).

Shared by :mod:`compliance.hub.fingerprint` and the check's comparison with the known models
(:mod:`compliance.provenance.known`), which runs on every local check and so stays off ``dataclasses``,
``typing`` and ``hashlib``.
"""

from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Canonical name -> the config keys that mean it, in order of preference.
ALIASES: dict[str, tuple[str, ...]] = {
    "hidden_size": ("hidden_size", "n_embd", "d_model"),
    "num_hidden_layers": ("num_hidden_layers", "n_layer", "num_layers", "n_layers"),
    "intermediate_size": ("intermediate_size", "n_inner", "ffn_dim", "d_ff", "ffn_hidden_size"),
    "vocab_size": ("vocab_size", "padded_vocab_size"),
    "num_attention_heads": ("num_attention_heads", "n_head", "num_heads", "n_heads"),
    "num_key_value_heads": ("num_key_value_heads", "num_kv_heads", "multi_query_group_num", "n_head_kv"),
    "head_dim": ("head_dim",),
    "experts": ("n_routed_experts", "num_local_experts", "num_experts", "moe_num_experts"),
    "experts_per_token": ("num_experts_per_tok", "moe_topk", "top_k_experts"),
    "shared_experts": ("n_shared_experts", "num_shared_experts"),
    "moe_intermediate_size": ("moe_intermediate_size",),
    "first_dense_layers": ("first_k_dense_replace",),
    "kv_lora_rank": ("kv_lora_rank",),
    "q_lora_rank": ("q_lora_rank",),
    "qk_rope_head_dim": ("qk_rope_head_dim",),
    "qk_nope_head_dim": ("qk_nope_head_dim",),
    "v_head_dim": ("v_head_dim",),
    "image_size": ("image_size",),
    "patch_size": ("patch_size",),
    "tie_word_embeddings": ("tie_word_embeddings",),
}
SUB_CONFIGS = (
    "text_config",
    "vision_config",
    "audio_config",
    "llm_config",
    "language_config",
    "thinker_config",
    "speech_config",
)


def config_dims(config: Mapping[str, Any] | None) -> tuple[tuple[str, int | bool], ...]:
    """Structural hyper-parameters of a config, canonically named and sorted."""
    if not isinstance(config, Mapping):
        return ()
    out: dict[str, int | bool] = {}
    _collect(config, "", out)
    for sub in SUB_CONFIGS:
        nested = config.get(sub)
        if isinstance(nested, Mapping):
            _collect(nested, sub + ".", out)
    return tuple(sorted(out.items()))


def _collect(config: Mapping[str, Any], prefix: str, out: dict[str, int | bool]) -> None:
    for canonical, keys in ALIASES.items():
        for key in keys:
            value = config.get(key)
            if isinstance(value, bool) or (isinstance(value, int) and 0 <= value < 10**12):
                out[prefix + canonical] = value
                break
