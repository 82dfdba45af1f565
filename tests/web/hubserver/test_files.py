"""File contents, hashes and LFS pointers."""

from __future__ import annotations

import hashlib
from pathlib import Path

from web.hubserver.files import (
    CHUNK,
    BytesContent,
    DiskContent,
    RepoFile,
    SparseContent,
    git_blob_sha1,
    is_lfs_name,
    read_range,
)


def test_git_blob_sha1_matches_git() -> None:
    # `printf 'hello\n' | git hash-object --stdin`
    assert git_blob_sha1(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_sparse_content_serves_prefix_then_zeros_by_range() -> None:
    sparse = SparseContent(b"HEADER", 10 * CHUNK + 3)
    assert read_range(sparse, 0, 8) == b"HEADER\0\0"
    assert read_range(sparse, 4, 6) == b"ER"
    tail = read_range(sparse, sparse.size - 5, sparse.size + 100)
    assert tail == b"\0" * 5
    assert all(len(piece) <= CHUNK for piece in sparse.chunks(0, sparse.size))
    assert sum(len(piece) for piece in sparse.chunks(3, sparse.size)) == sparse.size - 3


def test_sparse_identity_changes_with_seed_size_and_prefix() -> None:
    base = SparseContent(b"abc", 1000, "x")
    assert base.sha256() == SparseContent(b"abc", 1000, "x").sha256()
    others = [SparseContent(b"abc", 1000, "y"), SparseContent(b"abc", 1001, "x"), SparseContent(b"abd", 1000, "x")]
    assert len({base.sha256(), *(o.sha256() for o in others)}) == 4


def test_lfs_file_blob_id_is_that_of_its_pointer() -> None:
    f = RepoFile("model.safetensors", BytesContent(b"data"), lfs=True)
    sha = hashlib.sha256(b"data").hexdigest()
    assert f.etag == f.sha256 == sha
    assert f.pointer == f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize 4\n".encode()
    assert f.blob_id == git_blob_sha1(f.pointer)
    small = RepoFile("config.json", BytesContent(b"{}"), lfs=False)
    assert small.etag == small.blob_id == git_blob_sha1(b"{}")


def test_disk_content_rehashes_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"one")
    disk = DiskContent(path)
    first = disk.blob_sha1()
    assert first == git_blob_sha1(b"one")
    assert read_range(disk, 1, 3) == b"ne"
    path.write_bytes(b"two!")
    assert disk.blob_sha1() == git_blob_sha1(b"two!") != first
    assert disk.sha256() == hashlib.sha256(b"two!").hexdigest()


def test_lfs_names_and_sizes() -> None:
    assert is_lfs_name("model-00001-of-00002.safetensors", 10)
    assert is_lfs_name("pytorch_model.bin", 10)
    assert not is_lfs_name("config.json", 10)
    assert is_lfs_name("huge.json", 11 * 1024 * 1024)
