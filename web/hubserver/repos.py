"""Repositories, revisions and registries: what the local hub serves.

A :class:`Registry` maps repo ids to :class:`Repo` objects. Each repo has named revisions
(``main`` first) whose file sets are built lazily on first use: generating the headers of a
1,000-expert model takes a fraction of a second, and most runs touch only a few repos. A
revision's commit sha is the sha1 of its file manifest, so it is the same on every start and
changes whenever any file does.

:class:`FolderRegistry` serves a plain folder laid out as ``ORG/NAME/<files>``, with an
optional ``.hub.json`` sidecar per repo for what git does not hold (dates, gating, counters,
older revisions).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from web.hubserver.files import RepoFile, SparseContent, disk_file, read_range, text_file
from web.hubserver.layouts import INDEX_NAME, parameter_counts

FileSet = dict[str, RepoFile]
DEFAULT_DATE = datetime(2024, 1, 1, tzinfo=UTC)
MAX_PARSED_HEADER = 25_000_000  # the client's own limit; a longer header is treated as unreadable


def parse_date(value: Any, default: datetime = DEFAULT_DATE) -> datetime:
    """A datetime from an ISO string (``Z`` allowed), a date, or None."""
    if value is None:
        return default
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def hub_date(value: datetime) -> str:
    """The hub's date format: milliseconds and a trailing ``Z`` (the client refuses ``+00:00``)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@dataclass(slots=True)
class RepoMeta:
    """What the hub knows about a repo besides its files."""

    id: str
    private: bool = False
    gated: bool | str = False  # False, "auto" or "manual"
    authorized_tokens: frozenset[str] = frozenset()
    downloads: int = 0
    likes: int = 0
    trending_score: int = 0
    created_at: datetime = DEFAULT_DATE
    last_modified: datetime = DEFAULT_DATE
    tags: list[str] = field(default_factory=list)
    pipeline_tag: str | None = None
    library_name: str | None = None
    card_overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def author(self) -> str:
        """The namespace part of the id."""
        return self.id.split("/", 1)[0]

    def allows(self, token: str | None) -> bool:
        """Whether ``token`` may see a private repo or read a gated one."""
        return token is not None and token in self.authorized_tokens


@dataclass(slots=True)
class RevisionSpec:
    """How to build one revision: a name, a file-set builder, and its commit metadata."""

    name: str
    build: Callable[[], FileSet]
    last_modified: datetime
    title: str = "Upload folder"
    sha: str | None = None  # forced commit id (a sidecar may pin one), else derived


class Snapshot:
    """One built revision: files, commit sha, and values derived from them (cached)."""

    def __init__(self, spec: RevisionSpec, files: FileSet) -> None:
        self.name = spec.name
        self.files: FileSet = dict(sorted(files.items()))
        self.last_modified = spec.last_modified
        self.title = spec.title
        self.sha = spec.sha or _manifest_sha(self.files)
        self._lock = threading.RLock()  # derived values build on each other
        self._derived: dict[str, Any] = {}

    def _cached(self, key: str, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._derived:
                self._derived[key] = compute()
            return self._derived[key]

    def text(self, path: str) -> str | None:
        """A small file's text, or None if absent or not UTF-8."""
        f = self.files.get(path)
        if f is None or f.size > 16 * 1024 * 1024:
            return None
        try:
            return read_range(f.content, 0, f.size).decode("utf-8")
        except UnicodeDecodeError:
            return None

    def card_data(self) -> dict[str, Any] | None:
        """README.md front matter as a mapping, or None."""
        return self._cached("card", lambda: front_matter(self.text("README.md")))

    def config(self) -> dict[str, Any] | None:
        """config.json as a mapping, or None."""

        def load() -> dict[str, Any] | None:
            data = parse_json(self.text("config.json"))
            return data if isinstance(data, dict) else None

        return self._cached("config", load)

    def weight_files(self) -> list[RepoFile]:
        """The safetensors files that make up the model (index shards, else the single file, else all)."""

        def pick() -> list[RepoFile]:
            index = self.text(INDEX_NAME)
            if index is not None:
                data = parse_json(index)
                weight_map = data.get("weight_map") if isinstance(data, dict) else None
                shards = weight_map.values() if isinstance(weight_map, dict) else ()
                names = list(dict.fromkeys(v for v in shards if isinstance(v, str)))
                found = [self.files[n] for n in names if n in self.files]
                if found:
                    return found
            if "model.safetensors" in self.files:
                return [self.files["model.safetensors"]]
            return [f for p, f in self.files.items() if p.endswith(".safetensors") and "/" not in p]

        return self._cached("weights", pick)

    def headers(self) -> dict[str, dict[str, Any]] | None:
        """Parsed safetensors header of each weight file, or None if any is unreadable (not cached)."""
        out: dict[str, dict[str, Any]] = {}
        for f in self.weight_files():
            header = read_safetensors_header(f)
            if header is None:
                return None
            out[f.path] = header
        return out

    def safetensors(self) -> dict[str, Any] | None:
        """The hub's ``safetensors`` summary: ``{"parameters": {dtype: n}, "total": n}``."""

        def summarize() -> dict[str, Any] | None:
            files = self.weight_files()
            if not files:
                return None
            if all(f.counts is not None for f in files):
                counts: dict[str, int] = {}
                for f in files:
                    for dtype, n in (f.counts or {}).items():
                        counts[dtype] = counts.get(dtype, 0) + n
            else:
                headers = self.headers()
                if headers is None:
                    return None
                counts = parameter_counts(list(headers.values()))
            return {"parameters": counts, "total": sum(counts.values())}

        return self._cached("safetensors", summarize)

    def directories(self) -> set[str]:
        """Every folder path that holds at least one file."""

        def walk() -> set[str]:
            dirs: set[str] = set()
            for path in self.files:
                parts = path.split("/")[:-1]
                for k in range(1, len(parts) + 1):
                    dirs.add("/".join(parts[:k]))
            return dirs

        return self._cached("dirs", walk)

    def tree_id(self, directory: str) -> str:
        """A stable git-like id for a folder, from the ids of what it contains."""
        prefix = directory.rstrip("/") + "/"
        digest = hashlib.sha1(b"tree\0", usedforsecurity=False)
        for path, f in self.files.items():
            if path.startswith(prefix):
                digest.update(f"{path}\0{f.blob_id}\n".encode())
        return digest.hexdigest()


def _manifest_sha(files: FileSet) -> str:
    digest = hashlib.sha1(b"hubserver-commit\0", usedforsecurity=False)
    for path, f in files.items():
        digest.update(f"{path}\0{f.etag}\0{f.size}\n".encode())
    return digest.hexdigest()


def read_safetensors_header(f: RepoFile) -> dict[str, Any] | None:
    """Decode a safetensors header from a file's first bytes; None when it is not a sane header."""
    if f.size < 8:
        return None
    length = int.from_bytes(read_range(f.content, 0, 8), "little")
    if length == 0 or length > MAX_PARSED_HEADER or 8 + length > f.size:
        return None
    header = parse_json(read_range(f.content, 8, 8 + length))
    return header if isinstance(header, dict) else None


def front_matter(text: str | None) -> dict[str, Any] | None:
    """The YAML mapping between the leading ``---`` lines of a model card, if any."""
    if not text or not text.startswith("---"):
        return None
    lines = text.split("\n")
    for k in range(1, len(lines)):
        if lines[k].strip() == "---":
            from compliance.errors import InputError
            from compliance.yamlsafe import load_yaml

            try:
                data = load_yaml("\n".join(lines[1:k]), source="README.md")
            except InputError:
                return None
            return _dates_as_text(data) if isinstance(data, dict) else None
    return None


def _dates_as_text(value: Any) -> Any:
    """Front matter as the hub's JSON gives it: a YAML date becomes the ISO text JavaScript's
    ``Date`` serialises to (the hub reads cards with js-yaml). The YAML loader bounds the depth."""
    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00.000Z"
    return value


def parse_json(text: str | bytes | None) -> Any:
    """Parsed JSON, or None when there is none or it is malformed, not UTF-8 or nested too deeply
    to decode: the hub then serves the file but not what it would have derived from it."""
    if not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


class Repo:
    """A repo: its metadata and revisions, built on first use."""

    def __init__(self, meta: RepoMeta, revisions: list[RevisionSpec]) -> None:
        if not revisions or revisions[0].name != "main":
            raise ValueError(f"{meta.id}: the first revision must be 'main'")
        self.meta = meta
        self._specs = {spec.name: spec for spec in revisions}
        self._built: dict[str, Snapshot] = {}
        self._lock = threading.Lock()

    @property
    def id(self) -> str:
        """The repo id."""
        return self.meta.id

    def revision_names(self) -> list[str]:
        """Revision names, ``main`` first."""
        return list(self._specs)

    def snapshot(self, name: str) -> Snapshot:
        """Build (once) and return the named revision."""
        with self._lock:
            snap = self._built.get(name)
            if snap is None:
                spec = self._specs[name]
                snap = self._built[name] = Snapshot(spec, spec.build())
            return snap

    @property
    def main(self) -> Snapshot:
        """The ``main`` revision."""
        return self.snapshot("main")

    def resolve(self, revision: str) -> Snapshot | None:
        """A revision by name or by full commit sha; None when unknown."""
        if revision in self._specs:
            return self.snapshot(revision)
        if len(revision) == 40:
            for name in self._specs:
                snap = self.snapshot(name)
                if snap.sha == revision.lower():
                    return snap
        return None

    def used_storage(self) -> int:
        """Bytes of all files of all built revisions (the hub's ``usedStorage``)."""
        seen: dict[str, int] = {}
        for name in self._specs:
            for f in self.snapshot(name).files.values():
                seen[f.etag] = f.size
        return sum(seen.values())


class Registry:
    """Repos by id (case-sensitive, like the hub's canonical ids)."""

    def __init__(self, repos: Iterable[Repo] = ()) -> None:
        self._repos: dict[str, Repo] = {}
        for repo in repos:
            self.add(repo)

    def add(self, repo: Repo) -> None:
        """Register a repo, replacing any with the same id."""
        self._repos[repo.id] = repo

    def get(self, repo_id: str) -> Repo | None:
        """The repo, or None."""
        return self._repos.get(repo_id)

    def __iter__(self) -> Iterator[Repo]:
        return iter(sorted(self._repos.values(), key=lambda r: r.id.lower()))

    def __len__(self) -> int:
        return len(self._repos)

    def children(self, repo_id: str) -> list[Repo]:
        """Repos whose card names ``repo_id`` as a base model."""
        return [r for r in self if repo_id in base_models(r.main.card_data())]


def base_models(card: dict[str, Any] | None) -> list[str]:
    """The ``base_model`` entries of a card, as a list."""
    value = (card or {}).get("base_model")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int)]
    return []


class FolderRegistry(Registry):
    """Repos read from ``ROOT/ORG/NAME/<files>`` with an optional ``.hub.json`` sidecar each.

    Sidecar keys: ``sha``, ``lastModified``, ``createdAt``, ``gated``, ``private``,
    ``authorized_tokens``, ``downloads``, ``likes``, ``trendingScore``, ``tags``,
    ``pipeline_tag``, ``library_name``, ``cardData`` (merged over the README front matter) and
    ``revisions``: ``{name or 40-hex sha: {"files": {path: text or null}, "lastModified": ...}}``,
    each an overlay on the folder's files (null deletes a file).
    """

    SIDECAR = ".hub.json"

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"{self.root}: not a directory")
        for org in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            for repo_dir in sorted(p for p in org.iterdir() if p.is_dir() and not p.name.startswith(".")):
                self.add(self._load(org.name + "/" + repo_dir.name, repo_dir))

    def _load(self, repo_id: str, folder: Path) -> Repo:
        side_path = folder / self.SIDECAR
        side: dict[str, Any] = json.loads(side_path.read_text("utf-8")) if side_path.is_file() else {}
        modified = parse_date(side.get("lastModified"))
        meta = RepoMeta(
            id=repo_id,
            private=bool(side.get("private", False)),
            gated=side.get("gated", False) or False,
            authorized_tokens=frozenset(side.get("authorized_tokens") or []),
            downloads=int(side.get("downloads", 0)),
            likes=int(side.get("likes", 0)),
            trending_score=int(side.get("trendingScore", 0)),
            created_at=parse_date(side.get("createdAt"), modified),
            last_modified=modified,
            tags=list(side.get("tags") or []),
            pipeline_tag=side.get("pipeline_tag"),
            library_name=side.get("library_name"),
            card_overrides=dict(side.get("cardData") or {}),
        )

        def base_files() -> FileSet:
            files: FileSet = {}
            for path in sorted(folder.rglob("*")):
                rel = path.relative_to(folder).as_posix()
                if path.is_file() and rel != self.SIDECAR and not rel.startswith(".git/"):
                    files[rel] = disk_file(rel, path)
            return files

        specs = [RevisionSpec("main", base_files, modified, sha=side.get("sha"))]
        for name, body in (side.get("revisions") or {}).items():
            specs.append(_overlay_spec(str(name), body or {}, base_files, modified))
        return Repo(meta, specs)


def _overlay_spec(name: str, body: dict[str, Any], base: Callable[[], FileSet], default: datetime) -> RevisionSpec:
    overrides: dict[str, str | None] = body.get("files") or {}

    def build() -> FileSet:
        files = dict(base())
        for path, text in overrides.items():
            if text is None:
                files.pop(path, None)
            else:
                files[path] = text_file(path, str(text))
        return files

    is_sha = len(name) == 40 and all(ch in "0123456789abcdef" for ch in name.lower())
    return RevisionSpec(
        name=name,
        build=build,
        last_modified=parse_date(body.get("lastModified"), default),
        title=str(body.get("title") or f"Revision {name}"),
        sha=name.lower() if is_sha else body.get("sha"),
    )


def sparse_file(path: str, prefix: bytes, size: int, *, seed: str, counts: dict[str, int] | None = None) -> RepoFile:
    """A weight-sized LFS file made of ``prefix`` then zeros."""
    return RepoFile(path, SparseContent(prefix, size, seed), lfs=True, counts=counts)
