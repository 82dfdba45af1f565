"""Checks of uploaded metadata: a model about to be published, described by its files' text.

The uploaded object (``inputs["uploaded"]`` of a check) is JSON::

    card         the model card text (README.md), optional
    config       config.json as an object, optional
    safetensors  [{"file": "model-00001-of-00002.safetensors", "header": {...}}, ...], optional

At least one is required. Only the safetensors *headers* are sent (the JSON at the start of
each file); the size of each data section is taken from the largest tensor end offset. The
facts come from these texts, through the same merge as a local directory
(:func:`compliance.inspection.inspect_artefacts`); the only network use is the one a local
directory makes too: when the card names a base model, the base is read from the hub the
settings name (:func:`compliance.hub.local.look_up_bases`), so the cumulative compute includes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from compliance.errors import ModelFileError, UsageError
from compliance.facts.model import Fact
from compliance.inspection import Artefacts, BaseLineage, Inspection, ModelRef
from compliance.settings import Settings

MAX_UPLOAD_BYTES = 32 * 1024 * 1024
MAX_SAFETENSORS_FILES = 2000
_KEYS = frozenset({"card", "config", "safetensors"})


def validate_uploaded(raw: Mapping[str, Any], *, source: str = "uploaded") -> dict[str, Any]:
    """Check the shape and size of uploaded metadata; return it as a plain JSON object."""
    if not isinstance(raw, Mapping):
        raise UsageError("uploaded metadata must be an object", source=source)
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise UsageError(f"unknown key {unknown[0]!r}; expected card, config or safetensors", source=source)
    out: dict[str, Any] = {}
    if raw.get("card") is not None:
        if not isinstance(raw["card"], str):
            raise UsageError("card must be the model card's text", source=source)
        out["card"] = raw["card"]
    if raw.get("config") is not None:
        if not isinstance(raw["config"], Mapping):
            raise UsageError("config must be config.json as an object", source=source)
        out["config"] = dict(raw["config"])
    if raw.get("safetensors") is not None:
        files = raw["safetensors"]
        if not isinstance(files, Sequence) or isinstance(files, str) or len(files) > MAX_SAFETENSORS_FILES:
            raise UsageError(f"safetensors must be a list of at most {MAX_SAFETENSORS_FILES} headers", source=source)
        headers = []
        for index, entry in enumerate(files):
            ok = isinstance(entry, Mapping) and isinstance(entry.get("file"), str) and entry.get("file")
            if not ok or not isinstance(entry.get("header"), Mapping):
                raise UsageError(
                    "each entry needs 'file' (a name) and 'header' (an object)", source=source, where=str(index)
                )
            headers.append({"file": str(entry["file"]), "header": dict(entry["header"])})
        out["safetensors"] = headers
    if not out:
        raise UsageError("uploaded metadata needs a card, a config or safetensors headers", source=source)
    try:
        # allow_nan=False: the API's JSON decoder reads NaN and Infinity, which JSON itself (and
        # the database column the upload is stored in) refuses.
        size = len(json.dumps(out, default=str, allow_nan=False))
    except ValueError:
        raise UsageError("uploaded metadata holds NaN or Infinity, which JSON does not allow", source=source) from None
    if size > MAX_UPLOAD_BYTES:
        raise UsageError(f"uploaded metadata is {size} bytes; the limit is {MAX_UPLOAD_BYTES}", source=source)
    return out


def inspect_uploaded(
    model_ref: str,
    uploaded: Mapping[str, Any],
    *,
    declared: Sequence[Fact],
    use_exact: bool,
    settings: Settings | None = None,
) -> Inspection:
    """Facts about ``model_ref`` from its uploaded metadata.

    With ``settings``, a base model the card names is looked up on their hub (as for a local
    directory); without, the cumulative compute of a derived model stays unknown.
    """
    from compliance.inspection import catalog_peak_lookup, inspect_artefacts, parameters_hint

    art = Artefacts()
    files: list[str] = []
    if uploaded.get("config") is not None:
        art.config = dict(uploaded["config"])
        art.config_source = "config.json (uploaded)"
        files.append("config.json")
    if uploaded.get("safetensors"):
        from compliance.facts.safetensors import summarize_headers

        entries = uploaded["safetensors"]
        art.headers = summarize_headers((e["file"], e["header"], _data_size(e["header"], e["file"])) for e in entries)
        files.extend(e["file"] for e in entries)
    if uploaded.get("card") is not None:
        from compliance.facts.card import parse_card

        art.card = parse_card(
            uploaded["card"],
            source="README.md (uploaded)",
            parameters_hint=parameters_hint(art),
            model_name=model_ref,
        )
        art.card_source = "README.md (uploaded)"
        files.append("README.md")
    peaks = catalog_peak_lookup()
    base_lookup = None
    if settings is not None:
        hub_settings = settings

        def base_lookup(model_id: str, art: Artefacts, declared: Sequence[Fact]) -> BaseLineage:
            from compliance.hub.local import look_up_bases

            return look_up_bases(model_id, art, declared, hub_settings, peak_lookup=peaks)

    nbytes = len(json.dumps(dict(uploaded), default=str))
    return inspect_artefacts(
        art, ModelRef(id=model_ref, source="upload"), files, nbytes,
        declared=declared, peak_lookup=peaks, use_exact=use_exact, base_lookup=base_lookup,
    )  # fmt: skip


def _data_size(header: Mapping[str, Any], name: str) -> int:
    """The data section's size implied by a header: the largest tensor end offset."""
    end = 0
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, Mapping) else None
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            raise ModelFileError(f"tensor {key!r} has no valid data_offsets", source=name)
        end = max(end, offsets[1])
    return end
