"""The demo registry shipped with the project: contents, generated files, schema errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from web.hubserver.demo import REGISTRY_DIR, DemoRegistry, RegistryDataError, render_card
from web.hubserver.files import read_range
from web.hubserver.repos import front_matter

REQUIRED = [
    "meta-llama/Llama-3.1-405B",
    "meta-llama/Llama-3.1-8B",
    "meta-llama/Llama-3.1-8B-Instruct",
    "demo-quant/Llama-3.1-8B-Instruct-AWQ-INT4",
    "Qwen/Qwen2-72B",
    "deepseek-ai/DeepSeek-V3",
    "01-ai/Yi-34B",
    "openbmb/MiniCPM-Llama3-V-2_5",
    "mustafaaljadery/llama3v",
    "demo-labs/closed-video-gen",
    "mistralai/Mixtral-8x7B-v0.1",
    "google/gemma-2-27b",
    "microsoft/phi-4",
    "allenai/OLMo-2-1124-13B",
    "Qwen/Qwen3-30B-A3B",
    "moonshotai/Kimi-K2-Instruct",
    "tiiuae/falcon-40b",
    "bigscience/bloom",
    "EleutherAI/pythia-12b",
    "openai-community/gpt2-xl",
    "openai/gpt-oss-120b",
    "demo-faults/lying-header",
]


@pytest.fixture(scope="module")
def registry() -> DemoRegistry:
    return DemoRegistry()


def test_registry_holds_the_cases_users_ask_about(registry: DemoRegistry) -> None:
    assert len(registry) >= 24
    missing = [rid for rid in REQUIRED if registry.get(rid) is None]
    assert missing == []


def test_registry_data_stays_small() -> None:
    size = sum(p.stat().st_size for p in REGISTRY_DIR.rglob("*") if p.is_file())
    assert size < 300_000


def test_every_model_with_weights_builds_and_counts(registry: DemoRegistry) -> None:
    for repo in registry:
        snap = repo.main
        assert len(snap.sha) == 40 and set(snap.sha) <= set("0123456789abcdef")
        assert ".gitattributes" in snap.files
        if repo.id in ("demo-labs/closed-video-gen", "EleutherAI/pythia-12b", "demo-faults/lying-header"):
            assert snap.safetensors() is None, repo.id
        else:
            assert snap.safetensors()["total"] > 0, repo.id  # type: ignore[index]


def test_headline_parameter_counts(registry: DemoRegistry) -> None:
    def total(rid: str) -> int:
        return registry.get(rid).main.safetensors()["total"]  # type: ignore[union-attr,index]

    assert total("meta-llama/Llama-3.1-405B") == 405_853_388_800
    assert 684e9 < total("deepseek-ai/DeepSeek-V3") < 686e9
    assert 1.02e12 < total("moonshotai/Kimi-K2-Instruct") < 1.03e12
    assert 34.3e9 < total("01-ai/Yi-34B") < 34.5e9
    assert 8.5e9 < total("openbmb/MiniCPM-Llama3-V-2_5") < 8.6e9


def test_commit_shas_are_reproducible() -> None:
    first = DemoRegistry().get("Qwen/Qwen2-7B").main.sha  # type: ignore[union-attr]
    assert DemoRegistry().get("Qwen/Qwen2-7B").main.sha == first  # type: ignore[union-attr]


def test_the_copy_has_the_same_architecture_but_no_declared_base(registry: DemoRegistry) -> None:
    original = registry.get("openbmb/MiniCPM-Llama3-V-2_5").main  # type: ignore[union-attr]
    copy = registry.get("mustafaaljadery/llama3v").main  # type: ignore[union-attr]
    strip = {"_name_or_path": None}
    assert {**original.config(), **strip} == {**copy.config(), **strip}  # type: ignore[dict-item]
    assert original.headers() == copy.headers()
    assert original.sha != copy.sha  # different weights, same shapes
    assert "base_model" not in (copy.card_data() or {})


def test_fine_tune_and_quantization_declare_their_base(registry: DemoRegistry) -> None:
    tuned = registry.get("meta-llama/Llama-3.1-8B-Instruct").main.card_data()  # type: ignore[union-attr]
    assert tuned["base_model"] == "meta-llama/Llama-3.1-8B"  # type: ignore[index]
    quant = registry.get("demo-quant/Llama-3.1-8B-Instruct-AWQ-INT4").main  # type: ignore[union-attr]
    assert quant.card_data()["base_model_relation"] == "quantized"  # type: ignore[index]
    assert quant.safetensors()["parameters"]["I32"] > 0  # type: ignore[index]
    assert [r.id for r in registry.children("meta-llama/Llama-3.1-8B")] == ["meta-llama/Llama-3.1-8B-Instruct"]


def test_closed_model_is_known_only_from_its_card(registry: DemoRegistry) -> None:
    snap = registry.get("demo-labs/closed-video-gen").main  # type: ignore[union-attr]
    assert sorted(snap.files) == [".gitattributes", "README.md"]
    assert snap.config() is None
    assert (snap.card_data() or {})["pipeline_tag"] == "text-to-video"


def test_revisions_differ_in_card_and_weights(registry: DemoRegistry) -> None:
    repo = registry.get("demo-labs/Llama-3.1-8B-support-agent")
    assert repo is not None and repo.revision_names() == ["main", "v1.0"]
    main, old = repo.main, repo.snapshot("v1.0")
    assert main.sha != old.sha
    assert repo.resolve(old.sha) is old and repo.resolve("v1.0") is old
    assert "0.6 billion tokens" in (old.text("README.md") or "")
    assert main.files["model-00001-of-00004.safetensors"].etag != old.files["model-00001-of-00004.safetensors"].etag
    assert repo.resolve("v9") is None


def test_lying_header_claims_100_gb(registry: DemoRegistry) -> None:
    f = registry.get("demo-faults/lying-header").main.files["model.safetensors"]  # type: ignore[union-attr]
    assert int.from_bytes(read_range(f.content, 0, 8), "little") == 100_000_000_000
    assert f.size > 100_000_000_000


def test_pytorch_only_repo_has_bin_shards_and_index(registry: DemoRegistry) -> None:
    snap = registry.get("EleutherAI/pythia-12b").main  # type: ignore[union-attr]
    bins = [p for p in snap.files if p.endswith(".bin")]
    assert len(bins) == 3
    index = json.loads(snap.text("pytorch_model.bin.index.json") or "{}")
    assert set(index["weight_map"].values()) == set(bins)
    assert sum(snap.files[b].size for b in bins) > 2 * 11.8e9


def test_synthetic_models_are_added_on_request() -> None:
    registry = DemoRegistry(synthetic=5)
    ids = [r.id for r in registry if r.id.startswith("synthetic/")]
    assert ids == [f"synthetic/llama-{k:04d}" for k in range(5)]
    assert registry.get("synthetic/llama-0003").main.safetensors()["total"] > 0  # type: ignore[union-attr,index]


def test_card_renders_front_matter_the_client_can_parse() -> None:
    text = render_card({"front": {"license": "mit", "tags": ["a"]}, "body": "# Title\n"})
    assert text is not None and text.startswith("---\n")
    assert front_matter(text) == {"license": "mit", "tags": ["a"]}
    assert render_card(None) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: [unclosed", "invalid YAML"),
        ("name: no-id\n", "expected a mapping with id"),
        ("id: a/b\nconfig_from: x/y\n", "config_from 'x/y'"),
        ("id: a/b\ngated: maybe\n", "gated must be"),
    ],
)
def test_bad_entries_name_their_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b.yaml").write_text(text)
    with pytest.raises(RegistryDataError, match=message) as info:
        DemoRegistry(tmp_path)
    assert "b.yaml" in str(info.value)


def test_unknown_architecture_fails_when_built_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b.yaml").write_text("id: a/b\nconfig: {architectures: [NopeForCausalLM]}\n")
    repo = DemoRegistry(tmp_path).get("a/b")
    with pytest.raises(RegistryDataError, match=r"b\.yaml: no tensor layout"):
        repo.main  # type: ignore[union-attr]  # noqa: B018
