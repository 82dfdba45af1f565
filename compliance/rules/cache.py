"""The compiled rule-set cache: a validated rule-set file kept as plain data, keyed by its bytes.

A rule-set file is validated (YAML parse, schema, pydantic) once; its plain form
(:func:`compliance.rules.plain.to_plain`) is written to ``<cache dir>/rules/<key>.json``, where
the key is the sha256 of the file's bytes together with :func:`engine_version` (the Python
version and the bytes of the modules that decide what a valid file means). A later run whose
file is byte-identical loads that entry with ``json`` alone; a changed or hand-edited file has
another key and is validated afresh.

An entry is trusted only when it checks out: a file of this user's (or root's) that no one else
may write, a header naming the format, the key and the sha256 of the body, and a body of that
digest that parses to the expected shape. A truncated,
garbled or stale entry is ignored (and rewritten by the run that validates the file). Entries
are written to a temporary file and renamed into place, so two processes building the same
entry at once each leave a whole file; a cache directory that cannot be created or written is
skipped and the run goes on uncached, without an error.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

try:
    # CPython's own SHA-256: hashlib would load OpenSSL, a few milliseconds of every start-up.
    from _sha256 import sha256
except ImportError:  # another Python, or one built without it
    from hashlib import sha256

FORMAT = "compliance-rules-cache/1"
# The modules whose code decides what a valid file is and what its plain form holds: a change
# to any of them changes every key, so an entry written by another version is never read.
_ENGINE_MODULES = ("rules/schema.py", "rules/plain.py", "rules/operators.py", "facts/names.py", "rules/cache.py")


@lru_cache(maxsize=1)
def engine_version() -> str:
    """A digest of the Python version and of the schema's code (see :data:`_ENGINE_MODULES`)."""
    package = Path(__file__).resolve().parent.parent
    digest = sha256(f"{FORMAT}\0{sys.version_info[:2]}".encode())
    for name in _ENGINE_MODULES:
        try:
            digest.update((package / name).read_bytes())
        except OSError:
            # No source beside the package (a zipped or frozen install): the package's own
            # version then stands for the code.
            from importlib.metadata import PackageNotFoundError, version

            try:
                digest.update(version("compliance").encode())
            except PackageNotFoundError:
                digest.update(b"unknown")
            break
    return digest.hexdigest()


def file_digest(data: bytes) -> str:
    """The sha256 of a rule-set file's bytes, in hex (what a report pins the file by)."""
    return sha256(data).hexdigest()


def entry_key(file_sha256: str) -> str:
    """The cache key of a rule-set file whose bytes have ``file_sha256``."""
    return sha256(f"{file_sha256}\0{engine_version()}".encode()).hexdigest()


def _entry_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / "rules" / f"{key}.json"


def read_entry(cache_dir: Path | None, key: str) -> dict[str, Any] | None:
    """The plain rule set cached under ``key``, or None when absent, unreadable or not valid."""
    if cache_dir is None:
        return None
    try:
        with _entry_path(cache_dir, key).open("rb") as fh:
            if not _trusted(os.fstat(fh.fileno())):
                return None
            blob = fh.read()
    except OSError:
        return None
    header, sep, body = blob.partition(b"\n")
    try:
        fields = json.loads(header)
        if (
            not sep
            or not isinstance(fields, dict)
            or fields.get("format") != FORMAT
            or fields.get("key") != key
            or fields.get("length") != len(body)
            or fields.get("sha256") != sha256(body).hexdigest()
        ):
            return None
        plain = json.loads(body)
    except ValueError:  # not JSON, or not UTF-8
        return None
    if not isinstance(plain, dict) or not {"ruleset", "conditions", "rules"} <= plain.keys():
        return None
    return plain


def _trusted(st: os.stat_result) -> bool:
    """Whether an entry's file can only have been written by this user (or root, for a cache built
    at install time). The digest proves an entry whole, not who wrote it: anyone who can write
    the file could store a weakened rule set under a file's key, so a group- or world-writable
    entry, or another user's, is not read."""
    if not hasattr(os, "geteuid"):  # no POSIX ownership to check
        return True
    return st.st_uid in (os.geteuid(), 0) and not st.st_mode & 0o022


def write_entry(cache_dir: Path | None, key: str, plain: dict[str, Any]) -> bool:
    """Store ``plain`` under ``key`` atomically; False (and nothing raised) when the cache
    directory cannot be written."""
    if cache_dir is None:
        return False
    body = json.dumps(plain, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    header = {"format": FORMAT, "key": key, "length": len(body), "sha256": sha256(body).hexdigest()}
    import tempfile  # only a run that validated a file writes

    target = _entry_path(cache_dir, key)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{key[:16]}-", suffix=".tmp", dir=target.parent)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(json.dumps(header).encode() + b"\n" + body)
        os.replace(temp, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        return False
    return True
