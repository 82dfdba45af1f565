"""The on-disk cache of hub answers, so that repeated and offline runs need no request.

Layout under the cache root, one folder per hub (so two hubs never mix up a repo id)::

    <host>-<hash>/info/<org>/<name>/<revision>.json   model_info, by revision asked and by sha
    <host>-<hash>/files/<org>/<name>/<sha>/<file>     files read at a commit sha (immutable)
    <host>-<hash>/access/<org>/<name>.json            who may be served a gated or private repo's
    <host>-<hash>/access.key                          content (see :mod:`compliance.hub.access`)

Only content read at a 40-hex commit sha is cached as a file: it can never change. A
description cached under a branch name is the last one seen, which is what offline mode
answers with. Writes are atomic (temporary file, then rename), owner-only (0600), and failures
to write are ignored: the cache only ever saves requests. This module stores and reads; whether
what it holds may be served to a given token is decided by the client with the access ledger.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import quote, urlsplit

from compliance.hub.info import HubInfo

_SHA = re.compile(r"^[0-9a-f]{40}$")
MAX_CACHED_INFO = 64 * 1024 * 1024


def is_sha(revision: str | None) -> bool:
    """Whether ``revision`` is a full commit sha (and so names immutable content)."""
    return revision is not None and _SHA.match(revision) is not None


def _safe(name: str) -> str:
    # Ids and revisions are validated before they get here; quoting keeps even "refs/pr/1" one level deep.
    return quote(name, safe="") or "_"


class HubCache:
    """Cache of one hub's answers under ``root``."""

    def __init__(self, root: Path, endpoint: str, *, writable: bool = True) -> None:
        # Not writable: answers are read from the cache but new ones are not stored (a
        # registry sweep, whose models are rarely asked about again at the same commit).
        self.writable = writable
        parts = urlsplit(endpoint)
        digest = hashlib.sha256(endpoint.rstrip("/").encode()).hexdigest()[:10]
        host = re.sub(r"[^A-Za-z0-9.-]", "_", f"{parts.hostname or 'hub'}-{parts.port or ''}".rstrip("-"))
        self.root = Path(root) / f"{host}-{digest}"

    def _info_path(self, repo_id: str, revision: str | None) -> Path:
        org, name = repo_id.split("/", 1)
        return self.root / "info" / _safe(org) / _safe(name) / f"{_safe(revision or 'main')}.json"

    def _file_path(self, repo_id: str, sha: str, filename: str) -> Path:
        org, name = repo_id.split("/", 1)
        return self.root / "files" / _safe(org) / _safe(name) / sha / _safe(filename)

    def load_info(self, repo_id: str, revision: str | None) -> HubInfo | None:
        """The description cached for ``repo_id`` at ``revision`` (default branch when None)."""
        path = self._info_path(repo_id, revision)
        try:
            if path.stat().st_size > MAX_CACHED_INFO:
                return None
            return HubInfo.from_json(json.loads(path.read_bytes()))
        except (OSError, ValueError):
            return None

    def save_info(self, repo_id: str, revision: str | None, info: HubInfo) -> None:
        """Cache a description under the revision asked and, when known, its commit sha."""
        if not self.writable:
            return
        data = json.dumps(info.to_json(), sort_keys=True).encode()
        self._write_if_changed(self._info_path(repo_id, revision), data)
        if info.sha and info.sha != revision:
            self._write_if_changed(self._info_path(repo_id, info.sha), data)

    def load_file(self, repo_id: str, sha: str, filename: str) -> bytes | None:
        """A file read earlier at commit ``sha``, or None."""
        try:
            return self._file_path(repo_id, sha, filename).read_bytes()
        except OSError:
            return None

    def save_file(self, repo_id: str, sha: str, filename: str, data: bytes) -> None:
        """Cache a file read at commit ``sha``."""
        if self.writable and is_sha(sha):
            write_atomic(self._file_path(repo_id, sha, filename), data)

    @staticmethod
    def _write_if_changed(path: Path, data: bytes) -> None:
        # Repeated checks of an unchanged model then cost one small read instead of a write.
        try:
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return
        except OSError:
            pass  # no readable copy yet: write one
        write_atomic(path, data)


def write_atomic(path: Path, data: bytes, *, replace: bool = True) -> bool:
    """Write ``data`` to ``path`` through a temporary file readable by the owner only (0600).

    ``replace`` False never overwrites an existing file (the first writer wins). Returns
    whether ``path`` now holds ``data``; failures are not errors: a read-only or full disk
    costs requests, not correctness.
    """
    try:
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        except FileNotFoundError:  # first write in this folder
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            if replace:
                os.replace(tmp, path)
            else:
                os.link(tmp, path)  # fails when the file exists, unlike a rename
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError:
        return False
    return True
