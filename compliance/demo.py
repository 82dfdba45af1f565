"""A self-contained demonstration: build a model directory (config, card, sparse safetensors
headers, no weights) and run ``compliance check`` on it, with no network.

``make run`` uses it until the service is started instead; ``python -m compliance.demo DIR``
leaves the directory in DIR for further experiments.
"""

from __future__ import annotations

import json
import struct
import sys
import tempfile
from pathlib import Path
from typing import Any

# Published hyper-parameters of Llama 3.1 8B.
CONFIG: dict[str, Any] = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
}

CARD = """---
license: llama3.1
pipeline_tag: text-generation
base_model: meta-llama/Llama-3.1-8B
base_model_relation: finetune
---
# acme/assistant-8b

An assistant fine-tuned from Llama 3.1 8B on our support transcripts.

## Training

The base model was pretrained on about 15 trillion tokens. Our fine-tune used 2,000 H100-80GB GPU hours.
"""


def _tensors() -> list[tuple[str, list[int]]]:
    h, i, v, layers = (
        CONFIG["hidden_size"],
        CONFIG["intermediate_size"],
        CONFIG["vocab_size"],
        CONFIG["num_hidden_layers"],
    )
    kv = CONFIG["num_key_value_heads"] * h // CONFIG["num_attention_heads"]
    out = [("model.embed_tokens.weight", [v, h])]
    for n in range(layers):
        p = f"model.layers.{n}."
        out += [(p + "self_attn.q_proj.weight", [h, h]), (p + "self_attn.k_proj.weight", [kv, h]),
                (p + "self_attn.v_proj.weight", [kv, h]), (p + "self_attn.o_proj.weight", [h, h]),
                (p + "mlp.gate_proj.weight", [i, h]), (p + "mlp.up_proj.weight", [i, h]),
                (p + "mlp.down_proj.weight", [h, i]), (p + "input_layernorm.weight", [h]),
                (p + "post_attention_layernorm.weight", [h])]  # fmt: skip
    return [*out, ("model.norm.weight", [h]), ("lm_head.weight", [v, h])]


def build(directory: Path) -> Path:
    """Write the demo model into ``directory`` (safetensors data is sparse: nothing is allocated)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(CONFIG, indent=2))
    (directory / "README.md").write_text(CARD)
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape in _tensors():
        size = 2
        for d in shape:
            size *= d
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    with (directory / "model.safetensors").open("wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw)
        fh.truncate(8 + len(raw) + offset)
    return directory


def main(argv: list[str] | None = None) -> None:
    """Build the demo model and check it against every shipped rule set."""
    from compliance.cli import main as cli

    args = sys.argv[1:] if argv is None else argv
    base = Path(args[0]) if args else Path(tempfile.mkdtemp(prefix="compliance-demo-"))
    target = build(base / "assistant-8b")
    # --offline keeps the demo off the network: the base model named by the card is looked up in
    # the local hub cache only (run the same command without it to read the base from the hub).
    print(f"$ compliance check {target} --destination AE --market EU --open-weights yes --offline\n", flush=True)
    cli(["check", str(target), "--destination", "AE", "--market", "EU", "--open-weights", "yes", "--offline"])


if __name__ == "__main__":
    main()
