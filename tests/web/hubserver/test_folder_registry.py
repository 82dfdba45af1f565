"""A plain folder ORG/NAME/files served to the real client, with .hub.json sidecars."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from web.hubserver import FolderRegistry, create_hub_app, start_hub_server
from web.hubserver.files import git_blob_sha1


def write_safetensors(path: Path, tensors: dict[str, tuple[str, list[int]]], *, data_size: int | None = None) -> None:
    """A valid safetensors file with zero data (sparse when large)."""
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        size = 4 if dtype == "F32" else 2
        for dim in shape:
            size *= dim
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw)
        fh.truncate(8 + len(raw) + (data_size if data_size is not None else offset))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    repo = tmp_path / "acme" / "tiny"
    (repo / "extra").mkdir(parents=True)
    (repo / "README.md").write_text("---\nlicense: mit\nbase_model: acme/base\n---\n\n# Tiny\n")
    (repo / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"], "model_type": "llama"}))
    (repo / "extra" / "notes.txt").write_text("notes\n")
    write_safetensors(repo / "model.safetensors", {"w": ("F32", [64, 32]), "b": ("BF16", [32])})
    (repo / ".hub.json").write_text(
        json.dumps(
            {
                "lastModified": "2025-03-01T10:00:00Z",
                "downloads": 7,
                "gated": "auto",
                "authorized_tokens": ["ok"],
                "revisions": {
                    "v0": {"files": {"README.md": "---\nlicense: apache-2.0\n---\n", "extra/notes.txt": None}}
                },
            }
        )
    )
    secret = tmp_path / "acme" / "secret"
    secret.mkdir()
    (secret / "config.json").write_text("{}")
    (secret / ".hub.json").write_text(json.dumps({"private": True, "sha": "a" * 40}))
    return tmp_path


def test_folder_repos_and_revisions(folder: Path) -> None:
    registry = FolderRegistry(folder)
    assert [r.id for r in registry] == ["acme/secret", "acme/tiny"]
    tiny = registry.get("acme/tiny")
    assert tiny is not None and tiny.meta.gated == "auto" and tiny.meta.downloads == 7
    main, old = tiny.main, tiny.snapshot("v0")
    assert ".hub.json" not in main.files and "extra/notes.txt" in main.files
    assert "extra/notes.txt" not in old.files and old.sha != main.sha
    assert (old.card_data() or {})["license"] == "apache-2.0"
    assert main.files["config.json"].blob_id == git_blob_sha1((folder / "acme/tiny/config.json").read_bytes())
    assert main.safetensors() == {"parameters": {"F32": 2048, "BF16": 32}, "total": 2080}
    assert registry.get("acme/secret").main.sha == "a" * 40  # type: ignore[union-attr]


def test_missing_root_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        FolderRegistry(tmp_path / "nope")


def test_client_against_a_folder(folder: Path, tmp_path: Path) -> None:
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    url, stop = start_hub_server(create_hub_app(folder, page_size=1))
    try:
        api = HfApi(endpoint=url, token=False)
        info = api.model_info("acme/tiny", files_metadata=True)
        assert info.safetensors is not None and info.safetensors.total == 2080
        assert info.card_data is not None and info.card_data.license == "mit"
        assert "base_model:finetune:acme/base" in (info.tags or [])
        assert {s.rfilename for s in info.siblings or []} == {
            "README.md",
            "config.json",
            "extra/notes.txt",
            "model.safetensors",
        }
        assert [m.id for m in api.list_models()] == ["acme/tiny"]  # two pages of one; the private repo is hidden
        with pytest.raises(RepositoryNotFoundError):
            api.model_info("acme/secret")
        with pytest.raises(GatedRepoError):
            api.get_safetensors_metadata("acme/tiny")
        granted = HfApi(endpoint=url, token="ok")
        assert granted.get_safetensors_metadata("acme/tiny").parameter_count == {"F32": 2048, "BF16": 32}
        path = hf_hub_download("acme/tiny", "extra/notes.txt", endpoint=url, cache_dir=tmp_path / "c", token="ok")
        assert Path(path).read_text() == "notes\n"
        old = api.model_info("acme/tiny", revision="v0")
        assert old.card_data is not None and old.card_data.license == "apache-2.0"
        assert "extra/notes.txt" not in api.list_repo_files("acme/tiny", revision=old.sha)
    finally:
        stop()


def test_big_sparse_file_is_fingerprinted_not_read(tmp_path: Path) -> None:
    repo = tmp_path / "acme" / "big"
    repo.mkdir(parents=True)
    write_safetensors(repo / "model.safetensors", {"w": ("BF16", [65536, 65536])})  # 8 GiB, sparse
    snap = FolderRegistry(tmp_path).get("acme/big").main  # type: ignore[union-attr]
    f = snap.files["model.safetensors"]
    assert f.size > 8e9 and f.lfs and len(f.sha256) == 64
    assert snap.safetensors() == {"parameters": {"BF16": 65536 * 65536}, "total": 65536 * 65536}
