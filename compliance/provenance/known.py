"""The shipped index of known models, and a checked model's comparison with it.

``compliance/data/known_models.json`` is data built by ``python -m bench.known_index`` from the
demo registry's configs and generated safetensors headers (and, optionally, from the configs in
``../shared/bench``); a check never needs anything but the JSON. Each entry holds:

* ``id``, ``architecture``, ``model_type``: names, shown but never compared;
* ``dims``: the canonical config hyper-parameters (:func:`compliance.provenance.dims.config_dims`) and
  ``layout``, their digest: two models share a layout when their ``dims`` are equal;
* ``parameters``, ``shapes``/``tensors`` (digest of the tensor shapes and their number) and
  ``names`` (digest of the tensor names with layer numbers folded), when headers were read;
  ``families`` maps each names digest to the folded names themselves, so a local check compares
  names without hashing;
* ``weights``: the LFS sha256 of each weight file, so that a byte copy is recognised;
* ``since``: when the model was first published (the earlier model is the source of a copy);
* ``bases``: the bases it declares (a model is never the undeclared derivation of its own child).

The service adds the models it has seen (:mod:`compliance.provenance.ports`); those carry
``seen``, the date the service first saw them, and ``source`` ``service``.

This module is on every local check's path: plain slotted classes, no ``dataclasses``,
``typing`` or ``hashlib`` at import.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from compliance.errors import InputError
from compliance.provenance.dims import config_dims
from compliance.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any

KNOWN_PATH = Path(__file__).resolve().parent.parent / "data" / "known_models.json"
SCHEMA = "compliance-known-models/1"
# A layout shared by at most this many known models is distinctive: the same layout then says the
# model was derived from one of them. Above it (a public base and its fine-tunes), it says nothing.
DISTINCTIVE_MAX = 3
# Below this many hyper-parameters a config says too little to call two models alike.
MIN_DIMS = 3
_LAYER_NUMBER = re.compile(r"\.\d+\.")


class KnownModel(Record):
    """One entry of the shipped index."""

    __slots__ = ("model_id", "dims", "total", "shapes", "architecture", "model_type", "since", "bases", "weights",
                 "names", "source", "seen", "revision")  # fmt: skip

    def __init__(
        self,
        model_id: str,
        dims: Mapping[str, int | bool],
        *,
        total: int | None = None,
        shapes: str | None = None,
        architecture: str | None = None,
        model_type: str | None = None,
        since: str | None = None,
        bases: Sequence[str] = (),
        weights: Sequence[str] = (),
        names: str | None = None,
        source: str = "demo-registry",
        seen: str | None = None,
        revision: str | None = None,
    ) -> None:
        self.model_id = model_id
        self.dims = dict(dims)
        self.total = total
        self.shapes = shapes
        self.architecture = architecture
        self.model_type = model_type
        self.since = since
        self.bases = tuple(bases)
        self.weights = tuple(weights)
        self.names = names
        self.source = source
        self.seen = seen  # when the service first saw it (None for the shipped index)
        self.revision = revision  # the commit the service saw (its config can be read there)


class Layout(Record):
    """What is known of a checked model's structure: config dims, count, shapes and names digests."""

    __slots__ = ("dims", "total", "shapes", "names", "model_type")

    def __init__(
        self,
        dims: Mapping[str, int | bool],
        total: int | None = None,
        shapes: str | None = None,
        names: str | None = None,
        model_type: str | None = None,
    ) -> None:
        self.dims = dict(dims)
        self.total = total
        self.shapes = shapes
        self.names = names
        self.model_type = model_type

    @classmethod
    def of(cls, config: Mapping[str, Any] | None, **parts: Any) -> Layout:
        """The layout of a config (``parts`` as for the constructor)."""
        model_type = config.get("model_type") if isinstance(config, dict) else None
        return cls(dict(config_dims(config)), model_type=model_type if isinstance(model_type, str) else None, **parts)

    @property
    def known(self) -> bool:
        """Whether anything comparable is known."""
        return len(self.dims) >= MIN_DIMS or self.shapes is not None or self.names is not None or bool(self.total)


class KnownMatch(Record):
    """What the shipped index says of a model.

    ``kind``: ``copy`` (a weight file's sha256 equals a known model's), ``derivation`` (the same
    distinctive layout as an older known model, with no declared relation) or ``family`` (the same
    module layout as known models, said without claiming lineage). ``shared_by`` counts the known
    models, other than the one checked, with the same layout.
    """

    __slots__ = ("kind", "source", "basis", "shared_by", "family", "examples")

    def __init__(
        self,
        kind: str,
        source: KnownModel,
        basis: str,
        shared_by: int,
        family: str | None = None,
        examples: tuple[str, ...] = (),
    ) -> None:
        self.kind = kind
        self.source = source
        self.basis = basis
        self.shared_by = shared_by
        self.family = family
        self.examples = examples

    def describe(self) -> str:
        """One sentence for a note, warning or fact."""
        since = f" (known since {self.source.since})" if self.source.since else ""
        if self.source.seen:
            published = f", published {self.source.since}" if self.source.since else ""
            since = f" (known to the service since {self.source.seen}{published})"
        if self.kind == "copy":
            return f"a weight file is byte-identical to {self.source.model_id}'s{since}: {self.basis}"
        if self.kind == "derivation":
            others = "no other known model" if self.shared_by <= 1 else f"{self.shared_by} known models"
            return (
                f"same {self.basis} as {self.source.model_id}{since}, a layout shared by {others}; "
                "no base model declared"
            )
        return f"{self.family} (same layout as {', '.join(self.examples)})"


def fold_names(names: Iterable[str]) -> list[str]:
    """Tensor names with layer numbers folded (``layers.12.`` → ``layers.N.``), sorted, once each:
    the module layout of an architecture family, whatever its sizes."""
    return sorted({_LAYER_NUMBER.sub(".N.", f".{name}.").strip(".") for name in names})


def names_digest(names: Iterable[str]) -> str | None:
    """Digest of :func:`fold_names` (None for no names)."""
    import hashlib

    folded = fold_names(names)
    return hashlib.sha256("\n".join(folded).encode()).hexdigest()[:16] if folded else None


def shapes_digest(shapes: Iterable[Sequence[int]]) -> str | None:
    """Digest of a multiset of tensor shapes, as :func:`compliance.hub.fingerprint.shapes_digest`."""
    from compliance.hub.fingerprint import shapes_digest as digest

    listed = list(shapes)
    return digest(listed)[0] if listed else None


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
    from compliance.hub.fingerprint import fingerprint

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


def families_of(tensor_names: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """The ``families`` table of an index: names digest → folded names, from model id → tensor names."""
    out: dict[str, list[str]] = {}
    for names in tensor_names.values():
        digest = names_digest(names)
        if digest is not None:
            out[digest] = fold_names(names)
    return out


def _elements(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


class KnownIndex(Record):
    """The parsed index: its models and the folded names of each family."""

    __slots__ = ("models", "families")

    def __init__(self, models: tuple[KnownModel, ...], families: dict[str, tuple[str, ...]]) -> None:
        self.models = models
        self.families = families

    def family_of(self, names: Iterable[str]) -> str | None:
        """The names digest of the family whose folded tensor names are exactly these."""
        folded = tuple(fold_names(names))
        for digest, members in self.families.items():
            if members == folded:
                return digest
        return None

    def shares_total(self, total: int | None, model_id: str, created: str | None) -> bool:
        """Whether a known model that could be ``model_id``'s undeclared source (older, of another
        publisher, not its child) has exactly ``total`` parameters: cheap evidence that the layout
        is worth comparing."""
        return total is not None and any(
            m.total == total and m.model_id != model_id and not _related(model_id, (), m) and _older(m, created)
            for m in self.models
        )

    def distinctive(self, dims: Mapping[str, int | bool]) -> bool:
        """Whether at most :data:`DISTINCTIVE_MAX` known models have this layout (an unknown layout is)."""
        return sum(1 for m in self.models if m.dims == dims) <= DISTINCTIVE_MAX


def could_be_source(known: KnownModel, model_id: str, created: str | None) -> bool:
    """Whether ``known`` could be ``model_id``'s undeclared source: another model, of another
    publisher, not its declared child, strictly older."""
    return known.model_id != model_id and not _related(model_id, (), known) and _older(known, created)


def combined(models: Sequence[KnownModel], extra: Iterable[KnownModel]) -> tuple[KnownModel, ...]:
    """``models`` followed by the ``extra`` models they do not already name (each model once:
    a model in the shipped index and seen by the service counts once, as the shipped entry)."""
    ids = {m.model_id for m in models}
    out = list(models)
    for m in extra:
        if m.model_id not in ids:
            ids.add(m.model_id)
            out.append(m)
    return tuple(out)


def parse_known(data: Any, *, source: str = "known_models.json") -> KnownIndex:
    """The index a document holds (raises :class:`InputError` when it is not one)."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("models"), list):
        raise InputError(f"{source}: not a {SCHEMA} document")
    out = []
    for row in data["models"]:
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            raise InputError(f"{source}: an entry without an id")
        dims = row.get("dims") or {}
        out.append(
            KnownModel(
                row["id"],
                {str(k): v for k, v in dims.items() if isinstance(v, int)},
                total=row.get("parameters"),
                shapes=row.get("shapes"),
                architecture=row.get("architecture"),
                model_type=row.get("model_type"),
                since=row.get("since"),
                bases=row.get("bases") or (),
                weights=row.get("weights") or (),
                names=row.get("names"),
                source=str(row.get("source") or "demo-registry"),
            )
        )
    families = data.get("families") or {}
    return KnownIndex(tuple(out), {str(k): tuple(v) for k, v in families.items() if isinstance(v, list)})


_LOADED: dict[Path, KnownIndex] = {}


def known_index(path: Path = KNOWN_PATH) -> KnownIndex:
    """The shipped index (read once per process)."""
    if path not in _LOADED:
        _LOADED[path] = parse_known(json.loads(path.read_text("utf-8")), source=str(path))
    return _LOADED[path]


def known_models(path: Path = KNOWN_PATH) -> tuple[KnownModel, ...]:
    """The models of the shipped index."""
    return known_index(path).models


def layout_counts(models: Iterable[KnownModel]) -> Counter[tuple[tuple[str, int | bool], ...]]:
    """How many known models share each layout (their sorted config dims)."""
    return Counter(_key(m.dims) for m in models if len(m.dims) >= MIN_DIMS)


def _key(dims: Mapping[str, int | bool]) -> tuple[tuple[str, int | bool], ...]:
    return tuple(sorted(dims.items()))


def owner(model_id: str) -> str:
    """The namespace of a hub id (``org`` of ``org/name``)."""
    return model_id.split("/", 1)[0].lower() if "/" in model_id else ""


def _related(model_id: str, bases: Sequence[str], known: KnownModel) -> bool:
    # Declared either way, or the same publisher (a lab reusing its own architecture, or a renamed repo).
    same_owner = bool(owner(model_id)) and owner(model_id) == owner(known.model_id)
    return known.model_id in bases or model_id in known.bases or same_owner


def _older(known: KnownModel, created: str | None) -> bool:
    # The source of a copy is the earlier model; with a date unknown on either side the direction
    # cannot be told, so no derivation is claimed.
    return known.since is not None and created is not None and known.since < created[:10]


def same_layout(layout: Layout, known: KnownModel) -> str | None:
    """What agrees when ``layout`` is exactly ``known``'s (config dims, and shapes and counts when
    both sides have them), else None."""
    if len(layout.dims) < MIN_DIMS or layout.dims != known.dims:
        return None
    basis = [f"{len(layout.dims)} config hyper-parameters"]
    if layout.shapes and known.shapes:
        if layout.shapes != known.shapes:
            return None
        basis.insert(0, "tensor shapes")
    if layout.total and known.total:
        if layout.total != known.total:
            return None
        basis.append("parameter count")
    return " and ".join(basis)


def family_name(architecture: str | None, model_type: str | None) -> str | None:
    """A family's display name from a class name (``LlamaForCausalLM`` → ``Llama``) or model type."""
    if architecture:
        return re.sub(r"(For\w+|LMHeadModel|Model)$", "", architecture) or architecture
    return model_type


def match_known(
    layout: Layout,
    *,
    model_id: str,
    bases: Sequence[str] = (),
    created: str | None = None,
    weights: Iterable[str] = (),
    models: Sequence[KnownModel] | None = None,
) -> KnownMatch | None:
    """Compare a model with the known models: a copy, a probable derivation, a family, or nothing.

    A model that declares a base is never flagged: an ordinary fine-tune of a public base says
    where it comes from. Otherwise identical weight files mean a copy; the same layout as an
    older model of another publisher, with at most :data:`DISTINCTIVE_MAX` known models sharing
    it, means a probable derivation (the strictly older model is the source, so both dates must
    be known; a model is never the derivation of its own declared child, nor of a model of the
    same publisher). Without a declared base, a common layout only names the family.
    """
    known = [m for m in (known_models() if models is None else models) if m.model_id != model_id]
    if bases:
        return None
    candidates = sorted((m for m in known if not _related(model_id, bases, m) and _older(m, created)), key=_age)
    own_hashes = set(weights)
    for m in candidates if own_hashes else ():
        common = own_hashes & set(m.weights)
        if common:
            return KnownMatch("copy", m, f"LFS sha256 {sorted(common)[0][:16]}…", len(common))
    shared = [m for m in known if len(layout.dims) >= MIN_DIMS and m.dims == layout.dims]
    if shared and len(shared) <= DISTINCTIVE_MAX:
        for m in candidates:
            basis = same_layout(layout, m)
            if basis is not None:
                return KnownMatch("derivation", m, basis, len(shared))
    return _family(layout, known, len(shared))


def _family(layout: Layout, known: Sequence[KnownModel], shared_by: int) -> KnownMatch | None:
    if layout.names is not None:
        alike = [m for m in known if m.names == layout.names]
        basis = "tensor names"
    else:
        alike = [m for m in known if layout.model_type and m.model_type == layout.model_type]
        basis = "model type"
    if not alike:
        return None
    seen = Counter(family_name(m.architecture, m.model_type) for m in alike)
    family = seen.most_common(1)[0][0]
    # Bases before derived models, dated before undated, oldest first: the family's originals.
    ordered = sorted(alike, key=lambda m: (bool(m.bases), m.since is None, _age(m)))
    examples = tuple(m.model_id for m in ordered[:3])
    return KnownMatch("family", ordered[0], basis, shared_by, family=family, examples=examples)


def _age(m: KnownModel) -> tuple[str, str]:
    return m.since or "", m.model_id
