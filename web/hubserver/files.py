"""Repository files as the hub sees them: bytes, sizes, git blob ids, LFS sha256 and pointers.

A file's content is one of three kinds: bytes held in memory (cards, configs), a file on disk,
or a *sparse* file made of a known prefix (a safetensors header) followed by zeros up to a
declared size. Sparse files let the demo registry serve weight-sized files without ever
materialising them: a read of any byte range costs only the bytes asked for.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

CHUNK = 1 << 20
_ZEROS = bytes(CHUNK)

# Suffixes the hub stores in LFS whatever their size (a subset of the default .gitattributes).
LFS_SUFFIXES = (
    ".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf", ".h5", ".onnx", ".msgpack",
    ".npy", ".npz", ".pkl", ".pickle", ".tflite", ".ot", ".model", ".zip", ".tar", ".gz",
)  # fmt: skip
LFS_MIN_SIZE = 10 * 1024 * 1024
# Above this size a file on disk is fingerprinted instead of hashed (see DiskContent.sha256).
FULL_HASH_LIMIT = 64 * 1024 * 1024

GITATTRIBUTES = "".join(
    f"*{suffix} filter=lfs diff=lfs merge=lfs -text\n" for suffix in LFS_SUFFIXES if suffix not in (".model", ".gz")
)


class Content(Protocol):
    """Bytes of one file, readable by range."""

    @property
    def size(self) -> int:
        """Length in bytes."""
        ...

    def chunks(self, start: int, stop: int) -> Iterator[bytes]:
        """Yield the bytes ``[start, stop)`` in pieces of at most :data:`CHUNK`."""
        ...

    def sha256(self) -> str:
        """Hex sha256 used as the LFS oid and ETag."""
        ...

    def blob_sha1(self) -> str:
        """Git blob id of the content itself."""
        ...


def git_blob_sha1(data: bytes) -> str:
    """Git's object id for a blob: ``sha1("blob <len>\\0" + data)``."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    """The git-lfs pointer file that git stores in place of an LFS file."""
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def read_range(content: Content, start: int, stop: int) -> bytes:
    """Read ``[start, stop)`` into memory; callers keep it small."""
    return b"".join(content.chunks(start, stop))


@dataclass(frozen=True, slots=True)
class BytesContent:
    """Content held in memory."""

    data: bytes

    @property
    def size(self) -> int:
        """Length in bytes."""
        return len(self.data)

    def chunks(self, start: int, stop: int) -> Iterator[bytes]:
        """Yield the requested slice."""
        for pos in range(start, stop, CHUNK):
            yield self.data[pos : min(stop, pos + CHUNK)]

    def sha256(self) -> str:
        """Hex sha256 of the bytes."""
        return hashlib.sha256(self.data).hexdigest()

    def blob_sha1(self) -> str:
        """Git blob id of the bytes."""
        return git_blob_sha1(self.data)


@dataclass(frozen=True, slots=True)
class SparseContent:
    """``prefix`` followed by zeros up to ``total`` bytes, never materialised.

    The real sha256 of a multi-gigabyte file is out of reach, so the identity is a sha256 over
    the seed, the size and the prefix: stable for the same content, different when any changes,
    which is what the client's cache needs from an ETag.
    """

    prefix: bytes
    total: int
    seed: str = ""

    @property
    def size(self) -> int:
        """Declared length in bytes."""
        return self.total

    def chunks(self, start: int, stop: int) -> Iterator[bytes]:
        """Yield prefix bytes then zeros, one bounded piece at a time."""
        stop = min(stop, self.total)
        pos = start
        if pos < len(self.prefix):
            end = min(stop, len(self.prefix))
            yield self.prefix[pos:end]
            pos = end
        while pos < stop:
            n = min(CHUNK, stop - pos)
            yield _ZEROS if n == CHUNK else _ZEROS[:n]
            pos += n

    def sha256(self) -> str:
        """Stable stand-in for the content hash (see the class docstring)."""
        digest = hashlib.sha256(b"hubserver-sparse\0")
        digest.update(self.seed.encode() + b"\0%d\0" % self.total)
        digest.update(self.prefix)
        return digest.hexdigest()

    def blob_sha1(self) -> str:
        """Stand-in git blob id, derived like :meth:`sha256`."""
        return hashlib.sha1(self.sha256().encode(), usedforsecurity=False).hexdigest()


@dataclass(slots=True)
class DiskContent:
    """A file on disk, read on demand; hashes are computed once per (size, mtime)."""

    path: Path
    _stamp: tuple[int, int] | None = field(default=None, repr=False)
    _sha256: str | None = field(default=None, repr=False)
    _sha1: str | None = field(default=None, repr=False)

    @property
    def size(self) -> int:
        """Current length on disk."""
        return self.path.stat().st_size

    def chunks(self, start: int, stop: int) -> Iterator[bytes]:
        """Read the range from disk piece by piece."""
        with self.path.open("rb") as fh:
            fh.seek(start)
            pos = start
            while pos < stop:
                data = fh.read(min(CHUNK, stop - pos))
                if not data:
                    return
                pos += len(data)
                yield data

    def _fresh(self) -> None:
        st = self.path.stat()
        stamp = (st.st_size, st.st_mtime_ns)
        if stamp != self._stamp:
            self._stamp, self._sha256, self._sha1 = stamp, None, None

    def sha256(self) -> str:
        """sha256 of the file; above :data:`FULL_HASH_LIMIT`, of its size, head and tail.

        Weight files in test folders are often sparse and hundreds of gigabytes long: hashing
        them whole would take minutes, and their identity is in the header anyway.
        """
        self._fresh()
        if self._sha256 is None:
            size = self.path.stat().st_size
            digest = hashlib.sha256()
            if size <= FULL_HASH_LIMIT:
                for piece in self.chunks(0, size):
                    digest.update(piece)
            else:
                digest.update(b"hubserver-fingerprint\0%d\0" % size)
                for piece in self.chunks(0, CHUNK):
                    digest.update(piece)
                for piece in self.chunks(max(CHUNK, size - 65536), size):
                    digest.update(piece)
            self._sha256 = digest.hexdigest()
        return self._sha256

    def blob_sha1(self) -> str:
        """Git blob id (real for files up to :data:`FULL_HASH_LIMIT`)."""
        self._fresh()
        if self._sha1 is None:
            size = self.path.stat().st_size
            if size <= FULL_HASH_LIMIT:
                self._sha1 = git_blob_sha1(self.path.read_bytes())
            else:
                self._sha1 = hashlib.sha1(self.sha256().encode(), usedforsecurity=False).hexdigest()
        return self._sha1


@dataclass(slots=True)
class RepoFile:
    """One file of one revision of a repository."""

    path: str
    content: Content
    lfs: bool
    counts: dict[str, int] | None = None  # elements per dtype of a generated safetensors file

    @property
    def size(self) -> int:
        """Length in bytes."""
        return self.content.size

    @property
    def sha256(self) -> str:
        """sha256 of the content."""
        return self.content.sha256()

    @property
    def pointer(self) -> bytes:
        """The LFS pointer text (meaningful for LFS files only)."""
        return lfs_pointer(self.sha256, self.size)

    @property
    def blob_id(self) -> str:
        """Git blob id as the tree shows it: of the pointer for LFS files, else of the content."""
        return git_blob_sha1(self.pointer) if self.lfs else self.content.blob_sha1()

    @property
    def etag(self) -> str:
        """The hub's ETag: sha256 for LFS files, the git blob id otherwise."""
        return self.sha256 if self.lfs else self.content.blob_sha1()


def text_file(path: str, text: str) -> RepoFile:
    """A small non-LFS text file."""
    return RepoFile(path, BytesContent(text.encode("utf-8")), lfs=False)


def is_lfs_name(path: str, size: int) -> bool:
    """Whether the hub would store a file of this name and size in LFS."""
    return path.endswith(LFS_SUFFIXES) or size >= LFS_MIN_SIZE


def disk_file(rel: str, path: Path) -> RepoFile:
    """A file of a folder registry."""
    return RepoFile(rel, DiskContent(path), lfs=is_lfs_name(rel, os.path.getsize(path)))
