"""Undeclared derivation: compare a checked model with the shipped index of known models.

:func:`compliance.provenance.known.match_known` decides; this module turns its answer into what a
report carries: the fact ``undeclared_derivation`` (which the rule
``org.release.undeclared_derivation`` reads), the fact ``architecture_family`` for a model that
only shares a common family's layout (no lineage claimed), and a lineage row with relation
``undeclared`` naming the source. A hub check and a local check both come through here.
"""

from __future__ import annotations

from compliance.facts.model import Confidence, Evidence, Fact
from compliance.provenance.known import DISTINCTIVE_MAX, KnownMatch, Layout, combined, known_index, match_known

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from compliance.inspection import Artefacts
    from compliance.provenance.known import KnownModel

INDEX_SOURCE = "compliance/data/known_models.json"
SERVICE_SOURCE = "service fingerprints"


class Derivation:
    """What the comparison with the known models gave: facts, a lineage row, a warning."""

    __slots__ = ("facts", "lineage", "warnings", "match")

    def __init__(self) -> None:
        self.facts: list[Fact] = []
        self.lineage: list[dict[str, Any]] = []
        self.warnings: list[str] = []
        self.match: KnownMatch | None = None


def artefacts_layout(art: Artefacts) -> Layout:
    """The layout of a model's artefacts without hashing: config dims, the headers' count and the
    known family its tensor names belong to (shapes are compared on the hub path only)."""
    headers = art.headers
    total = names = None
    if headers is not None and headers.total:
        total = None if headers.packed_quantized else int(headers.total)
        names = known_index().family_of(headers.tensors)
    return Layout.of(art.config, total=total, names=names)


def compare_with_known(
    model_id: str,
    layout: Layout,
    *,
    bases: Sequence[str],
    created: str | None,
    weights: Sequence[str] = (),
    extra: Sequence[KnownModel] = (),
) -> Derivation:
    """Compare one model with the shipped index and ``extra`` models (those the service has seen,
    from its :class:`~compliance.provenance.ports.KnownStore`); nothing is concluded when nothing
    is known of its layout."""
    out = Derivation()
    if not layout.known and not weights:
        return out
    shipped = known_index().models
    known = combined(shipped, extra)
    found = match_known(layout, model_id=model_id, bases=bases, created=created, weights=weights, models=known)
    out.match = found
    compared = f"compared with {len(shipped)} known models"
    if len(known) > len(shipped):
        compared += f" and {len(known) - len(shipped)} the service has seen"
    evidence = Evidence("known-index", INDEX_SOURCE, compared)
    if found is not None and found.kind in ("copy", "derivation"):
        text = found.describe()
        confidence = Confidence.CONFIDENT if found.kind == "copy" else Confidence.LIKELY
        where = SERVICE_SOURCE if found.source.seen else INDEX_SOURCE
        detail = Evidence("known-index", f"{where}#{found.source.model_id}", text)
        out.facts.append(
            Fact(
                "undeclared_derivation", True, confidence=confidence, method="known-index", evidence=[detail, evidence]
            )
        )
        note = f"undeclared {found.kind} of {found.source.model_id}: {text}; if derived from it, declare base_model"
        out.warnings.append(f"{model_id}: {note}")
        out.lineage.append(
            {
                "depth": 1,
                "model": found.source.model_id,
                "sha": None,
                "relation": "undeclared",
                "training_compute_flop": None,
                "low": None,
                "high": None,
                "confidence": "unknown",
                "parameters": found.source.total,
                "architecture": found.source.architecture,
                "note": note,
            }
        )
        return out
    if bases:
        why = f"declares its base ({', '.join(bases)}): derivation declared"
    else:
        why = f"no known model of another publisher shares its weights or a layout held by ≤ {DISTINCTIVE_MAX} models"
    out.facts.append(
        Fact(
            "undeclared_derivation",
            False,
            confidence=Confidence.LIKELY,
            method="known-index",
            evidence=[evidence],
            note=why,
        )
    )
    if found is not None and found.kind == "family" and found.family:
        detail = Evidence("known-index", INDEX_SOURCE, f"same {found.basis} as {', '.join(found.examples)}")
        out.facts.append(
            Fact(
                "architecture_family",
                found.describe(),
                confidence=Confidence.LIKELY,
                method="known-index",
                evidence=[detail],
                note="a shared layout, not a claim of lineage",
            )
        )
    return out
