"""The shipped index of known models: structural fingerprints of well-known bases and of the demo registry.

``compliance/data/known_models.json`` is data built by ``python -m bench.known_index`` from the
demo registry's configs and generated safetensors headers (and, optionally, from the configs in
``../shared/bench``); a check never needs anything but the JSON. Each entry holds:

* ``id``, ``architecture``, ``model_type``: names, shown but never compared;
* ``dims``: the canonical config hyper-parameters (:func:`compliance.hub.fingerprint.config_dims`)
  and ``layout``, their digest, the key the distinctiveness bar counts;
* ``parameters``, ``shapes``/``tensors`` (digest of the tensor shapes and their number) and
  ``names`` (digest of the tensor names with layer numbers folded), when headers were read;
* ``weights``: the LFS sha256 of each weight file, so that a byte copy is recognised;
* ``since``: when the model was first published (the earlier model is the source of a copy);
* ``bases``: the bases it declares (a model is never the undeclared derivation of its own child).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from compliance.errors import InputError
from compliance.hub.fingerprint import Fingerprint, fingerprint

KNOWN_PATH = Path(__file__).resolve().parent.parent / "data" / "known_models.json"
SCHEMA = "compliance-known-models/1"
# A layout shared by at most this many known models is distinctive: matching it says the model was
# derived from one of them. Above it (a public base and its many fine-tunes), a match says nothing.
DISTINCTIVE_MAX = 3
_LAYER_NUMBER = re.compile(r"\.\d+\.")


@dataclass(frozen=True, slots=True)
class KnownModel:
    """One entry of the shipped index."""

    model_id: str
    fingerprint: Fingerprint
    since: str | None
    bases: tuple[str, ...] = ()
    weights: tuple[str, ...] = ()
    names: str | None = None
    source: str = "demo-registry"

    @property
    def layout(self) -> str | None:
        """The digest of the config hyper-parameters (None when too few are known)."""
        return self.fingerprint.dims_digest


def names_digest(names: Iterable[str]) -> str | None:
    """Digest of a model's tensor names with layer numbers folded (``layers.12.`` → ``layers.N.``):
    the module layout of an architecture family, whatever its sizes."""
    folded = sorted({_LAYER_NUMBER.sub(".N.", f".{name}.").strip(".") for name in names})
    if not folded:
        return None
    return hashlib.sha256("\n".join(folded).encode()).hexdigest()[:16]


def known_record(
    model_id: str,
    *,
    config: Mapping[str, Any] | None,
    tensors: Sequence[tuple[str, str, Sequence[int]]] = (),
    since: str | None = None,
    bases: Sequence[str] = (),
    weights: Sequence[str] = (),
    source: str = "demo-registry",
) -> dict[str, Any]:
    """One JSON entry of the index from a config and, when known, the tensors (name, dtype, shape)."""
    total = sum(_elements(shape) for _, _, shape in tensors) or None
    fp = fingerprint(config=config, tensor_shapes=[shape for _, _, shape in tensors] or None, total=total)
    return {
        "id": model_id,
        "architecture": fp.architecture,
        "model_type": fp.model_type,
        "dims": dict(fp.dims),
        "layout": fp.dims_digest,
        "parameters": fp.total,
        "shapes": fp.shapes,
        "tensors": fp.tensors,
        "names": names_digest(name for name, _, _ in tensors),
        "dtypes": sorted({dtype for _, dtype, _ in tensors}),
        "weights": sorted(set(weights)),
        "since": since,
        "bases": list(bases),
        "source": source,
    }


def _elements(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def parse_known(data: Any, *, source: str = "known_models.json") -> tuple[KnownModel, ...]:
    """Entries of an index document (raises :class:`InputError` when it is not one)."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("models"), list):
        raise InputError(f"{source}: not a {SCHEMA} document")
    out = []
    for row in data["models"]:
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            raise InputError(f"{source}: an entry without an id")
        dims = row.get("dims") or {}
        fp = Fingerprint(
            dims=tuple(sorted((str(k), v) for k, v in dims.items() if isinstance(v, int))),
            total=row.get("parameters"),
            shapes=row.get("shapes"),
            tensors=row.get("tensors"),
            model_type=row.get("model_type"),
            architecture=row.get("architecture"),
        )
        out.append(
            KnownModel(
                row["id"],
                fp,
                row.get("since"),
                tuple(row.get("bases") or ()),
                tuple(row.get("weights") or ()),
                row.get("names"),
                str(row.get("source") or "demo-registry"),
            )
        )
    return tuple(out)


@lru_cache(maxsize=1)
def known_models(path: Path = KNOWN_PATH) -> tuple[KnownModel, ...]:
    """The shipped index (read once per process)."""
    return parse_known(json.loads(path.read_text("utf-8")), source=str(path))


def layout_counts(models: Iterable[KnownModel]) -> Counter[str]:
    """How many known models share each layout digest."""
    return Counter(m.layout for m in models if m.layout is not None)
