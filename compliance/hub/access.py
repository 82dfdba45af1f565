"""Who may be served what the hub cache holds of gated and private repositories.

The hub decides who may read a gated or private repository; a cache that kept its files would
otherwise answer anyone. :class:`AccessLedger` records, per repository, what the hub last said:

* ``visibility``: ``public`` (anyone), ``gated`` (the description is public, the files need an
  approved token) or ``private`` (hidden from every other token). It comes from the latest
  description read online, or from the hub refusing a token, and offline (when nothing was
  recorded yet) from the cached description.
* ``grants``: a keyed hash of each token the hub accepted for a gated or private repository (it
  served a file of a gated one, the description of a private one), with the time it did. The
  token itself is never stored: the hash is BLAKE2b keyed with 32 random bytes kept in the
  hub's cache folder (``access.key``, readable by its owner only), so the records cannot be
  used to test guesses of a token without that key.

Records are per repository, not per revision: the hub gates or hides a whole repository, so its
latest word about any revision applies to every revision cached. Layout, in the hub's folder::

    access.key                    32 random bytes, mode 0600
    access/<org>/<name>.json      {"visibility": ..., "grants": {hash: unix time}}

Records are kept in memory too, so a client whose cache is not writable (a registry scan) still
remembers, for its own life, what the hub told it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import quote

from compliance.hub.cache import write_atomic
from compliance.hub.info import HubInfo

Visibility = Literal["public", "gated", "private"]
VISIBILITIES: tuple[Visibility, ...] = get_args(Visibility)
KEY_BYTES = 32
MAX_GRANTS = 32  # per repository; the oldest go first
MAX_RECORD_BYTES = 64 * 1024
# Online, a grant older than this is confirmed by the hub again before a cached file is served,
# so a token whose access was withdrawn stops being served within a day.
GRANT_SECONDS = 24 * 3600.0


def visibility_of(info: HubInfo) -> Visibility:
    """What a description says about who may read the repository."""
    if info.private:
        return "private"
    return "gated" if info.gated else "public"


@dataclass(slots=True)
class _Record:
    visibility: Visibility | None = None
    grants: dict[str, float] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return json.dumps({"visibility": self.visibility, "grants": self.grants}, sort_keys=True).encode()


class AccessLedger:
    """Visibility and accepted credentials of each repository of one hub's cache (thread-safe)."""

    def __init__(self, root: Path, *, writable: bool, clock: Callable[[], float] = time.time) -> None:
        self.root = root
        self.writable = writable
        self._clock = clock
        self._records: dict[str, _Record] = {}
        self._key: bytes | None = None
        self._lock = threading.Lock()

    # -- what the hub said ------------------------------------------------------------------

    def observe(self, repo_id: str, visibility: Visibility, token: str | bool) -> None:
        """The hub described ``repo_id`` to ``token`` (online): a private one was shown to it."""
        with self._lock:
            record = self._record(repo_id)
            before = record.to_bytes()
            record.visibility = visibility
            if visibility == "public":
                record.grants.clear()  # nothing to guard; stale grants must not outlive a later gate
            elif visibility == "private":
                self._add_grant(record, token)
            self._save(repo_id, record, before)

    def grant(self, repo_id: str, token: str | bool) -> None:
        """The hub served content of ``repo_id`` to ``token``."""
        with self._lock:
            record = self._record(repo_id)
            if record.visibility == "public":
                return
            before = record.to_bytes()
            self._add_grant(record, token)
            self._save(repo_id, record, before)

    def refuse(self, repo_id: str, token: str | bool, visibility: Visibility) -> None:
        """The hub refused ``token`` for ``repo_id`` (a gate, or a repository it does not show)."""
        with self._lock:
            record = self._record(repo_id)
            before = record.to_bytes()
            if record.visibility in (None, "public") or visibility == "private":
                record.visibility = visibility
            digest = self._digest(token)
            if digest is not None:
                record.grants.pop(digest, None)
            self._save(repo_id, record, before)

    def assume(self, repo_id: str, visibility: Visibility) -> None:
        """A cached description's word, used only while the hub has said nothing (not stored)."""
        with self._lock:
            record = self._record(repo_id)
            if record.visibility is None:
                record.visibility = visibility

    # -- what the cache may serve -------------------------------------------------------------

    def visibility(self, repo_id: str) -> Visibility | None:
        """The repository's last known visibility; None when nothing is known."""
        with self._lock:
            return self._record(repo_id).visibility

    def allows(self, repo_id: str, token: str | bool, *, max_age: float | None) -> bool:
        """Whether cached content of ``repo_id`` may be served to ``token``.

        A public repository's to anyone; a gated or private one's only to a token the hub
        accepted for it, no longer than ``max_age`` seconds ago (None: whenever). A repository
        with no known visibility is treated as gated.
        """
        with self._lock:
            record = self._record(repo_id)
            if record.visibility == "public":
                return True
            digest = self._digest(token)
            when = record.grants.get(digest) if digest is not None else None
            return when is not None and (max_age is None or self._clock() - when <= max_age)

    # -- storage ------------------------------------------------------------------------------

    def _add_grant(self, record: _Record, token: str | bool) -> None:
        digest = self._digest(token)
        if digest is None:
            return
        record.grants.pop(digest, None)
        record.grants[digest] = self._clock()
        while len(record.grants) > MAX_GRANTS:
            del record.grants[min(record.grants, key=record.grants.__getitem__)]

    def _digest(self, token: str | bool) -> str | None:
        """The keyed hash that stands for ``token`` in the records; None for no token."""
        if not isinstance(token, str) or not token:
            return None
        return hashlib.blake2b(token.encode(), key=self._secret(), digest_size=32).hexdigest()

    def _secret(self) -> bytes:
        if self._key is None:
            path = self.root / "access.key"
            key = _read_key(path)
            if key is None and self.writable:
                # A damaged key is replaced: the grants hashed with it simply stop matching.
                write_atomic(path, secrets.token_bytes(KEY_BYTES), replace=path.exists())
                key = _read_key(path)
            # No usable key on disk: one for this process only, so its own grants still count.
            self._key = key or secrets.token_bytes(KEY_BYTES)
        return self._key

    def _path(self, repo_id: str) -> Path:
        org, name = repo_id.split("/", 1)
        return self.root / "access" / (quote(org, safe="") or "_") / f"{quote(name, safe='') or '_'}.json"

    def _record(self, repo_id: str) -> _Record:
        record = self._records.get(repo_id)
        if record is None:
            record = self._records[repo_id] = _load(self._path(repo_id))
        return record

    def _save(self, repo_id: str, record: _Record, before: bytes) -> None:
        data = record.to_bytes()
        if self.writable and data != before:
            write_atomic(self._path(repo_id), data)


def _read_key(path: Path) -> bytes | None:
    try:
        with path.open("rb") as handle:
            key = handle.read(KEY_BYTES + 1)
    except OSError:
        return None
    return key if len(key) == KEY_BYTES else None


def _load(path: Path) -> _Record:
    """A stored record; an empty one when missing or damaged (so nothing gated is served)."""
    try:
        if path.stat().st_size > MAX_RECORD_BYTES:
            return _Record()
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return _Record()
    if not isinstance(data, dict):
        return _Record()
    visibility = data.get("visibility")
    grants = data.get("grants")
    record = _Record(visibility if visibility in VISIBILITIES else None)
    if isinstance(grants, dict):
        for digest, when in list(grants.items())[:MAX_GRANTS]:
            if isinstance(digest, str) and isinstance(when, int | float) and not isinstance(when, bool):
                record.grants[digest] = float(when)
    return record
