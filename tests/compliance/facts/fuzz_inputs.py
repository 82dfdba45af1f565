"""Near-valid model files for the fuzz tests: safetensors headers, configs and model cards.

Each strategy starts from something real (an honest header, a config of a family the counter
knows, the card test suite's passages) so that mutations reach the parsers' deep branches,
not only their first check. Shared by the fuzz tests of the local files and of the upload.
"""

from __future__ import annotations

import inspect
import math
import re
from typing import Any

import yaml
from hypothesis import strategies as st

from compliance.facts import architectures
from compliance.facts.safetensors import DTYPE_BITS
from tests.compliance.facts.passages import load_passages
from tests.fuzzing import (
    HOSTILE_STRINGS,
    HOSTILE_YAML,
    HUGE_DIGITS,
    YAML_LEAVES,
    Deep,
    hostile_json,
    mutated,
    text_mutations,
)

# ----------------------------------------------------------------------------- safetensors headers

TENSOR_NAMES = st.one_of(
    st.sampled_from(["model.embed_tokens.weight", "lm_head.weight", "model.layers.0.mlp.gate_proj.qweight",
                     "h.0.attn.bias", "rotary_emb.inv_freq", "__metadata__", ""]),
    st.sampled_from(HOSTILE_STRINGS),
    st.text(max_size=20),
)  # fmt: skip
FIELD_NAMES = st.sampled_from(["dtype", "shape", "data_offsets", "__metadata__", "extra"])


@st.composite
def honest_header(draw: st.DrawFn) -> tuple[dict[str, Any], int]:
    """A header whose tensors tile a data section, and that section's size."""
    header: dict[str, Any] = {}
    offset = 0
    for _ in range(draw(st.integers(0, 6))):
        name = draw(TENSOR_NAMES)
        if name in header or name == "__metadata__":  # a name given twice would leave a gap
            continue
        dtype = draw(st.sampled_from(sorted(DTYPE_BITS)))
        shape = draw(st.lists(st.integers(0, 48), max_size=4))
        size = (math.prod(shape) * DTYPE_BITS[dtype] + 7) // 8
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    if draw(st.booleans()):
        header["__metadata__"] = draw(st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3))
    return header, offset


GOOD_SHARDS = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors"]
BAD_SHARDS = ["a\x00b", "\udc80.safetensors", "sub/dir.safetensors", "..\\x", "..", ".", "", " ", "/etc/passwd",
              "model.safetensors.index.json", "x" * 300, "CON", "model-00001-of-00002.safetensors\n"]  # fmt: skip
SHARD_NAMES = st.one_of(st.sampled_from(GOOD_SHARDS), st.sampled_from(BAD_SHARDS), st.text(max_size=12))


@st.composite
def index_tree(draw: st.DrawFn) -> Any:
    """A shard index (``model.safetensors.index.json``) as a tree, near-valid or not at all."""
    weight_map = draw(st.dictionaries(TENSOR_NAMES, SHARD_NAMES, max_size=5))
    base = {"metadata": {"total_size": draw(st.integers(0, 2**40))}, "weight_map": weight_map}
    return draw(
        st.one_of(
            mutated(st.just(base), keys=st.sampled_from(["weight_map", "metadata", "x"])),
            hostile_json(),
            st.builds(Deep, st.sampled_from([1000, 100_000]), st.sampled_from(["list", "object"])),
        )
    )


# ----------------------------------------------------------------------------- config.json

# Every quoted identifier in the counter's source: the keys it reads and the families it knows.
CONFIG_KEYS = sorted(set(re.findall(r"\"([a-z][a-z0-9_]{2,40})\"", inspect.getsource(architectures))))
MODEL_TYPES = sorted(architectures._FAMILIES)

SIZES = st.one_of(st.sampled_from([1, 2, 4, 8, 64, 128, 4096, 11008, 32000]), st.integers(0, 1 << 21))


@st.composite
def plausible_config(draw: st.DrawFn) -> dict[str, Any]:
    config: dict[str, Any] = {
        "model_type": draw(st.sampled_from([*MODEL_TYPES, "mystery_lm"])),
        "architectures": [draw(st.sampled_from(["LlamaForCausalLM", "MixtralForCausalLM", "Foo"]))],
        "hidden_size": draw(st.sampled_from([64, 256, 4096])),
        "num_hidden_layers": draw(st.integers(1, 4)),
        "num_attention_heads": draw(st.sampled_from([1, 4, 32])),
        "intermediate_size": draw(st.sampled_from([128, 704, 11008])),
        "vocab_size": draw(st.sampled_from([100, 32000])),
    }
    for key in draw(st.lists(st.sampled_from(CONFIG_KEYS), max_size=6)):
        config[key] = draw(st.one_of(SIZES, st.booleans(), st.sampled_from(MODEL_TYPES)))
    if draw(st.booleans()):
        config = {
            "model_type": "llava",
            "text_config": config,
            "vision_config": {"hidden_size": 64, "num_hidden_layers": 2},
        }
    return config


CONFIG_TREES = st.one_of(
    mutated(plausible_config(), keys=st.sampled_from(CONFIG_KEYS), max_mutations=4),
    mutated(plausible_config(), leaves=SIZES, keys=st.sampled_from(CONFIG_KEYS), max_mutations=6),
    hostile_json(),
    st.builds(Deep, st.sampled_from([100, 100_000]), st.sampled_from(["list", "object"])),
)


# ----------------------------------------------------------------------------- model cards

PASSAGES = load_passages()

NUMBER_TEXTS = [
    "0", "-3", "7", "1,000,000", "1.5e12", "10^24", "10²⁴", "2 × 10^25", "2x10^24", "7B", "1.5T", "2 trillion",
    "two thousand and forty-eight", "seventy-five billion", "9" * 4000, "9" * HUGE_DIGITS, "1e999", "3e-400", "½",
    "١٢٣", "７０", "1,2,3,4,5,6,7,8", "1.2.3", "0x1F", "1" + ",000" * 500, "trillion " * 200, "1e" * 1000, "nan",
    "inf", "−5", "1 000 000", "3.5k", "1_000", "1e+308", "1.7976931348623157e309",
]  # fmt: skip
UNITS = ["tokens", "parameters", "GPU hours", "H100 hours", "A100s", "TPU v4 chips", "days", "weeks", "FLOPs",
         "PF-days", "tCO2eq", "kWh", "B tokens", "trillion tokens", "hours on 8 × H100"]  # fmt: skip
TEMPLATES = [
    "The model was trained on {n} {u}.",
    "Pretraining took {n} {u} on {m} NVIDIA H100 GPUs over {k} days.",
    "It has {n} parameters ({m} active).",
    "| Model | Params | Tokens | GPU hours |\n|---|---|---|---|\n| {name} | {n} | {m} | {k} |",
    "<table><tr><th>Tokens</th><td>{n}</td></tr><tr><td>{m} {u}</td></tr></table>",
    "over {n} {u}, about {m}, nearly {k}",
    "```\ntrained on {n} tokens\n",
    "- **Training tokens:** {n}\n- **Hardware:** {m} × {u}",
    "Fine-tuned on {n} tokens after pretraining on {m} tokens for {k} epochs.",
    "{n}" * 50,
]
HOSTILE_LINES = [
    "1" * 5000, "1 " * 3000, "1," * 3000, "x10^" * 1000, "-" * 5000, " " * 4000 + "tokens", "|" * 3000,
    "<table>" * 500, "```", "~~~", "# " + "#" * 1000, "\t" * 100 + "tokens", "\u202e\u200b" * 500, "\x00\x01\x02",
]  # fmt: skip


def _with_numbers(text: str, numbers: list[str]) -> str:
    replacements = iter(numbers)
    return re.sub(r"\d[\d,.]*", lambda m: next(replacements, m.group(0)), text)


@st.composite
def prose_line(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["passage", "template", "hostile", "text"]))
    if kind == "passage":
        text = draw(st.sampled_from(PASSAGES)).text
        return _with_numbers(text, draw(st.lists(st.sampled_from(NUMBER_TEXTS), max_size=4)))
    if kind == "template":
        number = st.sampled_from(NUMBER_TEXTS)
        return draw(st.sampled_from(TEMPLATES)).format(
            n=draw(number), m=draw(number), k=draw(number), u=draw(st.sampled_from(UNITS)), name=draw(model_names)
        )
    if kind == "hostile":
        return draw(st.sampled_from(HOSTILE_LINES))
    return draw(st.text(max_size=200))


model_names = st.one_of(
    st.none(),
    st.sampled_from([p.model_name for p in PASSAGES[:40]]),
    st.sampled_from(HOSTILE_STRINGS),
    st.text(max_size=40),
)

FRONT_KEYS = st.sampled_from(["license", "license_name", "license_link", "base_model", "base_model_relation",
                              "datasets", "pipeline_tag", "tags", "library_name", "co2_eq_emissions", "language",
                              "duration", "hardware_used", "training_type"])  # fmt: skip
PLAUSIBLE_FRONT = st.fixed_dictionaries(
    {
        "license": st.sampled_from(["apache-2.0", "other", "llama3.1", "mit"]),
        "license_name": st.just("custom"),
        "base_model": st.sampled_from(["org/base", ["org/a", "org/b"]]),
        "pipeline_tag": st.sampled_from(["text-generation", "fill-mask", "weird-task"]),
        "tags": st.just(["lora", "merge"]),
        "co2_eq_emissions": st.fixed_dictionaries(
            {"emissions": st.just(10), "hardware_used": st.just("8 x H100"), "duration": st.just("3 days")}
        ),
    }
)


@st.composite
def front_matter(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["mapping", "hostile", "none", "unclosed"]))
    if kind == "none":
        return ""
    if kind == "hostile":
        body = "\n".join(draw(st.lists(st.sampled_from(HOSTILE_YAML), min_size=1, max_size=3)))
    else:
        tree = draw(mutated(PLAUSIBLE_FRONT, leaves=YAML_LEAVES, keys=FRONT_KEYS, duplicates=False))
        body = yaml.safe_dump(tree, allow_unicode=draw(st.booleans()), sort_keys=False)
    return "---\n" + body + ("\n" if kind == "unclosed" else "\n---\n")


@st.composite
def cards(draw: st.DrawFn) -> str:
    lines = draw(st.lists(prose_line(), max_size=8))
    text = draw(front_matter()) + "\n\n".join(lines)
    return draw(text_mutations(text))


HINTS = st.one_of(st.none(), st.sampled_from([0.0, -1.0, math.nan, math.inf, 1e30, 7e9, 8.03e9, 1.0]))


# ----------------------------------------------------------------------------- uploaded metadata

UPLOAD_KEYS = st.sampled_from(["card", "config", "safetensors", "file", "header", "data_size", "name", "extra"])


@st.composite
def upload_trees(draw: st.DrawFn, named: bool = False) -> Any:
    """What ``compliance check --server`` uploads (card, config, safetensors headers), made hostile;
    ``named`` adds the model's name, as the API's ``upload`` object has it."""
    upload: dict[str, Any] = {}
    if named:
        upload["name"] = draw(st.sampled_from(["assistant-8b", "org/model", "x" * 200]))
    parts = draw(st.sets(st.sampled_from(["card", "config", "safetensors"]), min_size=1))
    if "card" in parts:
        upload["card"] = draw(cards())
    if "config" in parts:
        upload["config"] = draw(CONFIG_TREES)
    if "safetensors" in parts:
        files = []
        for index in range(draw(st.integers(0, 3))):
            header, size = draw(honest_header())
            entry = {"file": f"model-{index:05d}.safetensors", "header": header}
            if draw(st.booleans()):
                entry["data_size"] = size
            files.append(entry)
        upload["safetensors"] = files
    return draw(mutated(st.just(upload), keys=UPLOAD_KEYS, max_mutations=draw(st.sampled_from([0, 1, 2]))))
