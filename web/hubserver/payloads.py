"""JSON bodies of the hub API: model info, list items, tree and paths-info entries.

Field names, defaults and formats follow what ``huggingface_hub`` parses (see
shared/reference/hub-api.md §2): dates end in ``Z``, ``expand`` returns exactly the listed
properties plus ``id``/``_id``, ``siblings`` gain blob ids, sizes and LFS info with ``blobs``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from web.hubserver.files import RepoFile
from web.hubserver.repos import Registry, Repo, Snapshot, base_models, hub_date

EXPANDABLE = frozenset(
    {
        "author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled",
        "downloads", "downloadsAllTime", "evalResults", "gated", "gguf", "inference",
        "inferenceProviderMapping", "lastModified", "library_name", "likes", "mask_token", "model-index",
        "pipeline_tag", "private", "resourceGroup", "safetensors", "sha", "siblings", "spaces", "tags",
        "transformersInfo", "trendingScore", "usedStorage", "widgetData", "xetEnabled",
    }
)  # fmt: skip
INFO_DEFAULT = (
    "author", "sha", "lastModified", "private", "disabled", "gated", "downloads", "likes", "library_name",
    "tags", "pipeline_tag", "cardData", "config", "transformersInfo", "spaces", "siblings", "createdAt",
    "safetensors", "usedStorage",
)  # fmt: skip
LIST_DEFAULT = ("likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag", "library_name", "createdAt")
LIST_FULL = ("author", "sha", "lastModified", "gated", "disabled", "siblings")
CONFIG_KEYS = ("architectures", "model_type", "quantization_config", "auto_map")
_AUTO_MODEL = {
    "text-generation": "AutoModelForCausalLM",
    "image-text-to-text": "AutoModel",
    "text2text-generation": "AutoModelForSeq2SeqLM",
}


def object_id(repo_id: str) -> str:
    """A stable 24-hex ``_id`` like the hub's database ids."""
    return hashlib.sha1(repo_id.encode(), usedforsecurity=False).hexdigest()[:24]


def base_relation(snapshot: Snapshot) -> str | None:
    """How the model derives from its base: declared, else inferred the way the hub does."""
    card = snapshot.card_data() or {}
    bases = base_models(card)
    if not bases:
        return None
    declared = card.get("base_model_relation")
    if isinstance(declared, str) and declared:
        return declared
    if (snapshot.config() or {}).get("quantization_config"):
        return "quantized"
    if "adapter_config.json" in snapshot.files:
        return "adapter"
    return "merge" if len(bases) > 1 else "finetune"


def card_data(repo: Repo, snapshot: Snapshot) -> dict[str, Any] | None:
    """The README front matter, with any registry-side overrides on top."""
    card = snapshot.card_data()
    if card is None and not repo.meta.card_overrides:
        return None
    return {**(card or {}), **repo.meta.card_overrides}


def tags(repo: Repo, snapshot: Snapshot) -> list[str]:
    """Card tags plus the ones the hub derives (library, format, type, task, license, base, region)."""
    card = card_data(repo, snapshot) or {}
    config = snapshot.config() or {}
    out: list[str] = list(repo.meta.tags)
    card_tags = card.get("tags")
    if isinstance(card_tags, list):
        out += [str(t) for t in card_tags]
    library = repo.meta.library_name or card.get("library_name")
    if library:
        out.append(str(library))
    if any(p.endswith(".safetensors") for p in snapshot.files):
        out.append("safetensors")
    if config.get("model_type"):
        out.append(str(config["model_type"]))
    pipeline = repo.meta.pipeline_tag or card.get("pipeline_tag")
    if pipeline:
        out.append(str(pipeline))
    languages = card.get("language")
    out += [str(lang) for lang in ([languages] if isinstance(languages, str) else languages or [])]
    datasets = card.get("datasets")
    out += [f"dataset:{d}" for d in ([datasets] if isinstance(datasets, str) else datasets or [])]
    relation = base_relation(snapshot)
    for base in base_models(card):
        out += [f"base_model:{base}", f"base_model:{relation}:{base}"]
    if card.get("license"):
        out.append(f"license:{card['license']}")
    out.append("region:us")
    return list(dict.fromkeys(out))


def sibling(f: RepoFile, blobs: bool) -> dict[str, Any]:
    """One ``siblings`` entry."""
    if not blobs:
        return {"rfilename": f.path}
    entry: dict[str, Any] = {"rfilename": f.path, "blobId": f.blob_id, "size": f.size}
    if f.lfs:
        entry["lfs"] = {"sha256": f.sha256, "size": f.size, "pointerSize": len(f.pointer)}
    return entry


def _property(name: str, repo: Repo, snap: Snapshot, registry: Registry, blobs: bool) -> tuple[bool, Any]:
    """(present, value) of one model property."""
    meta = repo.meta
    card = card_data(repo, snap)
    config = snap.config()
    simple: dict[str, Any] = {
        "author": meta.author,
        "sha": snap.sha,
        "lastModified": hub_date(snap.last_modified),
        "createdAt": hub_date(meta.created_at),
        "private": meta.private,
        "disabled": False,
        "gated": meta.gated,
        "downloads": meta.downloads,
        "downloadsAllTime": meta.downloads * 12,
        "likes": meta.likes,
        "trendingScore": meta.trending_score,
        "spaces": [],
        "xetEnabled": False,
    }
    if name in simple:
        return True, simple[name]
    if name == "library_name":
        value = meta.library_name or (card or {}).get("library_name")
        return value is not None, value
    if name == "pipeline_tag":
        value = meta.pipeline_tag or (card or {}).get("pipeline_tag")
        return value is not None, value
    if name == "tags":
        return True, tags(repo, snap)
    if name == "cardData":
        return card is not None, card
    if name == "model-index":
        value = (card or {}).get("model-index")
        return value is not None, value
    if name == "config":
        if config is None:
            return False, None
        return True, {k: config[k] for k in CONFIG_KEYS if k in config}
    if name == "transformersInfo":
        return _transformers_info(repo, snap, card)
    if name == "siblings":
        return True, [sibling(f, blobs) for f in snap.files.values()]
    if name == "safetensors":
        value = snap.safetensors()
        return value is not None, value
    if name == "usedStorage":
        return True, repo.used_storage()
    if name == "baseModels":
        bases = base_models(card)
        if not bases:
            return False, None
        return True, {"relation": base_relation(snap), "models": [{"id": b} for b in bases]}
    if name == "childrenModelCount":
        return True, len(registry.children(repo.id))
    return False, None  # gguf, inference, widgetData…: nothing to say


def _transformers_info(repo: Repo, snap: Snapshot, card: dict[str, Any] | None) -> tuple[bool, Any]:
    config = snap.config() or {}
    library = repo.meta.library_name or (card or {}).get("library_name")
    if library != "transformers" or not config.get("architectures"):
        return False, None
    pipeline = repo.meta.pipeline_tag or (card or {}).get("pipeline_tag")
    auto = _AUTO_MODEL.get(str(pipeline), "AutoModel")
    info: dict[str, Any] = {"auto_model": auto, "pipeline_tag": pipeline, "processor": "AutoTokenizer"}
    if config.get("auto_map"):
        info["custom_class"] = str(config["architectures"][0])
    return True, info


def model_payload(
    repo: Repo,
    snap: Snapshot,
    registry: Registry,
    fields: tuple[str, ...] | list[str],
    *,
    blobs: bool = False,
) -> dict[str, Any]:
    """A model object with ``id``/``_id``/``modelId`` and the listed properties that apply."""
    out: dict[str, Any] = {"_id": object_id(repo.id), "id": repo.id}
    if "modelId" not in fields:
        out["modelId"] = repo.id
    for name in fields:
        present, value = _property(name, repo, snap, registry, blobs)
        if present:
            out[name] = value
    return out


def info_payload(
    repo: Repo, snap: Snapshot, registry: Registry, *, expand: list[str], blobs: bool, security: bool
) -> dict[str, Any]:
    """``GET /api/models/{id}``: the default properties, or exactly ``expand``."""
    if expand:
        body = model_payload(repo, snap, registry, expand, blobs=blobs)
        body.pop("modelId", None)
        return body
    body = model_payload(repo, snap, registry, INFO_DEFAULT, blobs=blobs)
    if security:
        body["securityRepoStatus"] = {"scansDone": True, "filesWithIssues": []}
    return body


def tree_entry(snap: Snapshot, path: str, *, expand: bool) -> dict[str, Any]:
    """A file or folder entry of a tree or paths-info answer."""
    f = snap.files.get(path)
    if f is None:
        entry: dict[str, Any] = {"type": "directory", "oid": snap.tree_id(path), "size": 0, "path": path}
    else:
        entry = {"type": "file", "oid": f.blob_id, "size": f.size, "path": path}
        if f.lfs:
            entry["lfs"] = {"oid": f.sha256, "size": f.size, "pointerSize": len(f.pointer)}
    if expand:
        entry["lastCommit"] = {"id": snap.sha, "title": snap.title, "date": hub_date(snap.last_modified)}
        if f is not None:
            entry["securityFileStatus"] = {
                "status": "safe",
                "avScan": {"virusFound": False, "virusNames": None},
                "pickleImportScan": None,
            }
    return entry


def tree_paths(snap: Snapshot, folder: str, recursive: bool) -> list[str] | None:
    """Paths under ``folder`` (all descendants, or direct children), or None if it is not a folder."""
    folder = folder.strip("/")
    if folder and folder not in snap.directories():
        return None
    prefix = folder + "/" if folder else ""
    candidates = [p for p in sorted(snap.directories() | set(snap.files)) if p.startswith(prefix) and p != folder]
    if recursive:
        return candidates
    return [p for p in candidates if "/" not in p[len(prefix) :]]
