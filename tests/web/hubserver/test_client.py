"""The local hub driven by the real huggingface_hub client (never mocked)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.hubfixtures import HubServer

if TYPE_CHECKING:
    from huggingface_hub import HfApi

LLAMA_405B = "meta-llama/Llama-3.1-405B"
TINY = "demo-labs/tiny-random-llama"


def test_model_info_gives_card_license_and_parameters_in_one_request(hub: HubServer, hub_api: HfApi) -> None:
    info = hub_api.model_info("Qwen/Qwen2-72B", files_metadata=True)
    assert info.safetensors is not None and info.safetensors.total == 72_706_203_648
    assert info.card_data is not None and info.card_data["license_name"] == "tongyi-qianwen"
    assert info.config is not None and info.config["model_type"] == "qwen2"
    assert info.last_modified is not None and info.last_modified.year == 2024
    assert "license:other" in (info.tags or [])
    shard = next(s for s in info.siblings or [] if s.rfilename.endswith(".safetensors"))
    assert shard.lfs is not None and shard.size == shard.lfs.size > 1e9
    assert [e["path"] for e in hub.log()] == ["/api/models/Qwen/Qwen2-72B"]


def test_expand_returns_only_what_was_asked(hub_api: HfApi) -> None:
    info = hub_api.model_info("microsoft/phi-4", expand=["safetensors", "cardData", "sha"])
    assert info.safetensors is not None and info.safetensors.total == 14_659_507_200
    assert info.sha is not None and len(info.sha) == 40
    assert info.downloads is None and info.likes is None and info.siblings is None


def test_base_models_and_children_are_expandable(hub_api: HfApi) -> None:
    tuned = hub_api.model_info("meta-llama/Llama-3.1-8B-Instruct", expand=["baseModels"])
    assert tuned.__dict__["base_models"] == {"relation": "finetune", "models": [{"id": "meta-llama/Llama-3.1-8B"}]}
    quant = hub_api.model_info("demo-quant/Llama-3.1-8B-Instruct-AWQ-INT4", expand=["tags"])
    assert "base_model:quantized:meta-llama/Llama-3.1-8B-Instruct" in (quant.tags or [])


def test_security_status(hub_api: HfApi) -> None:
    info = hub_api.model_info(TINY, securityStatus=True)
    assert info.security_repo_status == {"scansDone": True, "filesWithIssues": []}


def test_revision_by_name_and_by_sha(hub_api: HfApi) -> None:
    repo = "demo-labs/Llama-3.1-8B-support-agent"
    main = hub_api.model_info(repo)
    old = hub_api.model_info(repo, revision="v1.0")
    assert old.sha != main.sha
    assert hub_api.model_info(repo, revision=old.sha).sha == old.sha
    assert old.card_data is not None and old.card_data["datasets"] == ["demo-labs/support-tickets-2024"]


def test_download_then_cached_with_one_head(hub: HubServer, tmp_path: Path) -> None:
    from huggingface_hub import hf_hub_download

    path = Path(hf_hub_download(TINY, "config.json", endpoint=hub.url, cache_dir=tmp_path, token=False))
    assert '"LlamaForCausalLM"' in path.read_text()
    assert [e["method"] for e in hub.log()] == ["HEAD", "GET"]
    hub.clear_log()
    again = hf_hub_download(TINY, "config.json", endpoint=hub.url, cache_dir=tmp_path, token=False)
    assert Path(again) == path
    assert [e["method"] for e in hub.log()] == ["HEAD"]


def test_whole_sparse_weight_file_downloads_with_the_declared_size(hub: HubServer, tmp_path: Path) -> None:
    from huggingface_hub import hf_hub_download

    path = Path(hf_hub_download(TINY, "model.safetensors", endpoint=hub.url, cache_dir=tmp_path, token=False))
    data = path.read_bytes()
    length = int.from_bytes(data[:8], "little")
    assert data[8 : 8 + length].startswith(b'{"__metadata__"')
    assert set(data[8 + length :]) == {0}
    assert hub.bytes_sent() == len(data)


def test_safetensors_metadata_reads_only_header_ranges(hub: HubServer, hub_api: HfApi) -> None:
    meta = hub_api.get_safetensors_metadata("mistralai/Mixtral-8x7B-v0.1")
    assert meta.sharded and sum(meta.parameter_count.values()) == 46_702_792_704
    reads = [e for e in hub.log(method="GET") if e["path"].endswith(".safetensors")]
    assert len(reads) == 19 and {e["range"] for e in reads} == {"bytes=0-100000"}
    assert all(e["status"] == 206 and e["bytes"] == 100_001 for e in reads)


def test_large_headers_need_a_second_range(hub: HubServer, hub_api: HfApi) -> None:
    meta = hub_api.get_safetensors_metadata("Qwen/Qwen3-30B-A3B")
    assert sum(meta.parameter_count.values()) == 30_532_122_624
    second = [e for e in hub.log(path=".safetensors") if e["range"] and e["range"].startswith("bytes=8-")]
    assert second, "some Qwen3-MoE shard headers exceed the client's first 100 kB read"


def test_sharded_metadata_in_one_request(hub: HubServer, hub_api: HfApi) -> None:
    meta = hub_api.get_sharded_safetensors_metadata("Qwen/Qwen2-72B")
    assert meta.parameter_count == {"BF16": 72_706_203_648}
    assert len(meta.files_metadata) == 37
    assert len(hub.log()) == 1


def test_single_file_and_pickle_only_repos(hub_api: HfApi) -> None:
    from huggingface_hub.errors import NotASafetensorsRepoError

    single = hub_api.get_safetensors_metadata("openai-community/gpt2-xl")
    assert not single.sharded and single.parameter_count == {"F32": 1_607_942_848}
    with pytest.raises(NotASafetensorsRepoError):
        hub_api.get_safetensors_metadata("EleutherAI/pythia-12b")


def test_lying_header_is_refused_after_one_small_read(hub: HubServer, hub_api: HfApi) -> None:
    from huggingface_hub.errors import SafetensorsParsingError

    with pytest.raises(SafetensorsParsingError, match="too big"):
        hub_api.get_safetensors_metadata("demo-faults/lying-header")
    assert hub.bytes_sent() <= 100_001


def test_list_models_follows_cursor_pagination(hub: HubServer, hub_api: HfApi) -> None:
    hub.configure(page_size=2)
    models = list(hub_api.list_models(author="meta-llama", full=True))
    assert len(models) == 6 and all(m.sha for m in models)
    pages = hub.log(path="/api/models")
    assert len(pages) == 3 and "author=meta-llama" in pages[-1]["query"] and "cursor=4" in pages[-1]["query"]


def test_list_models_filters_and_sorts(hub_api: HfApi) -> None:
    top = list(hub_api.list_models(search="llama", sort="downloads", limit=2))
    assert [m.id for m in top] == ["meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Meta-Llama-3-8B-Instruct"]
    assert [m.id for m in hub_api.list_models(filter="deepseek_v3")] == ["deepseek-ai/DeepSeek-V3"]
    assert [m.id for m in hub_api.list_models(filter=["pythia", "license:apache-2.0"])] == ["EleutherAI/pythia-12b"]
    gated = {m.id for m in hub_api.list_models(gated=True)}
    assert gated == {LLAMA_405B, "google/gemma-2-27b"}
    expanded = next(iter(hub_api.list_models(author="openai", expand=["safetensors", "gated"])))
    assert expanded.safetensors is not None and expanded.downloads is None


def test_private_repos_are_listed_only_for_their_token(hub: HubServer) -> None:
    from huggingface_hub import HfApi

    anonymous = {m.id for m in HfApi(endpoint=hub.url, token=False).list_models(author="demo-labs")}
    insider = {m.id for m in HfApi(endpoint=hub.url, token="hf_demo_internal").list_models(author="demo-labs")}
    assert insider - anonymous == {"demo-labs/internal-preview-7b"}


def test_tree_recursive_subfolder_and_paths_info(hub: HubServer, hub_api: HfApi) -> None:
    from huggingface_hub.hf_api import RepoFile, RepoFolder

    top = list(hub_api.list_repo_tree("openai/gpt-oss-120b"))
    assert any(isinstance(e, RepoFolder) and e.path == "original" for e in top)
    sub = list(hub_api.list_repo_tree("openai/gpt-oss-120b", path_in_repo="original", expand=True))
    assert [e.path for e in sub] == ["original/config.json", "original/dtypes.json"]
    assert all(isinstance(e, RepoFile) and e.last_commit is not None and e.security for e in sub)
    files = hub_api.list_repo_files("openai/gpt-oss-120b")
    assert "original/dtypes.json" in files and "original" not in files
    info = hub_api.get_paths_info("openai/gpt-oss-120b", ["original", "model.safetensors.index.json", "nope"])
    assert [type(e).__name__ for e in info] == ["RepoFolder", "RepoFile"]


def test_tree_pages_with_expand(hub: HubServer, hub_api: HfApi) -> None:
    hub.configure(page_size=60)
    entries = list(hub_api.list_repo_tree(LLAMA_405B, expand=True))
    assert len(entries) == 195
    assert len(hub.log(path="/tree/")) == 4  # 50 entries per page with expand


def test_missing_repo_revision_and_file_map_to_client_errors(hub: HubServer, hub_api: HfApi) -> None:
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    with pytest.raises(RepositoryNotFoundError):
        hub_api.model_info("nobody/nothing")
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=hub.url, token="hf_someone").model_info("nobody/nothing")
    with pytest.raises(RevisionNotFoundError):
        hub_api.model_info(TINY, revision="v9")
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(TINY, "nope.json", endpoint=hub.url, token=False)
    assert hub_api.file_exists(TINY, "nope.json") is False
    assert hub_api.repo_exists("nobody/nothing") is False
    statuses = [e["status"] for e in hub.log(path="nobody")]
    assert statuses[:2] == [401, 404]


def test_gated_repo_info_is_public_but_files_need_approval(hub: HubServer, hub_api: HfApi) -> None:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError

    info = hub_api.model_info(LLAMA_405B)
    assert info.gated == "manual" and info.card_data is not None and info.card_data.license == "llama3.1"
    assert info.safetensors is not None and info.safetensors.total == 405_853_388_800
    with pytest.raises(GatedRepoError):
        hub_api.get_safetensors_metadata(LLAMA_405B)
    with pytest.raises(GatedRepoError):
        HfApi(endpoint=hub.url, token="hf_not_approved").get_safetensors_metadata(LLAMA_405B)
    assert [e["status"] for e in hub.log(method="HEAD")] == [401, 403]
    approved = HfApi(endpoint=hub.url, token="hf_demo_llama_access")
    assert approved.get_safetensors_metadata(LLAMA_405B).parameter_count == {"BF16": 405_853_388_800}


def test_private_repo_is_not_revealed(hub: HubServer, hub_api: HfApi) -> None:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    with pytest.raises(RepositoryNotFoundError):
        hub_api.model_info("demo-labs/internal-preview-7b")
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=hub.url, token="hf_other").model_info("demo-labs/internal-preview-7b")
    insider = HfApi(endpoint=hub.url, token="hf_demo_internal")
    assert insider.model_info("demo-labs/internal-preview-7b").private is True


def test_whoami_needs_a_token(hub: HubServer) -> None:
    from huggingface_hub import HfApi

    assert HfApi(endpoint=hub.url, token="hf_x").whoami()["type"] == "user"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(hub.url + "/api/whoami-v2", timeout=5)
    info.value.close()
    assert info.value.code == 401
