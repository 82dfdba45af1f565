"""The demo registry: public models described by their facts, files generated on demand.

Each ``registry/ORG/NAME.yaml`` holds one model: hub metadata (dates, gating, counters, tags),
its config.json content, its card (front matter + a short body stating the published facts in
our own words), the storage of its weights (format, dtype, shard count) and optional older
revisions. Weight files never exist anywhere: their headers are generated from the config
(:mod:`web.hubserver.layouts`) and served followed by virtual zeros up to the declared size.

Schema of one entry (all keys but ``id`` optional)::

    id: ORG/NAME
    notes: why the entry is here (not served)
    created / modified: ISO dates
    downloads / likes / trending: integers
    gated: false | auto | manual
    private: false
    authorized_tokens: [tokens that may read it when gated or private]
    library_name / pipeline_tag / tags
    card: {front: {README front matter}, body: "markdown"}
    config: {config.json}            # or config_from: ORG/NAME + config (changes on top)
    files: {path: mapping (written as JSON) or text}
    weights: {format: safetensors|pytorch|none, shards: n, dtype: BF16, seed: text,
              lying_header: claimed header bytes, size: file bytes}
    revisions: {name: {modified, title, card, config, files, weights}}  # overlays on the entry
"""

from __future__ import annotations

import copy
import json
import math
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from web.hubserver.files import GITATTRIBUTES, BytesContent, RepoFile, text_file
from web.hubserver.layouts import (
    INDEX_NAME,
    LayoutError,
    build_shards,
    default_dtype,
    index_json,
    nbytes,
    tensors_for,
)
from web.hubserver.repos import FileSet, Registry, Repo, RepoMeta, RevisionSpec, parse_date, sparse_file

REGISTRY_DIR = Path(__file__).parent / "registry"


class RegistryDataError(ValueError):
    """A registry entry is malformed; the message names the file."""


def load_entries(directory: Path = REGISTRY_DIR) -> list[dict[str, Any]]:
    """Every entry of a registry directory, checked for the keys the loader needs."""
    from compliance.errors import InputError
    from compliance.yamlsafe import load_yaml

    entries = []
    for path in sorted(directory.rglob("*.yaml")):
        try:
            data = load_yaml(path.read_text("utf-8"), source=str(path))
        except InputError as exc:
            raise RegistryDataError(str(exc)) from None
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or data["id"].count("/") != 1:
            raise RegistryDataError(f"{path}: expected a mapping with id: ORG/NAME")
        data["_source"] = str(path)
        entries.append(data)
    return entries


def render_card(card: dict[str, Any] | None) -> str | None:
    """README.md text: YAML front matter between ``---`` lines, then the body."""
    if not card:
        return None
    front = card.get("front") or {}
    body = str(card.get("body") or "").strip() + "\n"
    if not front:
        return body
    dumped = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{dumped}---\n\n{body}"


def _resolve_configs(entries: list[dict[str, Any]]) -> None:
    by_id = {e["id"]: e for e in entries}

    def config_of(entry: dict[str, Any], seen: tuple[str, ...]) -> dict[str, Any] | None:
        source = entry.get("config_from")
        own = entry.get("config")
        if not source:
            return copy.deepcopy(own) if own is not None else None
        if source in seen or source not in by_id:
            raise RegistryDataError(f"{entry['_source']}: config_from {source!r} is unknown or circular")
        base = config_of(by_id[source], (*seen, source)) or {}
        base.update(copy.deepcopy(own or {}))
        return base

    for entry in entries:
        entry["_config"] = config_of(entry, (entry["id"],))


def _weight_files(repo_id: str, config: dict[str, Any] | None, weights: dict[str, Any]) -> FileSet:
    fmt = weights.get("format", "safetensors" if config else "none")
    seed = str(weights.get("seed") or repo_id)
    if fmt == "none":
        return {}
    if "lying_header" in weights:
        # A header whose length field claims far more bytes than any sane header has.
        claimed = int(weights["lying_header"])
        prefix = struct.pack("<Q", claimed) + b'{"__metadata__":{"format":"pt"},'
        size = int(weights.get("size") or claimed + 8)
        return {"model.safetensors": sparse_file("model.safetensors", prefix, size, seed=seed)}
    if config is None:
        raise LayoutError("weights need a config")
    dtype = weights.get("dtype") or default_dtype(config)
    tensors = tensors_for(config, dtype)
    if fmt == "pytorch":
        return _pytorch_files(tensors, weights.get("shards"), seed)
    shards = build_shards(tensors, weights.get("shards"))
    files: FileSet = {
        s.name: sparse_file(s.name, s.prefix, s.size, seed=seed + "/" + s.name, counts=s.counts) for s in shards
    }
    if len(shards) > 1:
        files[INDEX_NAME] = text_file(INDEX_NAME, index_json(shards))
    return files


def _pytorch_files(tensors: list[tuple[str, str, tuple[int, ...]]], shards: int | None, seed: str) -> FileSet:
    # Pickled checkpoints cannot be parsed without running them; only their names and sizes matter here.
    total = sum(nbytes(dt, shape) for _, dt, shape in tensors)
    count = int(shards or max(1, math.ceil(total / 10_000_000_000)))
    if count == 1:
        return {"pytorch_model.bin": sparse_file("pytorch_model.bin", b"PK\x03\x04", total + 4096, seed=seed)}
    files: FileSet = {}
    per = math.ceil(len(tensors) / count)
    weight_map: dict[str, str] = {}
    for k in range(count):
        name = f"pytorch_model-{k + 1:05d}-of-{count:05d}.bin"
        group = tensors[k * per : (k + 1) * per]
        size = sum(nbytes(dt, shape) for _, dt, shape in group) + 4096
        files[name] = sparse_file(name, b"PK\x03\x04", size, seed=f"{seed}/{name}")
        weight_map.update({t[0]: name for t in group})
    index = json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2) + "\n"
    files["pytorch_model.bin.index.json"] = text_file("pytorch_model.bin.index.json", index)
    return files


def _file_builder(entry: dict[str, Any], overlay: dict[str, Any] | None = None) -> Callable[[], FileSet]:
    overlay = overlay or {}
    repo_id = entry["id"]
    card = overlay.get("card", entry.get("card"))
    config = entry["_config"]
    if overlay.get("config") is not None:
        config = {**(config or {}), **overlay["config"]}
    weights = {**(entry.get("weights") or {}), **(overlay.get("weights") or {})}
    extra = {**(entry.get("files") or {}), **(overlay.get("files") or {})}
    source = entry["_source"]

    def build() -> FileSet:
        files: FileSet = {".gitattributes": text_file(".gitattributes", GITATTRIBUTES)}
        readme = render_card(card)
        if readme is not None:
            files["README.md"] = text_file("README.md", readme)
        if config is not None:
            files["config.json"] = text_file("config.json", json.dumps(config, indent=2) + "\n")
        for path, body in extra.items():
            if body is None:
                continue
            text = json.dumps(body, indent=2) + "\n" if isinstance(body, dict | list) else str(body)
            files[str(path)] = RepoFile(str(path), BytesContent(text.encode()), lfs=False)
        try:
            files.update(_weight_files(repo_id, config, weights))
        except LayoutError as exc:
            raise RegistryDataError(f"{source}: {exc}") from None
        return files

    return build


def repo_from_entry(entry: dict[str, Any]) -> Repo:
    """Build a lazily-materialised :class:`Repo` from one resolved entry."""
    modified = parse_date(entry.get("modified"))
    gated = entry.get("gated", False)
    if gated not in (False, "auto", "manual"):
        raise RegistryDataError(f"{entry['_source']}: gated must be false, auto or manual")
    meta = RepoMeta(
        id=entry["id"],
        private=bool(entry.get("private", False)),
        gated=gated,
        authorized_tokens=frozenset(str(t) for t in entry.get("authorized_tokens") or []),
        downloads=int(entry.get("downloads", 0)),
        likes=int(entry.get("likes", 0)),
        trending_score=int(entry.get("trending", 0)),
        created_at=parse_date(entry.get("created"), modified),
        last_modified=modified,
        tags=[str(t) for t in entry.get("tags") or []],
        pipeline_tag=entry.get("pipeline_tag"),
        library_name=entry.get("library_name"),
    )
    specs = [RevisionSpec("main", _file_builder(entry), modified, title=str(entry.get("title") or "Upload model"))]
    for name, overlay in (entry.get("revisions") or {}).items():
        overlay = overlay or {}
        specs.append(
            RevisionSpec(
                name=str(name),
                build=_file_builder(entry, overlay),
                last_modified=parse_date(overlay.get("modified"), modified),
                title=str(overlay.get("title") or f"Release {name}"),
            )
        )
    return Repo(meta, specs)


def synthetic_entries(count: int) -> list[dict[str, Any]]:
    """``count`` small Llama-style models (``synthetic/llama-NNNN``) for load and speed benchmarks."""
    widths = [(1024, 2816, 8), (2048, 5632, 16), (3072, 8192, 24), (4096, 11008, 32)]
    out = []
    for k in range(count):
        hidden, inter, heads = widths[k % len(widths)]
        layers = 4 + (k * 7) % 28
        tokens = (k % 9 + 1) * 10**12
        out.append(
            {
                "id": f"synthetic/llama-{k:04d}",
                "_source": "synthetic",
                "modified": "2025-01-01T00:00:00Z",
                "downloads": k,
                "library_name": "transformers",
                "pipeline_tag": "text-generation",
                "card": {
                    "front": {"license": "apache-2.0", "library_name": "transformers"},
                    "body": f"# llama-{k:04d}\n\nSynthetic model pretrained on {tokens:.1e} tokens.\n",
                },
                "config": {
                    "architectures": ["LlamaForCausalLM"],
                    "model_type": "llama",
                    "hidden_size": hidden,
                    "intermediate_size": inter,
                    "num_attention_heads": heads,
                    "num_key_value_heads": heads // 4 or 1,
                    "num_hidden_layers": layers,
                    "vocab_size": 32000,
                    "torch_dtype": "bfloat16",
                },
            }
        )
    return out


class DemoRegistry(Registry):
    """The registry shipped with the project (plus ``synthetic`` generated models, if asked)."""

    def __init__(self, directory: Path = REGISTRY_DIR, *, synthetic: int = 0) -> None:
        super().__init__()
        entries = load_entries(directory) + synthetic_entries(synthetic)
        seen: set[str] = set()
        for entry in entries:
            if entry["id"] in seen:
                raise RegistryDataError(f"{entry['_source']}: duplicate id {entry['id']}")
            seen.add(entry["id"])
        _resolve_configs(entries)
        self.entries = {e["id"]: e for e in entries}
        for entry in entries:
            self.add(repo_from_entry(entry))
