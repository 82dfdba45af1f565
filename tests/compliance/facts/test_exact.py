"""The optional exact path: transformers on the meta device, or None when it cannot be used."""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

import pytest

from compliance.facts import exact
from compliance.facts.architectures import count_parameters
from compliance.facts.exact import count_exact, exact_available

TINY_LLAMA: dict[str, Any] = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 64,
    "intermediate_size": 160,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "num_hidden_layers": 2,
    "vocab_size": 300,
    "tie_word_embeddings": False,
}


def test_availability_agrees_with_find_spec() -> None:
    expected = find_spec("torch") is not None and find_spec("transformers") is not None
    assert exact_available() is expected


def test_unavailable_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exact, "find_spec", lambda name: None)
    assert exact_available() is False
    assert count_exact(TINY_LLAMA) is None


def test_not_a_mapping_is_none() -> None:
    assert count_exact([1, 2, 3]) is None  # type: ignore[arg-type]


def test_module_does_not_import_torch_or_transformers() -> None:
    import sys

    source = exact.__file__
    assert source is not None
    with open(source, encoding="utf-8") as fh:
        head = fh.read().split("def ", 1)[0]
    assert "import torch" not in head and "import transformers" not in head
    if "torch" not in sys.modules:
        assert exact_available() in (True, False)
        assert "torch" not in sys.modules  # find_spec alone must not import it


def _require_backends() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")


def test_tiny_llama_matches_the_analytic_count() -> None:
    _require_backends()
    result = count_exact(TINY_LLAMA)
    assert result is not None
    assert result.total == count_parameters(TINY_LLAMA).total
    assert result.exact is True
    assert result.active is None
    assert result.note is not None and "meta device" in result.note


def test_mixture_of_experts_total_matches_and_active_is_not_attempted() -> None:
    _require_backends()
    config = {
        **TINY_LLAMA,
        "architectures": ["MixtralForCausalLM"],
        "model_type": "mixtral",
        "num_local_experts": 4,
        "num_experts_per_tok": 2,
    }
    result = count_exact(config)
    assert result is not None
    assert result.total == count_parameters(config).total
    assert result.active is None


def test_remote_code_architectures_are_not_built() -> None:
    _require_backends()
    config = {
        "architectures": ["SomeLabForCausalLM"],
        "auto_map": {"AutoModelForCausalLM": "modeling_somelab.SomeLabForCausalLM"},
        "model_type": "somelab",
        "hidden_size": 64,
        "num_hidden_layers": 2,
    }
    assert count_exact(config) is None


def test_native_class_with_foreign_keys_is_refused() -> None:
    _require_backends()
    # phi-msft keys (n_embd...) are not PhiConfig's: building it would count PhiConfig's defaults.
    config = {
        "architectures": ["PhiForCausalLM"],
        "model_type": "phi-msft",
        "n_embd": 64,
        "n_layer": 2,
        "n_head": 4,
        "vocab_size": 300,
    }
    assert count_exact(config) is None


def test_broken_config_is_none_not_an_exception() -> None:
    _require_backends()
    assert count_exact({**TINY_LLAMA, "hidden_size": -5}) is None
    assert count_exact({"model_type": 12}) is None
