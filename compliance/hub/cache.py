"""The on-disk cache of hub answers, so that repeated and offline runs need no request.

Layout under the cache root, one folder per hub (so two hubs never mix up a repo id)::

    <host>-<hash>/info/<org>/<name>/<revision>.json   model_info, by revision asked and by sha
    <host>-<hash>/files/<org>/<name>/<sha>/<file>     files read at a commit sha (immutable)

Only content read at a 40-hex commit sha is cached as a file: it can never change. A
description cached under a branch name is the last one seen, which is what offline mode
answers with. Writes are atomic (temporary file, then rename) and failures to write are
ignored: the cache only ever saves requests.
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
            self._write(self._file_path(repo_id, sha, filename), data)

    @classmethod
    def _write_if_changed(cls, path: Path, data: bytes) -> None:
        # Repeated checks of an unchanged model then cost one small read instead of a write.
        try:
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return
        except OSError:
            pass  # no readable copy yet: write one
        cls._write(path, data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        try:
            try:
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            except FileNotFoundError:  # first write in this folder
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a read-only or full disk costs requests, not correctness
