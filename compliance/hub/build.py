"""Facts of one hub model from what was gathered, its base's facts and the user's declarations.

This wraps :func:`compliance.inspection.build_facts` with what only a hub source knows:

* the hub's ``safetensors`` total is an exact parameter count (the hub sums the headers), so
  it is applied after the artefacts, keeping the config's formula count as an alternative,
  unless headers were read (then the headers win and the total is a cross-check) or the
  totals hold packed integer weights (then the formula wins);
* a quantization or adapter inherits the facts its own files cannot give (parameters,
  architecture, training tokens...) from its base, marked as inherited, and every derived
  model receives its base's training compute as ``base_compute``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from compliance.estimate.compute import PeakLookup
from compliance.facts.model import Confidence, Evidence, Fact, FactSet
from compliance.hub.gather import Gathered, hub_parameters_fact, is_moe, packed_weights
from compliance.hub.info import HubInfo
from compliance.inspection import PARAMETER_TOLERANCE, build_facts

# Facts a derived model takes from its base when its own artefacts do not give them.
INHERITED: dict[str, tuple[str, ...]] = {
    "quantized": (
        "parameters", "active_parameters", "architecture", "model_type", "training_tokens",
        "training_hardware", "training_gpu_hours", "output_modalities", "pipeline_tag",
    ),
    "adapter": ("active_parameters", "architecture", "model_type", "output_modalities", "pipeline_tag"),
    "finetune": ("parameters", "active_parameters", "architecture", "model_type", "output_modalities"),
    "merge": ("architecture", "model_type", "output_modalities"),
}  # fmt: skip


@dataclass(slots=True)
class BaseFacts:
    """What a model takes from one inspected base."""

    model_id: str
    sha: str | None
    url: str
    facts: FactSet


def inherited_facts(relation: str | None, base: BaseFacts | None) -> list[Fact]:
    """Copies of the base's facts that a model with this relation inherits (its own facts override them)."""
    if base is None or relation not in INHERITED:
        return []
    out = []
    at = f"{base.model_id}@{base.sha[:12]}" if base.sha else base.model_id
    for name in INHERITED[relation]:
        fact = base.facts.get(name)
        if fact is None or not fact.known:
            continue
        out.append(
            Fact(
                name,
                fact.value,
                fact.low,
                fact.high,
                fact.confidence,
                "inherited",
                [Evidence("lineage", base.url, f"{name} of the base model {at} ({relation})"), *fact.evidence],
                note=f"inherited from the base model {base.model_id}",
            )
        )
    return out


def adapter_parameters(own_total: int | None, base: BaseFacts | None) -> Fact | None:
    """An adapter's model is its base plus the adapter weights: their sum, when the base's count is known."""
    if base is None:
        return None
    params = base.facts.get("parameters")
    if params is None or not params.known:
        return None
    extra = float(own_total or 0)
    value = float(params.value) + extra
    return Fact(
        "parameters",
        value,
        (params.low or float(params.value)) + extra,
        (params.high or float(params.value)) + extra,
        params.confidence,
        "lineage",
        [
            Evidence("lineage", base.url, f"parameters of the base model {base.model_id}: {float(params.value):,.0f}"),
            *params.evidence,
        ],
        note=f"adapter on {base.model_id}: base parameters plus {extra:,.0f} adapter parameters",
    )


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth", ".ckpt", ".onnx", ".h5", ".msgpack", ".pkl")


def open_weights_fact(info: HubInfo, endpoint: str) -> Fact | None:
    """Whether the weights are published, from the repository's visibility and file list."""
    if info.siblings is None or info.private is None:
        return None
    weights = [n for n in info.siblings if n.lower().endswith(WEIGHT_SUFFIXES)]
    source = f"{endpoint}/api/models/{info.id}"
    if info.private:
        value, detail = False, "private repository"
    elif not weights:
        value, detail = False, "public repository without weight files (a card only)"
    else:
        gate = f", gated ({info.gated}) behind an access request" if info.gated else ""
        value, detail = True, f"public repository with {len(weights)} weight file(s){gate}"
    note = (
        "gated access: whether gated weights count as published is a legal question" if value and info.gated else None
    )
    return Fact("open_weights", value, confidence=Confidence.LIKELY, method="hub-api",
                evidence=[Evidence("hub-api", source, detail)], note=note)  # fmt: skip


def build_node_facts(
    got: Gathered,
    *,
    endpoint: str,
    relation: str | None = None,
    base: BaseFacts | None = None,
    base_compute: Fact | None = None,
    declared: Iterable[Fact] = (),
    peak_lookup: PeakLookup | None = None,
    use_exact: bool = False,
) -> tuple[FactSet, list[str]]:
    """Build one model's facts (see the module docstring). Returns the facts and warnings."""
    art = got.art
    info = got.info
    art.extra_facts[:0] = inherited_facts(relation, base)
    published = open_weights_fact(info, endpoint)
    if published is not None:
        art.extra_facts.append(published)
    first: list[Fact] = []
    hub_fact = hub_parameters_fact(info, endpoint, got.revision)
    if relation == "adapter":
        summed = adapter_parameters(info.safetensors_total, base)
        if summed is not None:
            first.append(summed)
            hub_fact = None
    facts, warnings = build_facts(
        art,
        declared=[*first, *declared],
        peak_lookup=peak_lookup,
        base_compute=base_compute,
        use_exact=use_exact,
        counted=hub_fact,
    )
    _check_hub_count(facts, warnings, got, endpoint)
    _check_cumulative(facts, warnings, base_compute, relation)
    if is_moe(info) is False and facts.get("active_parameters") is None:
        params = facts.get("parameters")
        if params is not None and params.known:
            facts.set(
                Fact(
                    "active_parameters",
                    params.value,
                    params.low,
                    params.high,
                    params.confidence,
                    params.method,
                    list(params.evidence),
                    note="dense model (per the hub's config): every parameter is active",
                )
            )
    return facts, warnings


def _check_cumulative(facts: FactSet, warnings: list[str], base: Fact | None, relation: str | None) -> None:
    """Warn when a derived model's own estimate, taken as cumulative, is below its base's compute.

    Cumulative compute cannot be smaller than the base's: such an estimate measures the
    modification alone (a card stating its fine-tuning hours), and the total is understated.
    """
    total = facts.get("training_compute_flop")
    if base is None or total is None or relation is None or total.method in ("lineage", "declared"):
        return
    if total.high is not None and base.low is not None and total.high < base.low:
        warnings.append(
            f"the model's own compute estimate ({total.value or total.high:.3g} FLOP, {total.method}) is below its "
            f"base's ({base.low:.3g} FLOP or more): it likely measures the {relation} alone, so the cumulative "
            "compute is understated; declare finetune_compute_flop or training_compute_flop"
        )


def _check_hub_count(facts: FactSet, warnings: list[str], got: Gathered, endpoint: str) -> None:
    """Note a disagreement between the hub's total and the other counts, or keep a packed total as an alternative."""
    info = got.info
    params = facts.get("parameters")
    total = info.safetensors_total
    if params is None or total is None:
        return
    if params.method == "hub-api":
        if params.low != params.high:
            return  # the counts were reconciled into an interval, with its note and warning
        for other in params.alternatives:
            if other.value and other.method not in ("inherited", "declared"):
                diff = abs(float(other.value) - total) / total
                if diff > PARAMETER_TOLERANCE:
                    params.note = (
                        f"{other.method} count {float(other.value):,.0f} and the hub's safetensors total "
                        f"{total:,} disagree by {diff:.0%}"
                    )
                    warnings.append(f"{info.id}: {params.note}")
                    break
        return
    if params.method == "declared" or any(a.method == "hub-api" for a in params.alternatives):
        return
    alt = Fact(
        "parameters",
        total,
        confidence=Confidence.SPECULATIVE if packed_weights(info) else Confidence.CONFIDENT,
        method="hub-api",
        evidence=[
            Evidence(
                "hub-api", f"{endpoint}/api/models/{info.id}", f"safetensors.total {total:,} at {got.revision[:12]}"
            )
        ],
        note="stored elements of packed quantized weights: fewer than the true count" if packed_weights(info) else None,
    )
    params.alternatives.append(alt)
    header_total = got.art.headers.total if got.art.headers is not None else None
    if header_total and header_total != total:
        warnings.append(f"{info.id}: the hub's safetensors total {total:,} differs from the headers' {header_total:,}")
