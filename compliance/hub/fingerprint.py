"""Architecture fingerprints: is this model built like that one?

A fingerprint gathers what pins down a network's shape, from whichever artefacts were read:

* ``dims``: structural hyper-parameters from config.json (hidden size, layers, FFN width,
  vocabulary, heads, experts, MLA ranks...), with common aliases folded onto one name and
  known sub-configs (``text_config``, ``vision_config``...) prefixed, so that two configs
  written by different libraries compare;
* ``shapes``: a digest of the multiset of tensor shapes in the safetensors headers. Names
  and dtypes are left out on purpose: a copy that renamed its tensors or changed precision
  has the same shapes;
* ``total``: the parameter count.

Names (``model_type``, ``architectures``) are kept for display but never compared: renaming
the class is the cheapest disguise. Everything here is pure and takes plain data.
"""

from __future__ import annotations

import hashlib
import heapq
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from compliance.provenance.dims import config_dims

# Below this many shared hyper-parameters two configs say too little to call them alike.
MIN_SHARED_DIMS = 3
# Bounded so a worker's memory stays flat in the size of a scan; the oldest fingerprints go first.
MAX_INDEX_ENTRIES = 4_096


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What is known of one model's shape. Every part is optional."""

    dims: tuple[tuple[str, int | bool], ...] = ()
    total: int | None = None
    shapes: str | None = None
    tensors: int | None = None
    model_type: str | None = None
    architecture: str | None = None

    @property
    def dims_digest(self) -> str | None:
        """A short digest of ``dims`` (None when too few are known to mean anything)."""
        if len(self.dims) < MIN_SHARED_DIMS:
            return None
        text = ";".join(f"{k}={v}" for k, v in self.dims)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def merged(self, other: Fingerprint) -> Fingerprint:
        """This fingerprint completed with what ``other`` knows and this one does not."""
        return replace(
            self,
            dims=self.dims or other.dims,
            total=self.total if self.total is not None else other.total,
            shapes=self.shapes or other.shapes,
            tensors=self.tensors if self.tensors is not None else other.tensors,
            model_type=self.model_type or other.model_type,
            architecture=self.architecture or other.architecture,
        )

    def label(self) -> str:
        """A short human description: class name and size."""
        name = self.architecture or self.model_type or "unknown architecture"
        return f"{name}, {self.total:,} parameters" if self.total else name


def shapes_digest(shapes: Iterable[Iterable[int]]) -> tuple[str, int]:
    """Digest of a multiset of tensor shapes (order, names and dtypes ignored) and the tensor count."""
    canon = sorted(tuple(int(d) for d in shape) for shape in shapes)
    text = ";".join(",".join(map(str, s)) for s in canon)
    return hashlib.sha256(text.encode()).hexdigest()[:16], len(canon)


def fingerprint(
    *,
    config: Mapping[str, Any] | None = None,
    tensor_shapes: Iterable[Iterable[int]] | None = None,
    total: int | None = None,
    names: Mapping[str, Any] | None = None,
) -> Fingerprint:
    """Build a fingerprint from a config, tensor shapes and a parameter count (any may be missing).

    ``names`` is a config-like mapping used only for the display names (``model_type``,
    ``architectures``) when the full config is absent, e.g. the hub's config subset.
    """
    shapes = count = None
    if tensor_shapes is not None:
        listed = list(tensor_shapes)
        if listed:
            shapes, count = shapes_digest(listed)
    source = config if isinstance(config, Mapping) else names if isinstance(names, Mapping) else {}
    arch = source.get("architectures")
    if isinstance(arch, list):
        arch = arch[0] if arch else None
    model_type = source.get("model_type")
    return Fingerprint(
        dims=config_dims(config),
        total=total if isinstance(total, int) and total > 0 else None,
        shapes=shapes,
        tensors=count,
        model_type=model_type if isinstance(model_type, str) else None,
        architecture=arch if isinstance(arch, str) else None,
    )


@dataclass(frozen=True, slots=True)
class Comparison:
    """The outcome of comparing two fingerprints.

    ``same`` is None when nothing comparable was known; ``basis`` says what was compared
    (``tensor shapes``, ``config``, ``parameter count``).
    """

    same: bool | None
    basis: str
    differences: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for a note or warning."""
        if self.same is None:
            return "architectures could not be compared (no config, headers or parameter count on both sides)"
        if self.same:
            return f"same {self.basis}"
        return f"{self.basis} differ: " + "; ".join(self.differences[:6])


def compare(a: Fingerprint, b: Fingerprint, *, use_shapes: bool = True) -> Comparison:
    """Compare two fingerprints on the strongest basis both have.

    Tensor shapes first (unless ``use_shapes`` is False, as for a quantization whose tensors
    are packed), then the shared config hyper-parameters (at least :data:`MIN_SHARED_DIMS`),
    then the parameter counts.
    """
    if use_shapes and a.shapes and b.shapes:
        if a.shapes == b.shapes:
            return Comparison(True, "tensor shapes")
        return Comparison(False, "tensor shapes", (f"{a.tensors} vs {b.tensors} tensors, different shapes",))
    left, right = dict(a.dims), dict(b.dims)
    shared = sorted(set(left) & set(right))
    if len(shared) >= MIN_SHARED_DIMS:
        diffs = tuple(f"{k} {left[k]} vs {right[k]}" for k in shared if left[k] != right[k])
        return Comparison(not diffs, "config", diffs)
    if a.total and b.total:
        if a.total == b.total:
            return Comparison(True, "parameter count")
        return Comparison(False, "parameter count", (f"{a.total:,} vs {b.total:,} parameters",))
    return Comparison(None, "nothing")


def same_architecture(a: Fingerprint, b: Fingerprint) -> Comparison:
    """An *exact* match, as used to spot an undeclared base: every known part must agree.

    Shapes, shared config dimensions and parameter counts are all checked when both sides
    have them; at least one of shapes or config must have been compared, so two models that
    merely have the same size never match on that alone.
    """
    basis: list[str] = []
    if a.shapes and b.shapes:
        if a.shapes != b.shapes:
            return Comparison(False, "tensor shapes", ("different tensor shapes",))
        basis.append("tensor shapes")
    left, right = dict(a.dims), dict(b.dims)
    shared = sorted(set(left) & set(right))
    if len(shared) >= MIN_SHARED_DIMS:
        diffs = tuple(f"{k} {left[k]} vs {right[k]}" for k in shared if left[k] != right[k])
        if diffs:
            return Comparison(False, "config", diffs)
        basis.append(f"{len(shared)} config hyper-parameters")
    if a.total and b.total:
        if a.total != b.total:
            return Comparison(False, "parameter count", (f"{a.total:,} vs {b.total:,} parameters",))
        basis.append("parameter count")
    if not any(not part.startswith("parameter") for part in basis):
        return Comparison(None, " and ".join(basis) or "nothing")
    return Comparison(True, " and ".join(basis))


@dataclass(slots=True)
class IndexEntry:
    """A model whose fingerprint is known, with what is needed to judge a match."""

    model_id: str
    sha: str | None
    fingerprint: Fingerprint
    bases: tuple[str, ...] = ()
    created_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class FingerprintIndex:
    """Fingerprints of the models inspected so far in this process (bounded, thread-safe).

    Looked up by parameter count, config digest and shapes digest, so a scan of thousands of
    models stays linear.
    """

    def __init__(self, max_entries: int = MAX_INDEX_ENTRIES) -> None:
        self._entries: OrderedDict[str, IndexEntry] = OrderedDict()
        self._keys: dict[tuple[str, object], set[str]] = {}
        self._max = max_entries
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @staticmethod
    def _keys_of(fp: Fingerprint) -> list[tuple[str, object]]:
        keys: list[tuple[str, object]] = []
        if fp.total is not None:
            keys.append(("total", fp.total))
        if fp.dims_digest is not None:
            keys.append(("dims", fp.dims_digest))
        if fp.shapes is not None:
            keys.append(("shapes", fp.shapes))
        return keys

    def _unlink(self, entry: IndexEntry) -> None:
        for key in self._keys_of(entry.fingerprint):
            ids = self._keys.get(key)
            if ids is not None:
                ids.discard(entry.model_id)
                if not ids:
                    del self._keys[key]

    def add(self, entry: IndexEntry) -> None:
        """Record (or refresh) a model's entry; the oldest entries go when the index is full."""
        with self._lock:
            old = self._entries.pop(entry.model_id, None)
            if old is not None:
                self._unlink(old)
            self._entries[entry.model_id] = entry
            for key in self._keys_of(entry.fingerprint):
                self._keys.setdefault(key, set()).add(entry.model_id)
            while len(self._entries) > self._max:
                _, dropped = self._entries.popitem(last=False)
                self._unlink(dropped)

    def update(self, model_id: str, fp: Fingerprint) -> None:
        """Replace the fingerprint of an entry (when more became known about it)."""
        with self._lock:
            entry = self._entries.get(model_id)
            if entry is None:
                return
            self._unlink(entry)
            entry.fingerprint = fp
            for key in self._keys_of(fp):
                self._keys.setdefault(key, set()).add(model_id)

    def get(self, model_id: str) -> IndexEntry | None:
        """The entry of one model, or None."""
        with self._lock:
            return self._entries.get(model_id)

    def candidates(
        self,
        fp: Fingerprint,
        *,
        exclude: Iterable[str] = (),
        accept: Callable[[IndexEntry], bool] | None = None,
        limit: int | None = None,
    ) -> list[IndexEntry]:
        """Entries that could be the same architecture (same count, config digest or shapes), oldest first.

        ``accept`` filters them; ``limit`` keeps only the oldest few.
        """
        skip = set(exclude)
        with self._lock:
            ids: set[str] = set()
            for key in self._keys_of(fp):
                ids |= self._keys.get(key, set())
            found = [self._entries[i] for i in ids - skip if i in self._entries]
        if accept is not None:
            found = [e for e in found if accept(e)]

        def age(entry: IndexEntry) -> tuple[str, str]:
            return entry.created_at or "", entry.model_id

        return sorted(found, key=age) if limit is None else heapq.nsmallest(limit, found, key=age)
