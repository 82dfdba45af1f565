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


@dataclass(frozen=True, slots=True)
class KnownMatch:
    """What the shipped index says of a model.

    ``kind``: ``copy`` (a weight file's sha256 equals a known model's), ``derivation`` (the same
    distinctive layout as an older known model, with no declared relation) or ``family`` (the same
    module layout as known models, said without claiming lineage). ``shared_by`` counts the known
    models, other than the one checked, with the same layout.
    """

    kind: str
    source: KnownModel
    basis: str
    shared_by: int
    family: str | None = None
    examples: tuple[str, ...] = ()

    def describe(self) -> str:
        """One sentence for a note, warning or fact."""
        since = f" (known since {self.source.since})" if self.source.since else ""
        if self.kind == "copy":
            return f"a weight file is byte-identical to {self.source.model_id}'s{since}: {self.basis}"
        if self.kind == "derivation":
            others = "no other known model" if self.shared_by <= 1 else f"{self.shared_by} known models"
            return (
                f"same {self.basis} as {self.source.model_id}{since}, a layout shared by {others}; "
                "no base model declared"
            )
        return f"{self.family} (same layout as {', '.join(self.examples)})"


def owner(model_id: str) -> str:
    """The namespace of a hub id (``org`` of ``org/name``)."""
    return model_id.split("/", 1)[0].lower() if "/" in model_id else ""


def _related(model_id: str, bases: Sequence[str], known: KnownModel) -> bool:
    # Declared either way, or the same publisher (a lab reusing its own architecture, or a renamed repo).
    return (
        known.model_id in bases
        or model_id in known.bases
        or (bool(owner(model_id)) and owner(model_id) == owner(known.model_id))
    )


def _older(known: KnownModel, created: str | None) -> bool:
    # The source of a copy is the earlier model; with a date unknown on either side the direction
    # cannot be told, so no derivation is claimed.
    return known.since is not None and created is not None and known.since < created[:10]


def family_name(architecture: str | None, model_type: str | None) -> str | None:
    """A family's display name from a class name (``LlamaForCausalLM`` → ``Llama``) or model type."""
    if architecture:
        return re.sub(r"(For\w+|Model|LMHeadModel)$", "", architecture) or architecture
    return model_type


def match_known(
    fp: Fingerprint,
    *,
    model_id: str,
    bases: Sequence[str] = (),
    created: str | None = None,
    weights: Iterable[str] = (),
    names: str | None = None,
    models: Sequence[KnownModel] | None = None,
) -> KnownMatch | None:
    """Compare a model with the known models: a copy, a probable derivation, a family, or nothing.

    A model that declares a base is only ever told its family: an ordinary fine-tune of a public
    base says where it comes from. Otherwise identical weight files mean a copy; the same layout
    as an older model of another publisher, with at most :data:`DISTINCTIVE_MAX` known models
    sharing it, means a probable derivation (the strictly older model is the source, so both dates
    must be known; a model is never the derivation of its own declared child, nor of a model of the
    same publisher). Without a declared base, a common layout only names the family.
    """
    from compliance.hub.fingerprint import same_architecture

    known = [m for m in (known_models() if models is None else models) if m.model_id != model_id]
    own_hashes = set(weights)
    candidates = [m for m in known if not _related(model_id, bases, m) and _older(m, created)]
    if not bases and own_hashes:
        for m in sorted(candidates, key=_age):
            common = own_hashes & set(m.weights)
            if common:
                return KnownMatch("copy", m, f"LFS sha256 {sorted(common)[0][:16]}…", len(common))
    shared = [m for m in known if fp.dims_digest is not None and m.layout == fp.dims_digest]
    if not bases and shared and len(shared) <= DISTINCTIVE_MAX:
        for m in sorted(candidates, key=_age):
            if m in shared:
                result = same_architecture(fp, m.fingerprint)
                if result.same:
                    return KnownMatch("derivation", m, result.basis, len(shared))
    return None if bases else _family(fp, names, known, len(shared))


def _family(fp: Fingerprint, names: str | None, known: Sequence[KnownModel], shared_by: int) -> KnownMatch | None:
    if names is not None:
        alike = [m for m in known if m.names == names]
        basis = "tensor names"
    else:
        alike = [m for m in known if fp.model_type and m.fingerprint.model_type == fp.model_type]
        basis = "model type"
    if not alike:
        return None
    names_seen = Counter(family_name(m.fingerprint.architecture, m.fingerprint.model_type) for m in alike)
    family = names_seen.most_common(1)[0][0]
    ordered = sorted(alike, key=lambda m: (bool(m.bases), _age(m)))
    examples = tuple(m.model_id for m in ordered[:3])
    return KnownMatch("family", ordered[0], basis, shared_by, family=family, examples=examples)


def _age(m: KnownModel) -> tuple[str, str]:
    return m.since or "", m.model_id
