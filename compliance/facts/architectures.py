"""Parameter counts from a model's ``config.json``, with no weights.

Each supported family has a formula that adds up the tensors its reference implementation
creates: embeddings, attention and MLP projections (with their biases), norms (RMSNorm has a
weight only, LayerNorm a weight and a bias), routers and experts for mixture-of-experts, and the
output head unless it is tied to the input embedding. For every family that Hugging Face
``transformers`` implements, the result equals the sum of ``numel()`` over the parameters of the
model it builds from the same config (buffers such as rotary tables or DeepSeek-V3's routing
bias are not parameters and are not counted); families that need their own remote code
(ChatGLM, Baichuan, InternLM2, Qwen 1, phi-msft) follow that code's layout.

Conventions worth knowing:

* ``active`` (mixture-of-experts only) is every parameter a token goes through: the total less
  the routed experts it is not sent to. Embedding and output head count in full, as labs count
  them when they publish "active" figures.
* Multi-token-prediction (MTP) modules (DeepSeek-V3's ``num_nextn_predict_layers``, GLM's, Qwen's
  ``mtp_num_hidden_layers``) are *not* counted: they serve training and speculative decoding, the
  official figures (671B for DeepSeek-V3, not the 685B stored on the Hub) leave them out, and
  ``transformers`` does not build them. The note says how many parameters they would add.
* Vision towers of multimodal configs are estimated from their sizes (a ViT-style block
  formula), so such counts are marked ``exact=False`` and the note says so.
* Mixture-of-experts is recognised from the config's own keys (``num_local_experts``,
  ``num_experts``, ``n_routed_experts``, ``moe_num_experts``, a nested ``ffn_config``…) whatever
  the ``model_type``: a llama-like or unknown family that names experts is counted with them.
* An unknown architecture gets a generic decoder estimate (family ``generic``,
  ``exact=False``) rather than an error; a config that is not a mapping, lacks both a hidden size
  and a layer count, or holds values of the wrong type or an absurd size raises
  :class:`~compliance.errors.ModelFileError` naming the file and the key.

Confidence is earned: ``confident`` only for a formula written for this family with every size
read from the config; ``likely`` for an estimate with every size given (the generic decoder, a
vision tower, experts read on a layout whose reference implementation has none); ``speculative``
when a size the formula needs had to be guessed (a missing expert width, top-k, or a family's
block such as DBRX's ``ffn_config``). The note names what was missing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from compliance.errors import ModelFileError
from compliance.facts.model import Confidence
from compliance.records import FrozenRecord, Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, NoReturn

__all__ = ["ParamCount", "count_parameters", "names_moe_family"]

# Upper bounds well above any real model; larger values are typos or hostile input.
_DIM_MAX = 1 << 20
_VOCAB_MAX = 1 << 24
_LAYERS_MAX = 1 << 16
_EXPERTS_MAX = 1 << 16


class ParamCount(FrozenRecord):
    """A parameter count derived from a config, with the family formula that produced it.

    ``active`` is the parameters a token goes through, for mixture-of-experts (None when
    dense); ``family`` names the formula ("llama", "mixtral", "deepseek_v3", "generic");
    ``exact`` is True when the formula is believed exact, False for estimates; ``note`` lists
    assumptions, defaults and what was left out. ``confidence`` is the tier the count has earned
    (see the module docstring); when not given it follows ``exact``.
    """

    __slots__ = ("total", "active", "family", "exact", "note", "confidence")

    def __init__(
        self,
        total: int,
        active: int | None,
        family: str,
        exact: bool,
        note: str | None = None,
        confidence: Confidence | None = None,
    ) -> None:
        self.total = total
        self.active = active
        self.family = family
        self.exact = exact
        self.note = note
        if confidence is None:
            confidence = Confidence.CONFIDENT if exact else Confidence.SPECULATIVE
        self.confidence = confidence


# --------------------------------------------------------------------------- config reading


class _Cfg:
    """Typed, validated access to one (possibly nested) config mapping."""

    __slots__ = ("assumed", "data", "notes", "path", "source")

    def __init__(self, data: Mapping[str, Any], source: str, path: str = "", parent: _Cfg | None = None):
        self.data = data
        self.source = source
        self.path = path
        # Shared with nested configs: remarks for the note, and sizes that had to be guessed
        # (a guess makes the count an estimate).
        self.notes: list[str] = parent.notes if parent is not None else []
        self.assumed: list[str] = parent.assumed if parent is not None else []

    def child(self, data: Mapping[str, Any], key: str) -> _Cfg:
        return _Cfg(data, self.source, f"{self.path}{key}.", self)

    def assume(self, key: str, value: int) -> int:
        self.assumed.append(f"{self.path}{key} not given; assumed {value}")
        return value

    def guess(self, text: str) -> None:
        """Record a guess the formula had to make (the count becomes speculative)."""
        self.assumed.append(text)

    def sized(self, *keys: str, assumed: int, lo: int = 1, hi: int = _DIM_MAX) -> int:
        """Like :meth:`size`, but a missing key is a recorded assumption rather than a silent default."""
        if not self.has(*keys):
            return self.assume(keys[0], assumed)
        return self.size(*keys, lo=lo, hi=hi)

    def fail(self, key: str, message: str) -> NoReturn:
        raise ModelFileError(message, source=self.source, where=self.path + key)

    def has(self, *keys: str) -> bool:
        return any(self.data.get(k) is not None for k in keys)

    def _first(self, keys: tuple[str, ...]) -> tuple[str, Any]:
        for k in keys:
            v = self.data.get(k)
            if v is not None:
                return k, v
        return keys[0], None

    def _as_int(self, key: str, value: Any, lo: int, hi: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"expected an integer, got {_short(value)}")
        if isinstance(value, float):
            if not value.is_integer():
                self.fail(key, f"expected an integer, got {_short(value)}")
            value = int(value)
        if not lo <= value <= hi:
            self.fail(key, f"value {_short(value)} is outside the plausible range {lo}..{hi}")
        return int(value)

    def size(self, *keys: str, default: int | None = None, lo: int = 1, hi: int = _DIM_MAX) -> int:
        """The first of ``keys`` present, as a bounded integer; ``default`` when none is."""
        key, value = self._first(keys)
        if value is None:
            if default is None:
                self.fail(key, "required key is missing")
            return default
        return self._as_int(key, value, lo, hi)

    def opt_int(self, *keys: str, lo: int = 0, hi: int = _DIM_MAX) -> int | None:
        key, value = self._first(keys)
        return None if value is None else self._as_int(key, value, lo, hi)

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {_short(value)}")
        return value

    def number(self, key: str, default: float, lo: float = 0.0, hi: float = 1e6) -> float:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            self.fail(key, f"expected a number in {lo}..{hi}, got {_short(value)}")
        return float(value)

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(key, f"expected a string, got {_short(value)}")
        return value

    def int_list(self, key: str, hi: int = _LAYERS_MAX) -> list[int] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list | tuple):
            self.fail(key, f"expected a list of integers, got {_short(value)}")
        return [self._as_int(key, v, 0, hi) for v in value]

    def str_list(self, key: str) -> list[str] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            self.fail(key, f"expected a list of strings, got {_short(value)}")
        return list(value)

    def sub(self, key: str) -> _Cfg | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.fail(key, f"expected a mapping, got {_short(value)}")
        return self.child(value, key)

    def vocab(self, *keys: str, default: int | None = None) -> int:
        keys = keys or ("vocab_size",)
        if not self.has(*keys) and default is not None:
            return self.assume(keys[0], default)
        return self.size(*keys, hi=_VOCAB_MAX)

    def layers(self, *keys: str) -> int:
        return self.size(*(keys or ("num_hidden_layers",)), hi=_LAYERS_MAX)

    def tied(self, default: bool) -> bool:
        return self.flag("tie_word_embeddings", default)


def _short(value: Any) -> str:
    if isinstance(value, int) and abs(value) >= 10**40:
        return "a number of more than 40 digits"  # repr would refuse past 4300 digits
    text = repr(value) if not isinstance(value, Mapping | list | tuple) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


# --------------------------------------------------------------------------- building blocks


class _Tally(Record):
    """Running total and per-token active count."""

    __slots__ = ("total", "active", "moe", "exact", "notes")

    def __init__(self, exact: bool = True) -> None:
        self.total = 0
        self.active = 0
        self.moe = False
        self.exact = exact
        self.notes: list[str] = []

    def add(self, n: int) -> None:
        self.total += n
        self.active += n

    def experts(self, per_expert: int, count: int, used: int) -> None:
        self.total += per_expert * count
        self.active += per_expert * min(used, count)
        self.moe = self.moe or count > 1


def _linear(n_in: int, n_out: int, bias: bool = False) -> int:
    return n_in * n_out + (n_out if bias else 0)


def _attention(
    h: int, heads: int, kv: int, hd: int, *, qkv_bias: bool = False, o_bias: bool = False, q_mult: int = 1
) -> int:
    """Separate or fused q/k/v projections plus the output projection (GQA and MQA included)."""
    q, k = heads * hd, kv * hd
    return _linear(h, q * q_mult + 2 * k, qkv_bias) + _linear(q, h, o_bias)


def _mlp(h: int, inter: int, *, gated: bool = True, bias: bool = False) -> int:
    """Gated (SwiGLU/GeGLU: gate, up, down) or plain (up, down) feed-forward."""
    n = (3 if gated else 2) * h * inter
    if bias:
        n += (2 * inter if gated else inter) + h
    return n


def _norm(d: int, kind: str) -> int:
    return {"rms": d, "ln": 2 * d, "ln_nobias": d, "none": 0}[kind]


def _embeddings(t: _Tally, vocab: int, h: int, tied: bool, head_bias: bool = False) -> None:
    t.add(vocab * h)
    if not tied:
        t.add(vocab * h + (vocab if head_bias else 0))


# --------------------------------------------------------------------------- llama-like decoders


class _Style(FrozenRecord):
    """How a llama-like decoder differs from Llama itself."""

    __slots__ = ("qkv_bias", "o_bias", "mlp_bias", "gated", "norm", "norms_per_layer", "qk_norm", "tied",
                 "head_bias", "q_mult")  # fmt: skip

    def __init__(
        self,
        qkv_bias: bool = False,
        o_bias: bool = False,
        mlp_bias: bool = False,
        gated: bool = True,
        norm: str = "rms",
        norms_per_layer: int = 2,
        qk_norm: str = "none",
        tied: bool = False,
        head_bias: bool = False,
        q_mult: int = 1,
    ) -> None:
        self.qkv_bias = qkv_bias
        self.o_bias = o_bias
        self.mlp_bias = mlp_bias
        self.gated = gated
        self.norm = norm
        self.norms_per_layer = norms_per_layer
        # "head": one head_dim-wide weight for q and one for k; "full" (one norm over all heads)
        # and "perhead" (one norm per head) both hold a weight per query and key channel.
        self.qk_norm = qk_norm
        self.tied = tied
        self.head_bias = head_bias
        self.q_mult = q_mult  # 2 when the query projection also emits an output gate


class _Geom(FrozenRecord):
    __slots__ = ("h", "layers", "heads", "kv", "hd", "vocab")

    def __init__(self, h: int, layers: int, heads: int, kv: int, hd: int, vocab: int) -> None:
        self.h = h
        self.layers = layers
        self.heads = heads
        self.kv = kv
        self.hd = hd
        self.vocab = vocab


def _geom(c: _Cfg) -> _Geom:
    h = c.size("hidden_size", "n_embd", "d_model")
    layers = c.layers("num_hidden_layers", "n_layer", "num_layers", "n_layers")
    heads = c.size("num_attention_heads", "n_head", "num_heads", "n_heads")
    kv = c.size("num_key_value_heads", "num_kv_heads", "n_head_kv", default=heads)
    hd = c.size("head_dim", default=max(1, h // heads))
    return _Geom(h, layers, heads, kv, hd, c.vocab())


def _qk_norm(g: _Geom, style: _Style) -> int:
    if style.qk_norm == "head":
        n = 2 * g.hd
    elif style.qk_norm in ("full", "perhead"):
        n = (g.heads + g.kv) * g.hd
    else:
        return 0
    return n


def _attn_block(g: _Geom, style: _Style) -> int:
    return _attention(
        g.h, g.heads, g.kv, g.hd, qkv_bias=style.qkv_bias, o_bias=style.o_bias, q_mult=style.q_mult
    ) + _qk_norm(g, style)


class _MoE(FrozenRecord):
    """A mixture-of-experts feed-forward and the layers that use it."""

    __slots__ = ("experts", "used", "per_expert", "always", "sparse", "origin")

    def __init__(
        self,
        experts: int,
        used: int,
        per_expert: int,
        always: int,
        sparse: Callable[[int], bool],
        origin: str = "",
    ) -> None:
        self.experts = experts
        self.used = used
        self.per_expert = per_expert
        self.always = always  # router, shared experts and gates: every token goes through them
        self.sparse = sparse
        self.origin = origin  # the config key that named the experts, when read generically

    def has_dense_layers(self, layers: int) -> bool:
        """Whether any of ``layers`` layers keeps a dense feed-forward."""
        return not all(self.sparse(i) for i in range(layers))

    @property
    def size(self) -> int:
        return self.always + self.experts * self.per_expert


def _add_ffn(t: _Tally, i: int, dense: int, moe: _MoE | None) -> None:
    """Layer ``i``'s feed-forward: the experts when it is a sparse layer, else the dense MLP."""
    if moe is not None and moe.sparse(i):
        t.add(moe.always)
        t.experts(moe.per_expert, moe.experts, moe.used)
    else:
        t.add(dense)


def _decoder(c: _Cfg, g: _Geom, style: _Style, dense_mlp: int, moe: _MoE | None = None) -> _Tally:
    """Embeddings, ``g.layers`` identical-attention layers, final norm and head."""
    t = _Tally()
    _embeddings(t, g.vocab, g.h, c.tied(style.tied), style.head_bias)
    per_layer = _attn_block(g, style) + style.norms_per_layer * _norm(g.h, style.norm)
    t.add(_norm(g.h, style.norm))
    for i in range(g.layers):
        t.add(per_layer)
        _add_ffn(t, i, dense_mlp, moe)
    return t


def _inter(c: _Cfg, g: _Geom, *keys: str) -> int:
    """The dense intermediate size; absent, the usual 8/3 of hidden rounded to 256 is assumed."""
    keys = keys or ("intermediate_size",)
    if not c.has(*keys):
        return c.assume(keys[0], 256 * math.ceil(8 * g.h / 3 / 256))
    return c.size(*keys)


def _every_layer(_: int) -> bool:
    return True


def _replace(style: _Style, **changes: Any) -> _Style:
    return style.replace(**changes)


def _with_attention_bias(style: _Style, c: _Cfg, default: bool = False) -> _Style:
    on = c.flag("attention_bias", default)
    return _replace(style, qkv_bias=on, o_bias=on)


def _llama_like(
    style: _Style, *, bias_key: str | None = "attention_bias", o_bias_follows: bool = True, moe_native: bool = False
) -> Callable[[_Cfg], _Tally]:
    """A handler for a llama-like family, dense unless the config names routed experts.

    ``bias_key`` names the config flag that switches attention biases on (None: the family fixes
    them); some families (GLM) bias q, k and v but never the output projection. ``moe_native``
    says the family's own implementation reads the expert keys (DeepSeek-MoE); otherwise experts
    found in the config are counted on the family's layout, as an estimate.
    """

    def handler(c: _Cfg) -> _Tally:
        s = style
        if bias_key is not None and c.has(bias_key):
            on = c.flag(bias_key, False)
            s = _replace(s, qkv_bias=on, o_bias=on if o_bias_follows else s.o_bias)
        if c.has("mlp_bias"):
            s = _replace(s, mlp_bias=c.flag("mlp_bias", False))
        g = _geom(c)
        moe = _read_moe(c, g.h, g.layers, gated=s.gated)
        dense = 0
        if moe is None or moe.has_dense_layers(g.layers):
            dense = _mlp(g.h, _inter(c, g), gated=s.gated, bias=s.mlp_bias)
        t = _decoder(c, g, s, dense, moe)
        if moe is not None and not moe_native:
            t.exact = False
            t.notes.append(
                f"{moe.origin} names a mixture of experts on a layout whose reference implementation is dense: "
                "experts counted as routed feed-forward blocks"
            )
        return t

    return handler


LLAMA = _Style()
QWEN2 = _Style(qkv_bias=True)
QWEN3 = _Style(qk_norm="head")
GEMMA = _Style(tied=True)
GEMMA2 = _Style(tied=True, norms_per_layer=4)
GEMMA3 = _Style(tied=True, norms_per_layer=4, qk_norm="head")
OLMO = _Style(norm="none")  # OLMo 1 uses LayerNorm without any learned parameters
OLMO2 = _Style(qk_norm="full")
STARCODER2 = _Style(qkv_bias=True, o_bias=True, mlp_bias=True, gated=False, norm="ln", tied=True)
NEMOTRON = _Style(gated=False, norm="ln")
GLM = _Style(qkv_bias=True)
GLM4 = _Style(qkv_bias=True, norms_per_layer=4)
COHERE = _Style(norm="ln_nobias", norms_per_layer=1, tied=True)
INTERNLM = _Style(qkv_bias=True, o_bias=True)


def _qwen1(c: _Cfg) -> _Tally:
    """Qwen (1): fused biased qkv, unbiased output, SwiGLU whose ``intermediate_size`` counts both halves."""
    h = c.size("hidden_size")
    heads = c.size("num_attention_heads")
    g = _Geom(h, c.layers(), heads, heads, h // heads, c.vocab())
    inter = c.size("intermediate_size", default=2 * 256 * math.ceil(8 * h / 3 / 256)) // 2
    return _decoder(c, g, QWEN2, _mlp(h, inter))


def _stablelm(c: _Cfg) -> _Tally:
    g = _geom(c)
    style = _Style(
        norm="ln",
        qkv_bias=c.flag("use_qkv_bias", False),
        norms_per_layer=1 if c.flag("use_parallel_residual", False) else 2,
        # per-head LayerNorms without bias: one weight per query and key channel
        qk_norm="perhead" if c.flag("qk_layernorm", False) else "none",
    )
    return _decoder(c, g, style, _mlp(g.h, _inter(c, g)))


def _starcoder2(c: _Cfg) -> _Tally:
    on = c.flag("use_bias", True)
    style = _replace(STARCODER2, qkv_bias=on, o_bias=on, mlp_bias=on)
    g = _geom(c)
    return _decoder(c, g, style, _mlp(g.h, _inter(c, g), gated=False, bias=on))


def _cohere(c: _Cfg) -> _Tally:
    g = _geom(c)
    style = _with_attention_bias(COHERE, c)
    if c.flag("use_qk_norm", False):
        style = _replace(style, qk_norm="perhead")
    return _decoder(c, g, style, _mlp(g.h, _inter(c, g)))


def _olmo(c: _Cfg) -> _Tally:
    if not c.has("hidden_size") and c.has("d_model"):
        return _olmo_legacy(c)
    return _llama_like(OLMO)(c)


def _olmo_legacy(c: _Cfg) -> _Tally:
    """The original ``hf_olmo`` layout: d_model, n_layers, and mlp_hidden_size holding both SwiGLU halves."""
    h = c.size("d_model")
    heads = c.size("n_heads")
    vocab = c.vocab("embedding_size", "vocab_size")
    g = _Geom(h, c.layers("n_layers"), heads, c.size("n_kv_heads", default=heads), h // heads, vocab)
    inter = c.size("mlp_hidden_size", default=c.size("mlp_ratio", default=4) * h) // 2
    bias = c.flag("include_bias", False)
    affine = c.flag("layer_norm_with_affine", False)
    norm = ("ln" if bias else "ln_nobias") if affine else "none"
    style = _Style(norm=norm, qkv_bias=bias, o_bias=bias, mlp_bias=bias, tied=c.flag("weight_tying", True))
    return _decoder(c, g, style, _mlp(h, inter, bias=bias))


def _ernie(c: _Cfg) -> _Tally:
    on = c.flag("use_bias", False)
    g = _geom(c)
    style = _Style(qkv_bias=on, o_bias=on, mlp_bias=on, tied=True)
    return _decoder(c, g, style, _mlp(g.h, _inter(c, g), bias=on))


# --------------------------------------------------------------------------- mixture-of-experts

# Config keys that families use for the same mixture-of-experts quantities.
_EXPERT_KEYS = ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts", "num_routed_experts")
_TOP_K_KEYS = (
    "num_experts_per_tok", "moe_top_k", "num_experts_per_token", "experts_per_token", "moe_topk", "moe_k",
    "n_activated_experts", "num_selected_experts",
)  # fmt: skip
_EXPERT_WIDTH_KEYS = ("moe_intermediate_size", "expert_intermediate_size", "moe_ffn_hidden_size", "moe_inter_dim")
_SHARED_COUNT_KEYS = ("n_shared_experts", "num_shared_experts", "moe_num_shared_experts")
_SHARED_WIDTH_KEYS = ("shared_expert_intermediate_size", "moe_shared_expert_intermediate_size")
_FIRST_SPARSE_KEYS = ("first_k_dense_replace", "moe_layer_start_index", "n_dense_layers")
# Every step-th layer is sparse: DeepSeek counts from the first layer, the others end each period.
_STEP_FROM_FIRST = ("moe_layer_freq",)
_STEP_AT_END = ("decoder_sparse_step", "moe_layer_interval", "interleave_moe_layer_step")
_NESTED_FFN_KEYS = ("ffn_config", "moe_config")


def _moe_block(c: _Cfg) -> _Cfg:
    """The mapping that holds the expert keys: the config itself or a nested block (DBRX's ``ffn_config``)."""
    if c.has(*_EXPERT_KEYS):
        return c
    for key in _NESTED_FFN_KEYS:
        nested = c.data.get(key)
        if isinstance(nested, Mapping) and any(nested.get(k) is not None for k in _EXPERT_KEYS):
            return c.child(nested, key)
    return c


def _expert_count(c: _Cfg) -> tuple[_Cfg, str, int] | None:
    """The block holding the expert keys, the key naming the routed experts, and their number (None: dense)."""
    m = _moe_block(c)
    for key in _EXPERT_KEYS:
        if m.has(key):
            n = m.size(key, lo=0, hi=_EXPERTS_MAX)
            return (m, key, n) if n > 1 else None
    return None


def _sparse_layers(m: _Cfg, layers: int) -> Callable[[int], bool]:
    """Which layers hold experts, from whichever layer-pattern keys the config uses."""
    first = m.size(*_FIRST_SPARSE_KEYS, default=0, lo=0, hi=_LAYERS_MAX)
    dense_only = set(m.int_list("mlp_only_layers") or [])
    listed = m.int_list("moe_layers")
    flags: list[int] | None = None
    raw_freq = m.data.get("moe_layer_freq")
    if isinstance(raw_freq, list | tuple):
        flags = m.int_list("moe_layer_freq", hi=1)  # one 0/1 per layer
        step, offset = 1, 0
    elif m.has(*_STEP_FROM_FIRST):
        step, offset = m.size(*_STEP_FROM_FIRST, hi=_LAYERS_MAX), 0
    elif m.has(*_STEP_AT_END):
        step = m.size(*_STEP_AT_END, hi=_LAYERS_MAX)
        offset = step - 1
    elif m.has("expert_layer_period"):
        step = m.size("expert_layer_period", hi=_LAYERS_MAX)
        offset = m.size("expert_layer_offset", default=0, lo=0, hi=_LAYERS_MAX) % step
    else:
        step, offset = 1, 0

    def sparse(i: int) -> bool:
        if i < first or i in dense_only or (listed is not None and i not in listed):
            return False
        if flags is not None:
            return i < len(flags) and flags[i] == 1
        return i % step == offset

    return sparse


def _read_moe(c: _Cfg, h: int, layers: int, *, gated: bool = True) -> _MoE | None:
    """A mixture-of-experts feed-forward read from the config's own keys, or None for a dense model.

    Routed experts are feed-forward blocks of the expert width behind a bias-free router; shared
    experts (DeepSeek's count of expert-wide blocks, or Qwen's single block of a given width) are
    always on. A missing expert width or top-k is an assumption the note reports.
    """
    found = _expert_count(c)
    if found is None:
        return None
    m, key, n = found
    used = m.sized(*_TOP_K_KEYS, assumed=1, hi=_EXPERTS_MAX)
    if m.has(*_EXPERT_WIDTH_KEYS):
        width = m.size(*_EXPERT_WIDTH_KEYS)
    elif m is not c and m.has("ffn_hidden_size"):
        width = m.size("ffn_hidden_size")  # a nested block's own width is the expert's (DBRX)
    elif key == "num_local_experts" and c.has("intermediate_size"):
        width = c.size("intermediate_size")  # Mixtral's convention: experts are as wide as the MLP
    elif c.has(*_INTER_KEYS):
        width = c.size(*_INTER_KEYS)
        c.guess(f"{m.path}moe_intermediate_size not given; experts assumed as wide as the dense MLP ({width})")
    else:
        width = c.assume("moe_intermediate_size", 256 * math.ceil(8 * h / 3 / 256))
    per = _mlp(h, width, gated=gated)
    shared_width = m.opt_int(*_SHARED_WIDTH_KEYS)
    shared = m.size(*_SHARED_COUNT_KEYS, default=0, lo=0, hi=_EXPERTS_MAX)
    always = h * n  # the router
    if shared_width:
        always += _mlp(h, shared_width, gated=gated) * max(1, shared)
    else:
        always += shared * per
    return _MoE(n, used, per, always, _sparse_layers(m, layers), origin=f"{m.path}{key}")


def _mixtral(c: _Cfg) -> _Tally:
    g = _geom(c)
    n = c.sized("num_local_experts", assumed=8, hi=_EXPERTS_MAX)
    moe = _MoE(n, c.sized("num_experts_per_tok", assumed=2), _mlp(g.h, _inter(c, g)), g.h * n, _every_layer)
    return _decoder(c, g, LLAMA, 0, moe)


def _qwen_sparse(c: _Cfg, g: _Geom) -> Callable[[int], bool]:
    step = c.size("decoder_sparse_step", default=1)
    dense_only = set(c.int_list("mlp_only_layers") or [])
    return lambda i: i not in dense_only and (i + 1) % step == 0


def _qwen_moe_ffn(c: _Cfg, g: _Geom) -> _MoE | None:
    n = c.size("num_experts", default=0, lo=0, hi=_EXPERTS_MAX)
    if n == 0:
        return None
    shared = c.size("shared_expert_intermediate_size", default=0, lo=0)
    always = g.h * n + (_mlp(g.h, shared) + g.h if shared else 0)  # router, shared expert and its gate
    per = _mlp(g.h, c.size("moe_intermediate_size"))
    return _MoE(n, c.sized("num_experts_per_tok", assumed=1), per, always, _qwen_sparse(c, g))


def _qwen_moe(style: _Style) -> Callable[[_Cfg], _Tally]:
    def handler(c: _Cfg) -> _Tally:
        # qwen2_moe's q/k/v biases are fixed by the implementation; qwen3_moe follows attention_bias.
        s = style if style.qkv_bias else _with_attention_bias(style, c)
        g = _geom(c)
        return _decoder(c, g, s, _mlp(g.h, _inter(c, g)), _qwen_moe_ffn(c, g))

    return handler


def _olmoe(c: _Cfg) -> _Tally:
    g = _geom(c)
    n = c.sized("num_experts", assumed=64, hi=_EXPERTS_MAX)
    style = _with_attention_bias(OLMO2, c)
    moe = _MoE(n, c.sized("num_experts_per_tok", assumed=8), _mlp(g.h, _inter(c, g)), g.h * n, _every_layer)
    return _decoder(c, g, style, 0, moe)


def _phimoe(c: _Cfg) -> _Tally:
    g = _geom(c)
    n = c.sized("num_local_experts", assumed=16, hi=_EXPERTS_MAX)
    style = _with_attention_bias(_Style(norm="ln"), c)
    style = _replace(style, head_bias=c.flag("lm_head_bias", False))
    moe = _MoE(n, c.sized("num_experts_per_tok", assumed=2), _mlp(g.h, _inter(c, g)), g.h * n, _every_layer)
    return _decoder(c, g, style, 0, moe)


def _gpt_oss(c: _Cfg) -> _Tally:
    g = _geom(c)
    n = c.sized("num_local_experts", "num_experts", assumed=128, hi=_EXPERTS_MAX)
    style = _with_attention_bias(LLAMA, c, default=True)
    per = _mlp(g.h, _inter(c, g), bias=True)  # gate_up and down projections carry biases
    moe = _MoE(n, c.sized("num_experts_per_tok", "experts_per_token", assumed=4), per, g.h * n + n, _every_layer)
    t = _decoder(c, g, style, 0, moe)
    t.add(g.layers * g.heads)  # attention sinks: one learned logit per head
    return t


def _llama4_text(c: _Cfg) -> _Tally:
    g = _geom(c)
    n = c.sized("num_local_experts", assumed=16, hi=_EXPERTS_MAX)
    step = c.size("interleave_moe_layer_step", default=1)
    listed = c.int_list("moe_layers")
    moe_layers = set(listed) if listed is not None else set(range(step - 1, g.layers, step))
    expert = _mlp(g.h, c.size("intermediate_size"))
    dense = _mlp(g.h, c.size("intermediate_size_mlp", default=c.size("intermediate_size")))
    style = _with_attention_bias(LLAMA, c)
    # One always-on shared expert the size of a routed one, plus the router.
    moe = _MoE(n, c.sized("num_experts_per_tok", assumed=1), expert, expert + g.h * n, moe_layers.__contains__)
    return _decoder(c, g, style, dense, moe)


def _glm4_moe(c: _Cfg) -> _Tally:
    g = _geom(c)
    style = _replace(_with_attention_bias(LLAMA, c), o_bias=False)
    if c.flag("use_qk_norm", False):
        style = _replace(style, qk_norm="head")
    moe = _deepseek_moe(c, g)
    t = _decoder(c, g, style, _mlp(g.h, _inter(c, g)), moe)
    _mtp_note(c, t, _attn_block(g, style) + 2 * g.h + (moe.size if moe else 0), g.h)
    return t


def _dbrx(c: _Cfg) -> _Tally:
    h = c.size("d_model")
    heads = c.size("n_heads")
    attn = c.sub("attn_config") or c.child({}, "attn_config")
    ffn = c.sub("ffn_config")
    if ffn is None:
        # The experts live in this block; without it only transformers' small defaults remain.
        c.guess("ffn_config not given: expert count, top-k and expert width are transformers' defaults")
        ffn = c.child({}, "ffn_config")
    g = _Geom(h, c.layers("n_layers"), heads, attn.size("kv_n_heads", default=heads), h // heads, c.vocab())
    n = ffn.sized("moe_num_experts", assumed=4, hi=_EXPERTS_MAX)
    per = _mlp(h, ffn.sized("ffn_hidden_size", assumed=3584))
    moe = _MoE(n, ffn.sized("moe_top_k", assumed=1), per, h * n, _every_layer)
    return _decoder(c, g, _Style(norm="ln_nobias"), 0, moe)


# --------------------------------------------------------------------------- DeepSeek (MLA) and kin


def _deepseek_moe(c: _Cfg, g: _Geom) -> _MoE | None:
    n = c.size("n_routed_experts", default=0, lo=0, hi=_EXPERTS_MAX)
    if n == 0:
        return None
    per = _mlp(g.h, c.size("moe_intermediate_size"))
    shared = c.size("n_shared_experts", default=0, lo=0, hi=_EXPERTS_MAX)
    first_dense = c.size("first_k_dense_replace", default=0, lo=0, hi=_LAYERS_MAX)
    freq = c.size("moe_layer_freq", default=1)
    return _MoE(
        n,
        c.sized("num_experts_per_tok", assumed=1),
        per,
        g.h * n + shared * per,  # router; shared experts are routed-expert sized
        lambda i: i >= first_dense and i % freq == 0,
    )


def _mla(c: _Cfg, g: _Geom) -> int:
    """Multi-head latent attention: low-rank query and key/value projections."""
    bias = c.flag("attention_bias", False)
    rope = c.size("qk_rope_head_dim", default=64)
    nope = c.size("qk_nope_head_dim", default=128)
    v_dim = c.size("v_head_dim", default=128)
    kv_rank = c.size("kv_lora_rank", default=512)
    q_rank = c.opt_int("q_lora_rank", lo=0) or None  # 0 means no query compression, as null does
    qk = g.heads * (nope + rope)
    if q_rank is None:
        n = _linear(g.h, qk)
    else:
        n = _linear(g.h, q_rank, bias) + q_rank + _linear(q_rank, qk)
    n += _linear(g.h, kv_rank + rope, bias) + kv_rank + _linear(kv_rank, g.heads * (nope + v_dim))
    n += _linear(g.heads * v_dim, g.h, bias)
    if c.has("index_n_heads") and q_rank is not None:
        # DeepSeek sparse attention's indexer: its own query/key projections and per-head weights.
        heads, dim = c.size("index_n_heads"), c.size("index_head_dim", default=128)
        n += _linear(q_rank, heads * dim) + _linear(g.h, dim) + 2 * dim + _linear(g.h, heads)
    return n


def _deepseek(c: _Cfg) -> _Tally:
    g = _geom(c)
    t = _Tally()
    _embeddings(t, g.vocab, g.h, c.tied(False))
    moe = _deepseek_moe(c, g)
    attn = _mla(c, g) + 2 * g.h
    dense = _mlp(g.h, _inter(c, g))
    t.add(g.h)
    for i in range(g.layers):
        t.add(attn)
        _add_ffn(t, i, dense, moe)
    block = attn + (moe.size if moe else dense)
    _mtp_note(c, t, block, g.h)
    return t


def _mtp_note(c: _Cfg, t: _Tally, block: int, h: int) -> None:
    n = c.size("num_nextn_predict_layers", "mtp_num_hidden_layers", default=0, lo=0, hi=_LAYERS_MAX)
    if n:
        # Each MTP module: one decoder block, two input norms, a 2h->h projection and a head norm.
        extra = n * (block + 3 * h + 2 * h * h)
        t.notes.append(
            f"{n} multi-token-prediction layer(s) not counted (about {extra / 1e9:.2f}B more parameters, "
            "plus copies of the embedding and head in published checkpoints)"
        )


# --------------------------------------------------------------------------- hybrid and state-space models


def _gated_deltanet(c: _Cfg, h: int) -> int:
    """Qwen3-Next / Qwen3.5 linear-attention layer (Gated DeltaNet)."""
    k_heads = c.size("linear_num_key_heads", default=16)
    v_heads = c.size("linear_num_value_heads", default=32)
    k_dim = k_heads * c.size("linear_key_head_dim", default=128)
    v_head = c.size("linear_value_head_dim", default=128)
    v_dim = v_heads * v_head
    conv = 2 * k_dim + v_dim
    n = _linear(h, conv + v_dim + 2 * v_heads)  # q, k, v, output gate z, beta and alpha
    n += conv * c.size("linear_conv_kernel_dim", default=4)
    n += 2 * v_heads + v_head  # dt bias, A_log, gated norm
    return n + _linear(v_dim, h)


def _qwen_hybrid(c: _Cfg) -> _Tally:
    g = _geom(c)
    types = c.str_list("layer_types")
    interval = c.size("full_attention_interval", default=4)
    if types is None:
        types = ["full_attention" if (i + 1) % interval == 0 else "linear_attention" for i in range(g.layers)]
    gate = 2 if c.flag("attn_output_gate", True) else 1
    style = _replace(_with_attention_bias(QWEN3, c), q_mult=gate)
    full = _attn_block(g, style)
    linear = _gated_deltanet(c, g.h)
    moe = _qwen_moe_ffn(c, g)
    dense = _mlp(g.h, _inter(c, g)) if moe is None or c.has("intermediate_size") else 0
    t = _Tally()
    _embeddings(t, g.vocab, g.h, c.tied(False))
    t.add(g.h)
    for i, kind in enumerate(types[: g.layers]):
        t.add(2 * g.h + (full if kind == "full_attention" else linear))
        _add_ffn(t, i, dense, moe)
    block = full + 2 * g.h + (moe.size if moe else dense)
    _mtp_note(c, t, block, g.h)
    return t


def _mamba1_mixer(h: int, inner: int, state: int, kernel: int, rank: int, bias: bool, conv_bias: bool) -> int:
    """A Mamba-1 mixer: in/out projections, depthwise conv, x/dt projections, A_log and D."""
    n = _linear(h, 2 * inner, bias) + inner * kernel + (inner if conv_bias else 0)
    n += _linear(inner, rank + 2 * state) + _linear(rank, inner, True) + inner * state + inner
    return n + _linear(inner, h, bias)


def _dt_rank(c: _Cfg, key: str, h: int) -> int:
    raw = c.data.get(key)
    return math.ceil(h / 16) if raw in (None, "auto") else c.size(key)


def _mamba2_mixer(c: _Cfg, h: int, heads: int, head_dim: int) -> int:
    inner = heads * head_dim
    state = c.size("ssm_state_size", "state_size", default=128)
    groups = c.size("n_groups", default=1)
    conv = inner + 2 * groups * state
    bias = c.flag("use_bias", False)
    n = _linear(h, inner + conv + heads, bias)
    n += conv * c.size("conv_kernel", default=4) + (conv if c.flag("use_conv_bias", True) else 0)
    return n + 3 * heads + inner + _linear(inner, h, bias)


def _mamba(c: _Cfg) -> _Tally:
    h = c.size("hidden_size", "d_model")
    layers = c.layers("num_hidden_layers", "n_layer")
    inner = c.size("intermediate_size", default=int(c.number("expand", 2.0, 0.0, 1024.0) * h))
    mixer = _mamba1_mixer(
        h,
        inner,
        c.size("state_size", default=16),
        c.size("conv_kernel", default=4),
        _dt_rank(c, "time_step_rank", h),
        c.flag("use_bias", False),
        c.flag("use_conv_bias", True),
    )
    t = _Tally()
    _embeddings(t, c.vocab(), h, c.tied(True))
    t.add(h + layers * (h + mixer))
    return t


def _mamba2(c: _Cfg) -> _Tally:
    h = c.size("hidden_size")
    layers = c.layers()
    inner = int(c.number("expand", 2.0, 0.0, 1024.0) * h)
    head_dim = c.size("head_dim", default=64)
    heads = c.size("num_heads", default=max(1, inner // head_dim))
    t = _Tally()
    _embeddings(t, c.vocab(), h, c.tied(False))
    t.add(h + layers * (h + _mamba2_mixer(c, h, heads, head_dim)))
    return t


_NEMOTRON_H_KINDS = {"M": "mamba", "*": "attention", "-": "mlp", "E": "moe"}


def _nemotron_h_layers(c: _Cfg) -> list[str]:
    pattern = c.text("hybrid_override_pattern")
    if pattern is not None:
        bad = sorted(set(pattern) - set(_NEMOTRON_H_KINDS))
        if bad:
            c.fail("hybrid_override_pattern", f"unknown layer symbol(s) {''.join(bad)!r}")
        return [_NEMOTRON_H_KINDS[ch] for ch in pattern]
    kinds = c.str_list("layers_block_type") or c.str_list("layer_types")
    if kinds is None:
        c.fail("hybrid_override_pattern", "required key is missing")
    names = {"mamba": "mamba", "linear_attention": "mamba", "attention": "attention"}
    names |= {"full_attention": "attention", "mlp": "mlp", "moe": "moe"}
    unknown = sorted(set(kinds) - set(names))
    if unknown:
        c.fail("layers_block_type", f"unknown layer type(s) {', '.join(unknown)[:60]}")
    return [names[k] for k in kinds]


def _nemotron_h(c: _Cfg) -> _Tally:
    h = c.size("hidden_size")
    heads = c.size("num_attention_heads")
    kinds = _nemotron_h_layers(c)
    g = _Geom(
        h,
        len(kinds),
        heads,
        c.size("num_key_value_heads", default=heads),
        c.size("attention_head_dim", "head_dim", default=h // heads),
        c.vocab(),
    )
    mamba = _mamba2_mixer(c, h, c.size("mamba_num_heads", default=128), c.size("mamba_head_dim", default=64))
    attn = _attention(h, g.heads, g.kv, g.hd, qkv_bias=c.flag("attention_bias", False))
    mlp_bias = c.flag("mlp_bias", False)
    t = _Tally()
    _embeddings(t, g.vocab, h, c.tied(False))
    t.add(h)
    for kind in kinds:
        t.add(h)
        if kind == "mamba":
            t.add(mamba)
        elif kind == "attention":
            t.add(attn)
        elif kind == "mlp":
            t.add(_mlp(h, c.size("intermediate_size"), gated=False, bias=mlp_bias))
        else:
            _nemotron_h_moe(c, t, h, mlp_bias)
    return t


def _nemotron_h_moe(c: _Cfg, t: _Tally, h: int, bias: bool) -> None:
    n = c.sized("n_routed_experts", "num_local_experts", assumed=8, hi=_EXPERTS_MAX)
    latent = c.opt_int("moe_latent_size", lo=1)
    width = latent or h
    shared = c.size("moe_shared_expert_intermediate_size", default=0, lo=0)
    t.add(h * n + (_mlp(h, shared, gated=False, bias=bias) if shared else 0))
    if latent:
        t.add(_linear(h, latent, bias) + _linear(latent, h, bias))
    t.experts(_mlp(width, c.size("moe_intermediate_size"), gated=False), n, c.sized("num_experts_per_tok", assumed=1))


def _jamba(c: _Cfg) -> _Tally:
    g = _geom(c)
    attn_period = c.size("attn_layer_period", default=8)
    attn_offset = c.size("attn_layer_offset", default=4, lo=0)
    moe_period = c.size("expert_layer_period", default=2)
    moe_offset = c.size("expert_layer_offset", default=1, lo=0)
    n = c.sized("num_experts", assumed=16, hi=_EXPERTS_MAX)
    mlp = _mlp(g.h, _inter(c, g))
    state = c.size("mamba_d_state", default=16)
    rank = _dt_rank(c, "mamba_dt_rank", g.h)
    mamba = _mamba1_mixer(
        g.h,
        int(c.number("mamba_expand", 2.0, 0.0, 1024.0) * g.h),
        state,
        c.size("mamba_d_conv", default=4),
        rank,
        c.flag("mamba_proj_bias", False),
        c.flag("mamba_conv_bias", True),
    )
    mamba += rank + 2 * state  # Jamba normalises dt, B and C inside the mixer
    attn = _attention(g.h, g.heads, g.kv, g.hd)
    t = _Tally()
    _embeddings(t, g.vocab, g.h, c.tied(False))
    t.add(g.h)
    for i in range(g.layers):
        t.add(2 * g.h + (attn if i % attn_period == attn_offset else mamba))
        if n > 1 and i % moe_period == moe_offset:
            t.add(g.h * n)
            t.experts(mlp, n, c.sized("num_experts_per_tok", assumed=2))
        else:
            t.add(mlp)
    return t


# --------------------------------------------------------------------------- classic GPT-style models


def _gpt2(c: _Cfg) -> _Tally:
    h = c.size("n_embd", "hidden_size")
    inter = c.size("n_inner", default=4 * h)
    layers = c.layers("n_layer", "num_hidden_layers")
    t = _Tally()
    t.add(c.vocab(default=50257) * h + c.size("n_positions", "max_position_embeddings", default=1024) * h)
    block = 2 * _norm(h, "ln") + _linear(h, 3 * h, True) + _linear(h, h, True) + _mlp(h, inter, gated=False, bias=True)
    t.add(layers * block + _norm(h, "ln"))
    return t


def _gpt_bigcode(c: _Cfg) -> _Tally:
    h = c.size("n_embd", "hidden_size")
    heads = c.size("n_head", "num_attention_heads")
    kv_width = h // heads if c.flag("multi_query", True) else h
    inter = c.size("n_inner", default=4 * h)
    t = _Tally()
    t.add(c.vocab() * h + c.size("n_positions", "max_position_embeddings", default=2048) * h)
    block = 4 * h + _linear(h, h + 2 * kv_width, True) + _linear(h, h, True) + _mlp(h, inter, gated=False, bias=True)
    t.add(c.layers("n_layer", "num_hidden_layers") * block + 2 * h)
    return t


def _gpt_neo(c: _Cfg) -> _Tally:
    h = c.size("hidden_size")
    inter = c.size("intermediate_size", default=4 * h)
    t = _Tally()
    t.add(c.vocab() * h + c.size("max_position_embeddings", default=2048) * h)
    block = 4 * h + 3 * h * h + _linear(h, h, True) + _mlp(h, inter, gated=False, bias=True)
    t.add(c.layers("num_layers", "num_hidden_layers") * block + 2 * h)
    return t


def _gptj(c: _Cfg) -> _Tally:
    h = c.size("n_embd", "hidden_size")
    inter = c.size("n_inner", default=4 * h)
    t = _Tally()
    _embeddings(t, c.vocab(), h, c.tied(False), head_bias=True)
    block = 2 * h + 4 * h * h + _mlp(h, inter, gated=False, bias=True)
    t.add(c.layers("n_layer", "num_hidden_layers") * block + 2 * h)
    return t


def _gpt_neox(c: _Cfg) -> _Tally:
    h = c.size("hidden_size")
    inter = c.size("intermediate_size", default=4 * h)
    bias = c.flag("attention_bias", True)
    t = _Tally()
    _embeddings(t, c.vocab(), h, c.tied(False))
    block = 4 * h + _linear(h, 3 * h, bias) + _linear(h, h, bias) + _mlp(h, inter, gated=False, bias=True)
    t.add(c.layers() * block + 2 * h)
    return t


def _falcon(c: _Cfg, model_type: str) -> _Tally:
    h = c.size("hidden_size", "n_embed")
    heads = c.size("num_attention_heads", "n_head")
    hd = c.size("head_dim", default=h // heads)
    new_arch = c.flag("new_decoder_architecture", model_type == "refinedweb")
    multi_query = c.flag("multi_query", True)
    kv = c.size("num_kv_heads", "n_head_kv", default=heads if new_arch or not multi_query else 1)
    if new_arch:
        qkv = (heads + 2 * kv) * hd
        lns = c.size("num_ln_in_parallel_attn", default=2)
    else:
        qkv = h + 2 * hd if multi_query else 3 * h
        lns = 1 if c.flag("parallel_attn", True) else 2
    bias = c.flag("bias", False)
    inter = c.size("ffn_hidden_size", default=4 * h)
    t = _Tally()
    _embeddings(t, c.vocab(), h, c.tied(True))
    block = lns * 2 * h + _linear(h, qkv, bias) + _linear(heads * hd, h, bias) + _mlp(h, inter, gated=False, bias=bias)
    t.add(c.layers("num_hidden_layers", "n_layer") * block + 2 * h)
    return t


def _opt(c: _Cfg) -> _Tally:
    h = c.size("hidden_size")
    proj = c.size("word_embed_proj_dim", default=h)
    bias = c.flag("enable_bias", True)
    affine = c.flag("layer_norm_elementwise_affine", True)
    ln = 2 * h if affine else 0
    t = _Tally()
    vocab = c.vocab()
    t.add(vocab * proj + (c.size("max_position_embeddings", default=2048) + 2) * h)
    if not c.tied(True):
        t.add(vocab * proj)
    if proj != h:
        t.add(2 * h * proj)
    if c.flag("do_layer_norm_before", True) and not c.flag("_remove_final_layer_norm", False):
        t.add(ln)
    block = 2 * ln + 4 * _linear(h, h, bias) + _mlp(h, c.size("ffn_dim", default=4 * h), gated=False, bias=bias)
    t.add(c.layers() * block)
    return t


def _bloom(c: _Cfg) -> _Tally:
    h = c.size("hidden_size", "n_embed")
    t = _Tally()
    _embeddings(t, c.vocab(), h, c.tied(True))
    block = 4 * h + _linear(h, 3 * h, True) + _linear(h, h, True) + _mlp(h, 4 * h, gated=False, bias=True)
    t.add(2 * h + c.layers("n_layer", "num_hidden_layers") * block + 2 * h)
    return t


def _mpt(c: _Cfg) -> _Tally:
    h = c.size("d_model")
    heads = c.size("n_heads")
    attn = c.sub("attn_config") or c.child({}, "attn_config")
    kind = attn.text("attn_type") or "multihead_attention"
    kv = {"multiquery_attention": 1, "grouped_query_attention": attn.size("kv_n_heads", default=heads)}
    kv_width = kv.get(kind, heads) * (h // heads)
    bias = not c.flag("no_bias", False)
    ratio = c.number("expansion_ratio", 4.0, 0.0, 1024.0)
    t = _Tally()
    _embeddings(t, c.vocab(), h, c.tied(True))
    if c.flag("learned_pos_emb", True) and not attn.flag("alibi", False):
        t.add(c.size("max_seq_len", default=2048, hi=_VOCAB_MAX) * h)
    norm = _norm(h, "ln" if bias else "ln_nobias")
    block = 2 * norm + _linear(h, h + 2 * kv_width, bias) + _linear(h, h, bias)
    block += _mlp(h, int(ratio * h), gated=False, bias=bias)
    t.add(c.layers("n_layers") * block + norm)
    return t


def _phi(c: _Cfg) -> _Tally:
    """Phi-1/1.5/2, in both the transformers layout and the original ``phi-msft`` one."""
    h = c.size("hidden_size", "n_embd")
    heads = c.size("num_attention_heads", "n_head")
    kv = c.size("num_key_value_heads", "n_head_kv", default=heads)
    hd = h // heads
    inter = c.size("intermediate_size", "n_inner", default=4 * h)
    t = _Tally()
    _embeddings(t, c.vocab(), h, c.tied(False), head_bias=True)
    block = 2 * h + _attention(h, heads, kv, hd, qkv_bias=True, o_bias=True) + _mlp(h, inter, gated=False, bias=True)
    if c.flag("qk_layernorm", False):
        block += 4 * hd
    t.add(c.layers("num_hidden_layers", "n_layer") * block + 2 * h)
    return t


def _chatglm(c: _Cfg) -> _Tally:
    h = c.size("hidden_size")
    layers = c.layers("num_layers", "num_hidden_layers")
    heads = c.size("num_attention_heads")
    t = _Tally()
    if c.has("inner_hidden_size"):  # ChatGLM-6B (v1): LayerNorm, biased, GeLU MLP
        vocab = c.vocab()
        _embeddings(t, vocab, h, c.tied(True))
        block = 4 * h + _linear(h, 3 * h, True) + _linear(h, h, True)
        t.add(layers * (block + _mlp(h, c.size("inner_hidden_size"), gated=False, bias=True)) + 2 * h)
        return t
    hd = c.size("kv_channels", default=h // heads)
    groups = c.size("multi_query_group_num", default=heads) if c.flag("multi_query_attention", False) else heads
    bias = c.flag("add_bias_linear", False)
    qkv_bias = bias or c.flag("add_qkv_bias", False)
    norm = "rms" if c.flag("rmsnorm", True) else "ln"
    _embeddings(t, c.vocab("padded_vocab_size", "vocab_size"), h, c.tied(False))
    block = 2 * _norm(h, norm) + _linear(h, (heads + 2 * groups) * hd, qkv_bias) + _linear(heads * hd, h, bias)
    block += _mlp(h, c.size("ffn_hidden_size"), bias=bias)
    t.add(layers * block + (_norm(h, norm) if c.flag("post_layer_norm", True) else 0))
    return t


def _t5(c: _Cfg, model_type: str) -> _Tally:
    d = c.size("d_model")
    heads = c.size("num_heads")
    inner = heads * c.size("d_kv", default=64)
    enc = c.layers("num_layers")
    dec = c.size("num_decoder_layers", default=enc, lo=0, hi=_LAYERS_MAX)
    proj = c.text("feed_forward_proj") or "relu"
    ffn = _mlp(d, c.size("d_ff"), gated=proj.startswith("gated"))
    attn = 4 * d * inner
    buckets = c.size("relative_attention_num_buckets", default=32) * heads
    bias_layers = (enc, dec) if model_type == "umt5" else (min(enc, 1), min(dec, 1))
    t = _Tally()
    _embeddings(t, c.vocab(), d, c.tied(True))
    t.add(enc * (attn + ffn + 2 * d) + d + bias_layers[0] * buckets)
    t.add(dec * (2 * attn + ffn + 3 * d) + (d if dec else 0) + bias_layers[1] * buckets)
    return t


# --------------------------------------------------------------------------- generic fallback

_HIDDEN_KEYS = ("hidden_size", "n_embd", "n_embed", "d_model", "dim", "model_dim", "emb_size", "hidden_dim")
_LAYER_KEYS = ("num_hidden_layers", "n_layer", "n_layers", "num_layers", "num_decoder_layers", "depth")
_HEAD_KEYS = ("num_attention_heads", "n_head", "n_heads", "num_heads")
_VOCAB_KEYS = ("vocab_size", "padded_vocab_size", "n_vocab")
_INTER_KEYS = ("intermediate_size", "n_inner", "ffn_hidden_size", "d_ff", "ffn_dim", "inner_hidden_size", "inter_dim")
_GATED_ACTS = ("silu", "swiglu", "swish", "geglu", "gelu_pytorch_tanh")


def _generic(c: _Cfg) -> _Tally:
    """12·L·h² + V·h, refined by the head, intermediate and expert sizes when the config gives them."""
    h = c.size(*_HIDDEN_KEYS)
    layers = c.layers(*_LAYER_KEYS)
    if not c.has(*_VOCAB_KEYS):
        c.guess("no vocabulary size given; embeddings not counted")
    vocab = c.size(*_VOCAB_KEYS, default=0, lo=0, hi=_VOCAB_MAX)
    heads = c.opt_int(*_HEAD_KEYS, lo=1)
    attn = 4 * h * h
    if heads and c.has("kv_lora_rank"):
        # Multi-head latent attention, as DeepSeek's reference code configures it.
        attn = _mla(c, _Geom(h, layers, heads, heads, max(1, h // heads), vocab))
    elif heads:
        kv = c.size("num_key_value_heads", "num_kv_heads", default=heads)
        hd = c.size("head_dim", default=max(1, h // heads))
        attn = _attention(h, heads, kv, hd)
    else:
        c.guess("no attention head count given; attention assumed to be 4·h² per layer")
    act = c.data.get("hidden_act", c.data.get("activation_function"))
    gated = isinstance(act, str) and act.lower() in _GATED_ACTS
    expert_gated = gated
    if act is None and _expert_count(c) is not None:
        # Mixture-of-experts models are gated almost without exception; still a guess.
        c.guess("no activation given; experts assumed to be gated (SwiGLU)")
        expert_gated = True
    moe = _read_moe(c, h, layers, gated=expert_gated)
    mlp = 0
    if moe is None or moe.has_dense_layers(layers):
        inter = c.opt_int(*_INTER_KEYS, lo=1)
        if inter is None:
            c.guess("no intermediate size given; feed-forward assumed to be 8·h² per layer")
        mlp = _mlp(h, inter, gated=gated) if inter else 8 * h * h
    t = _Tally(exact=False)
    _embeddings(t, vocab, h, c.tied(True))
    t.add(h)  # final norm
    for i in range(layers):
        t.add(attn + 2 * h)
        _add_ffn(t, i, mlp, moe)
    return t


# --------------------------------------------------------------------------- multimodal parts


def _vision_estimate(v: _Cfg, text_hidden: int) -> int:
    """A ViT-style tower: patch embedding, pre-norm blocks with biased projections, a projector."""
    h = v.size("hidden_size", "embed_dim", "width", "vt_hidden_size", "hidden_dim", "d_model")
    layers = v.size("num_hidden_layers", "depth", "num_layers", "vt_num_hidden_layers", "layers", hi=_LAYERS_MAX)
    layers += v.size("num_global_layers", default=0, lo=0, hi=_LAYERS_MAX)
    ratio = v.number("mlp_ratio", 4.0, 0.0, 1024.0)
    inter = v.size("intermediate_size", "vt_intermediate_size", "mlp_dim", "intermediate_dim", default=int(ratio * h))
    patch = v.size("patch_size", default=14)
    channels = v.size("num_channels", "in_channels", "in_chans", default=3)
    n = layers * (_linear(h, 3 * h, True) + _linear(h, h, True) + _mlp(h, inter, gated=False, bias=True) + 4 * h)
    n += channels * patch * patch * h * v.size("temporal_patch_size", default=1) + h
    if v.has("image_size"):
        n += (v.size("image_size", hi=_VOCAB_MAX) // patch) ** 2 * h
    elif v.has("num_position_embeddings"):
        n += v.size("num_position_embeddings", hi=_VOCAB_MAX) * h
    merge = v.size("spatial_merge_size", default=1) ** 2
    out = v.size("out_hidden_size", "projector_output_dim", default=text_hidden)
    n += _linear(h * merge, h * merge, True) + _linear(h * merge, out, True) if merge > 1 else _linear(h, out, True)
    return n + 2 * h


# --------------------------------------------------------------------------- dispatch

if TYPE_CHECKING:
    _Handler = Callable[[_Cfg], _Tally]

_FAMILIES: dict[str, tuple[str, _Handler]] = {
    "llama": ("llama", _llama_like(LLAMA)),
    "mistral": ("mistral", _llama_like(LLAMA)),
    "ministral": ("mistral", _llama_like(LLAMA)),
    "mixtral": ("mixtral", _mixtral),
    "qwen": ("qwen", _qwen1),
    "qwen2": ("qwen2", _llama_like(QWEN2, bias_key=None)),
    "qwen2moe": ("qwen2_moe", _qwen_moe(QWEN2)),
    "qwen3": ("qwen3", _llama_like(QWEN3)),
    "qwen3moe": ("qwen3_moe", _qwen_moe(QWEN3)),
    "qwen3next": ("qwen3_next", _qwen_hybrid),
    "qwen35": ("qwen3_5", _qwen_hybrid),
    "qwen35moe": ("qwen3_5_moe", _qwen_hybrid),
    "deepseek": ("deepseek", _llama_like(LLAMA, moe_native=True)),
    "deepseekv2": ("deepseek_v2", _deepseek),
    "deepseekv3": ("deepseek_v3", _deepseek),
    "deepseekv32": ("deepseek_v32", _deepseek),
    "kimik2": ("deepseek_v3", _deepseek),
    "glmmoedsa": ("glm_moe_dsa", _deepseek),
    "gemma": ("gemma", _llama_like(GEMMA)),
    "gemma2": ("gemma2", _llama_like(GEMMA2)),
    "gemma3": ("gemma3", _llama_like(GEMMA3)),
    "phi": ("phi", _phi),
    "phimsft": ("phi", _phi),
    "mixformersequential": ("phi", _phi),
    "phi3": ("phi3", _llama_like(LLAMA)),
    "phimoe": ("phimoe", _phimoe),
    "gpt2": ("gpt2", _gpt2),
    "gptbigcode": ("gpt_bigcode", _gpt_bigcode),
    "gptneo": ("gpt_neo", _gpt_neo),
    "gptj": ("gptj", _gptj),
    "gptneox": ("gpt_neox", _gpt_neox),
    "falcon": ("falcon", lambda c: _falcon(c, "falcon")),
    "rw": ("falcon", lambda c: _falcon(c, "rw")),
    "refinedweb": ("falcon", lambda c: _falcon(c, "refinedweb")),
    "refinedwebmodel": ("falcon", lambda c: _falcon(c, "refinedwebmodel")),
    "opt": ("opt", _opt),
    "bloom": ("bloom", _bloom),
    "starcoder2": ("starcoder2", _starcoder2),
    "olmo": ("olmo", _olmo),
    "olmo2": ("olmo2", _llama_like(OLMO2)),
    "olmo3": ("olmo2", _llama_like(OLMO2)),
    "olmoe": ("olmoe", _olmoe),
    "mpt": ("mpt", _mpt),
    "chatglm": ("chatglm", _chatglm),
    "glm": ("glm", _llama_like(GLM, o_bias_follows=False)),
    "glm4": ("glm4", _llama_like(GLM4, o_bias_follows=False)),
    "glm4moe": ("glm4_moe", _glm4_moe),
    "baichuan": ("baichuan", _llama_like(LLAMA)),
    "internlm": ("internlm", _llama_like(INTERNLM, bias_key="bias")),
    "internlm2": ("internlm2", _llama_like(LLAMA, bias_key="bias")),
    "gptoss": ("gpt_oss", _gpt_oss),
    "dbrx": ("dbrx", _dbrx),
    "nemotronh": ("nemotron_h", _nemotron_h),
    "nemotron": ("nemotron", _llama_like(NEMOTRON)),
    "t5": ("t5", lambda c: _t5(c, "t5")),
    "mt5": ("t5", lambda c: _t5(c, "mt5")),
    "umt5": ("t5", lambda c: _t5(c, "umt5")),
    "stablelm": ("stablelm", _stablelm),
    "stablelmepoch": ("stablelm", _stablelm),
    "mamba": ("mamba", _mamba),
    "falconmamba": ("mamba", _mamba),
    "mamba2": ("mamba2", _mamba2),
    "jamba": ("jamba", _jamba),
    "llama4": ("llama4", _llama4_text),
    "cohere": ("cohere", _cohere),
    "granite": ("llama", _llama_like(LLAMA)),
    "ernie45": ("ernie4_5", _ernie),
    "mllama": ("llama", _llama_like(LLAMA)),
    "yi": ("llama", _llama_like(LLAMA)),
}

# Architectures whose class names do not reduce to a model_type above.
_ALIASES = {
    "kimik25": "deepseekv3",
    "mistral3": "mistral",
    "qwen3vl": "qwen3",
    "qwen3vlmoe": "qwen3moe",
    "qwen2vl": "qwen2",
    "qwen25vl": "qwen2",
    "codellama": "llama",
}

_CLASS_SUFFIXES = ("forcausallm", "lmheadmodel", "forconditionalgeneration", "model")
_TEXT_SUFFIXES = ("textmodel", "text")  # the language half of a multimodal type: "llama4_text"


def _strip(key: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def _key(name: str, *, is_class: bool = False) -> str:
    """A lookup key for a model_type, or for an architecture class name when ``is_class``."""
    k = re.sub(r"[^a-z0-9]", "", name.lower())
    if is_class:
        k = _strip(k, _CLASS_SUFFIXES)
    k = _strip(k, _TEXT_SUFFIXES)
    return _ALIASES.get(k, k)


def _resolve(c: _Cfg) -> tuple[str, _Handler] | None:
    model_type = c.text("model_type")
    if model_type is not None and _key(model_type) in _FAMILIES:
        return _FAMILIES[_key(model_type)]
    archs = c.data.get("architectures")
    if isinstance(archs, list | tuple):
        for arch in archs:
            if isinstance(arch, str) and _key(arch, is_class=True) in _FAMILIES:
                return _FAMILIES[_key(arch, is_class=True)]
    return None


_TEXT_KEYS = ("text_config", "llm_config", "language_config")
_VISION_KEYS = ("vision_config", "visual")


def _text_part(c: _Cfg) -> _Cfg | None:
    """The language model of a multimodal wrapper, inheriting the wrapper's tying flag and type."""
    for key in _TEXT_KEYS:
        sub = c.sub(key)
        if sub is None or not any(k in sub.data for k in _HIDDEN_KEYS):
            continue
        data = dict(sub.data)
        if "tie_word_embeddings" not in data and "tie_word_embeddings" in c.data:
            data["tie_word_embeddings"] = c.data["tie_word_embeddings"]
        if "model_type" not in data or _key(str(data["model_type"])) not in _FAMILIES:
            outer = c.data.get("model_type")
            if isinstance(outer, str) and _key(outer) in _FAMILIES:
                data["model_type"] = outer
        return _Cfg(data, c.source, sub.path, c)
    return None


def _add_vision(c: _Cfg, t: _Tally, text_hidden: int) -> None:
    vision = next((s for s in (c.sub(k) for k in _VISION_KEYS) if s is not None and s.data), None)
    if vision is None:
        return
    t.exact = False
    try:
        n = _vision_estimate(vision, text_hidden)
    except ModelFileError:
        # Vision configs vary too much to insist on: the text model still counts.
        t.notes.append("vision tower present but not understood; not counted")
        return
    t.add(n)
    t.notes.append(f"vision tower estimated at about {n / 1e9:.2f}B parameters")


def _count(c: _Cfg, depth: int = 0) -> tuple[_Tally, str]:
    text = _text_part(c) if depth < 3 else None
    if text is not None:
        t, family = _count(text, depth + 1)
        t.notes.append("multimodal config: counted the text model")
    else:
        resolved = _resolve(c)
        if resolved is None:
            t, family = _generic(c), "generic"
            t.notes.append("unknown architecture: generic decoder estimate")
        else:
            family, handler = resolved
            t = handler(c)
            _experts_ignored(c, t, family)
    _add_vision(c, t, (text or c).size(*_HIDDEN_KEYS, default=0, lo=0))
    return t, family


def _experts_ignored(c: _Cfg, t: _Tally, family: str) -> None:
    """A config naming routed experts that its family's formula counted as dense is only a guess."""
    found = _expert_count(c) if not t.moe else None
    if found is not None:
        m, key, n = found
        c.guess(f"{m.path}{key} = {n} names a mixture of experts, but the {family} formula counts a dense model")


def count_parameters(config: Any, *, source: str = "config.json") -> ParamCount:
    """Count a model's parameters from its config.json alone.

    ``config`` is the parsed JSON object; ``source`` names it in errors. Raises
    :class:`~compliance.errors.ModelFileError` for a config that is not a mapping, has neither a
    hidden size nor a layer count, or holds values of the wrong type or an absurd size.
    """
    if not isinstance(config, Mapping):
        raise ModelFileError(f"expected a JSON object, got {type(config).__name__}", source=source)
    c = _Cfg(config, source)
    if not c.has(*_HIDDEN_KEYS, *_LAYER_KEYS, *_TEXT_KEYS):
        c.fail("hidden_size", "neither a hidden size nor a layer count is given")
    try:
        t, family = _count(c)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, OverflowError, RecursionError) as exc:
        # Every path validates what it reads; this is a last line of defence for odd combinations.
        raise ModelFileError(f"config is inconsistent ({type(exc).__name__})", source=source) from exc
    notes = list(dict.fromkeys(c.assumed + t.notes + c.notes))
    if c.assumed:
        confidence = Confidence.SPECULATIVE  # a size the formula needs was guessed
    elif family == "generic" or not t.exact:
        confidence = Confidence.LIKELY  # every size given, but the formula is an estimate
    else:
        confidence = Confidence.CONFIDENT
    return ParamCount(
        total=t.total,
        active=t.active if t.moe else None,
        family=family,
        exact=confidence is Confidence.CONFIDENT,
        note="; ".join(notes) or None,
        confidence=confidence,
    )


# Families whose formula is a mixture of experts (a name containing "moe" is one too).
_MOE_FAMILIES = frozenset({
    "mixtral", "qwen2_moe", "qwen3_moe", "qwen3_next", "qwen3_5_moe", "deepseek", "deepseek_v2", "deepseek_v3",
    "deepseek_v32", "glm_moe_dsa", "phimoe", "gpt_oss", "llama4", "glm4_moe", "dbrx", "olmoe", "jamba",
})  # fmt: skip


def names_moe_family(name: str) -> bool:
    """Whether a ``model_type`` or architecture class name belongs to a mixture-of-experts family."""
    if not isinstance(name, str) or not name or len(name) > 200:
        return False
    for key in (_key(name), _key(name, is_class=True)):
        if "moe" in key or _FAMILIES.get(key, ("", None))[0] in _MOE_FAMILIES:
            return True
    return False
