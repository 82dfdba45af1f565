"""The slice of a hub's model description that inspection uses, as plain JSON-ready data.

:class:`HubInfo` is built from ``huggingface_hub``'s ``ModelInfo`` (online) or from the JSON
cached by an earlier run (offline), so everything downstream sees the same shape whatever
the client version. Every field is checked: the hub's answer is untrusted input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# What one ``model_info`` call asks for: everything the facts and the lineage need, nothing else.
EXPAND = (
    "sha",
    "lastModified",
    "createdAt",
    "gated",
    "private",
    "cardData",
    "config",
    "safetensors",
    "siblings",
    "tags",
    "pipeline_tag",
    "library_name",
    "baseModels",
)
_SHA = re.compile(r"^[0-9a-f]{40}$")
MAX_SIBLINGS = 100_000
MAX_BASES = 16


@dataclass(slots=True)
class HubInfo:
    """What ``model_info`` told about one model at one revision."""

    id: str
    sha: str | None = None
    gated: bool | str = False
    private: bool | None = None
    card_data: dict[str, Any] | None = None
    config: dict[str, Any] | None = None  # the hub's subset of config.json (no hyper-parameters)
    safetensors_total: int | None = None
    safetensors_parameters: dict[str, int] | None = None
    siblings: list[str] | None = None
    tags: list[str] = field(default_factory=list)
    pipeline_tag: str | None = None
    library_name: str | None = None
    base_models: list[str] = field(default_factory=list)
    base_relation: str | None = None
    created_at: str | None = None
    last_modified: str | None = None

    def has_file(self, name: str) -> bool | None:
        """Whether the repo holds ``name``; None when the hub did not list the files."""
        return None if self.siblings is None else name in self.siblings

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (what the offline cache stores)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_json(cls, data: Any) -> HubInfo:
        """Inverse of :meth:`to_json`; also the path for any raw hub JSON. Raises ValueError on a bad shape."""
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise ValueError("not a cached model description")
        return cls(
            id=data["id"],
            sha=_sha(data.get("sha")),
            gated=_gated(data.get("gated")),
            private=data.get("private") if isinstance(data.get("private"), bool) else None,
            card_data=_mapping(data.get("card_data")),
            config=_mapping(data.get("config")),
            safetensors_total=_count(data.get("safetensors_total")),
            safetensors_parameters=_counts(data.get("safetensors_parameters")),
            siblings=_names(data.get("siblings")),
            tags=_names(data.get("tags")) or [],
            pipeline_tag=_text(data.get("pipeline_tag")),
            library_name=_text(data.get("library_name")),
            base_models=(_names(data.get("base_models")) or [])[:MAX_BASES],
            base_relation=_text(data.get("base_relation")),
            created_at=_text(data.get("created_at")),
            last_modified=_text(data.get("last_modified")),
        )


def from_model_info(info: Any) -> HubInfo:
    """Convert a ``huggingface_hub`` ``ModelInfo`` (any version) into a :class:`HubInfo`."""
    card = getattr(info, "card_data", None)
    card_dict = card.to_dict() if card is not None and hasattr(card, "to_dict") else card
    st = getattr(info, "safetensors", None)
    siblings = getattr(info, "siblings", None)
    names = None
    if isinstance(siblings, list):
        names = [s for s in (getattr(x, "rfilename", None) for x in siblings[:MAX_SIBLINGS]) if isinstance(s, str)]
    bases, relation = parse_base_models(getattr(info, "base_models", None))
    return HubInfo.from_json(
        {
            "id": getattr(info, "id", None),
            "sha": getattr(info, "sha", None),
            "gated": getattr(info, "gated", False),
            "private": getattr(info, "private", None),
            "card_data": card_dict,
            "config": getattr(info, "config", None),
            "safetensors_total": getattr(st, "total", None),
            "safetensors_parameters": getattr(st, "parameters", None),
            "siblings": names,
            "tags": getattr(info, "tags", None),
            "pipeline_tag": getattr(info, "pipeline_tag", None),
            "library_name": getattr(info, "library_name", None),
            "base_models": bases,
            "base_relation": relation,
            "created_at": _date(getattr(info, "created_at", None)),
            "last_modified": _date(getattr(info, "last_modified", None)),
        }
    )


def parse_base_models(raw: Any) -> tuple[list[str], str | None]:
    """``baseModels`` in any of its shapes: a list of ids, a list of ``{id}``, or ``{relation, models}``."""
    relation = None
    if isinstance(raw, dict):
        relation = _text(raw.get("relation"))
        raw = raw.get("models")
    out: list[str] = []
    if isinstance(raw, list):
        for item in raw[:MAX_BASES]:
            name = item.get("id") if isinstance(item, dict) else item
            if isinstance(name, str) and name:
                out.append(name)
    return out, relation


def _sha(value: Any) -> str | None:
    return value if isinstance(value, str) and _SHA.match(value) else None


def _gated(value: Any) -> bool | str:
    if isinstance(value, str) and value in ("auto", "manual"):
        return value
    return bool(value) if isinstance(value, bool) else False


def _mapping(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) and all(isinstance(k, str) for k in value) else None


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if 0 < value < 1e16 else None


def _counts(value: Any) -> dict[str, int] | None:
    if not isinstance(value, dict):
        return None
    out = {str(k)[:32]: n for k, v in list(value.items())[:64] if (n := _count(v)) is not None}
    return out or None


def _names(value: Any) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [v for v in value[:MAX_SIBLINGS] if isinstance(v, str) and 0 < len(v) <= 1000]


def _text(value: Any) -> str | None:
    return value[:200] if isinstance(value, str) and value else None


def _date(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    return value if isinstance(value, str) else None
