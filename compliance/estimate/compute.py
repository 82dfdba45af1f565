"""Training compute in FLOP: an interval, a confidence tier, a method and the inputs used.

Two methods, as Epoch AI uses them:

* operation counting: ``6 × N × D`` (N = parameters active per token, D = training tokens);
* hardware: ``chip-hours × 3600 × dense peak FLOP/s × utilisation``.

Operation counting is preferred when both apply (it needs no utilisation guess); the other
estimate is kept as an alternative, and when the two disagree the interval is widened to cover
both and the confidence drops a tier. With neither, the parameter count alone still bounds the
compute from above (no public model has been trained on more than a few tens of trillions of
tokens), which lets a small model be cleared of a 1e25 threshold with speculative confidence
while the value itself stays unknown.

Lineage: a derived model's cumulative compute is its base model's plus the modification's,
and the two parts are kept as separate facts because regimes count them differently.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from compliance.facts.model import Confidence, Evidence, Fact, FactSet
from compliance.records import FrozenRecord

FLOP_PER_PARAM_TOKEN = 6.0
# 6ND leaves out attention (which grows with context length) and counts embedding parameters
# that do no matrix multiplies; together these put the true count within about -20%/+30%.
OPERATION_COUNT_SPREAD = (0.8, 1.3)
# Epoch AI's defaults when utilisation is unknown: 30% for language models, 40% otherwise.
DEFAULT_UTILIZATION_LLM = 0.30
DEFAULT_UTILIZATION_OTHER = 0.40
UTILIZATION_RANGE = (0.15, 0.60)
# Upper bound on training tokens for the parameter-only ceiling. The largest disclosed runs
# are around 3-4e13 tokens; 1e14 leaves a wide margin so that "below" is never claimed lightly.
MAX_PLAUSIBLE_TOKENS = 1e14
# Two estimates "disagree" when their intervals do not overlap.
DERIVED_RELATIONS = ("finetune", "adapter", "merge", "quantized")


class Peak(FrozenRecord):
    """Dense peak throughput of one accelerator at the training precision."""

    __slots__ = ("flops_per_second", "label")

    def __init__(self, flops_per_second: float, label: str) -> None:
        self.flops_per_second = flops_per_second
        self.label = label  # e.g. "NVIDIA H100 SXM, dense BF16 989.5 TFLOPS"


PeakLookup = Callable[[str], Peak | None]


def estimate_compute(
    facts: FactSet,
    *,
    peak_lookup: PeakLookup | None = None,
    base_compute: Fact | None = None,
) -> list[Fact]:
    """Estimate training compute from the facts found so far.

    Returns the facts to set: always ``training_compute_flop`` (cumulative), and for a derived
    model ``base_model_compute_flop`` and ``finetune_compute_flop`` when they are known.
    A declared ``training_compute_flop`` is kept as it is; estimates are attached to it as
    alternatives so a reviewer can see whether the declaration is plausible.
    """
    own = _own_estimate(facts, peak_lookup)
    relation = _relation(facts)
    declared_total = facts.get("training_compute_flop")
    if declared_total is not None and declared_total.method == "declared":
        if own is not None and own.method != "parameter-bound":
            declared_total.alternatives.append(own)
            if _disjoint(declared_total, own):
                declared_total.note = _join(
                    declared_total.note,
                    f"the {own.method} estimate ({_fmt(own.value)} FLOP) falls outside the declared interval",
                )
        parts = _declared_parts(facts)
        if relation is not None:
            # The declared total says nothing about how it splits, so the parts are still worked out
            # from the lineage (a rule on the modification alone needs them), and neither is above it.
            known = {p.name for p in parts}
            derived = _lineage(facts, relation, None if own is None else own.replace(), base_compute)[1:]
            parts += [_within(p, declared_total) for p in derived if p.name not in known]
        return [declared_total, *parts]
    if relation is None:
        return [own or _unknown_total(facts)]
    return _lineage(facts, relation, own, base_compute)


# --- the model's own training -------------------------------------------------------------


def _own_estimate(facts: FactSet, peak_lookup: PeakLookup | None) -> Fact | None:
    counted = _operation_counting(facts)
    hardware = _hardware_method(facts, peak_lookup)
    if counted is not None and hardware is not None:
        return _reconcile(counted, hardware)
    if counted is not None:
        return counted
    if hardware is not None:
        return hardware
    return _parameter_bound(facts)


def _parameters_used(facts: FactSet) -> Fact | None:
    """The parameter count that 6·N·D multiplies: the active count when it can be trusted, else the total.

    A total the user declared outranks an active count read from the model's files (a tiny test
    config must not shrink a declared 7e9 model), unless the declaration itself says the model is
    a mixture of experts (a declared active count, or a declared MoE architecture). An active
    count larger than the total is inconsistent and is not used.
    """
    found_total = facts.get("parameters")
    found_active = facts.get("active_parameters")
    total = found_total if found_total is not None and found_total.known else None
    active = found_active if found_active is not None and found_active.known else None
    if active is None or total is None:
        return active or total
    if total.method == "declared" and active.method != "declared" and not _declared_moe(facts):
        return total
    if float(active.value) > float(total.value):
        return total
    return active


def _declared_moe(facts: FactSet) -> bool:
    from compliance.facts.architectures import names_moe_family

    return any(
        fact is not None and fact.method == "declared" and isinstance(fact.value, str) and names_moe_family(fact.value)
        for fact in (facts.get("architecture"), facts.get("model_type"))
    )


def _operation_counting(
    facts: FactSet, tokens_name: str = "training_tokens", name: str = "training_compute_flop"
) -> Fact | None:
    """6·N·D over the tokens of ``tokens_name`` (the pretraining run, or the stages after it)."""
    params = _parameters_used(facts)
    tokens = facts.get(tokens_name)
    if params is None or tokens is None or not tokens.known:
        return None
    n, d = float(params.value), float(tokens.value)
    n_lo, n_hi = _bounds(params)
    d_lo, d_hi = _bounds(tokens)
    lo_f, hi_f = OPERATION_COUNT_SPREAD
    kind = "active parameters" if params.name == "active_parameters" else "parameters"
    fact = Fact(
        name=name,
        value=FLOP_PER_PARAM_TOKEN * n * d,
        low=FLOP_PER_PARAM_TOKEN * n_lo * d_lo * lo_f,
        high=FLOP_PER_PARAM_TOKEN * n_hi * d_hi * hi_f,
        confidence=Confidence.weakest(params.confidence, tokens.confidence, Confidence.CONFIDENT),
        method="operation-counting",
        evidence=[
            Evidence("derived", "estimator", f"6 × {_fmt(n)} {kind} × {_fmt(d)} tokens"),
            *params.evidence,
            *tokens.evidence,
        ],
    )
    return _finite_or_none(fact)


def _chip_hours(facts: FactSet) -> tuple[float, float, float, Confidence, list[Evidence]] | None:
    hours = facts.get("training_gpu_hours")
    if hours is not None and hours.known:
        lo, hi = _bounds(hours)
        return float(hours.value), lo, hi, hours.confidence, list(hours.evidence)
    count = facts.get("training_hardware_count")
    duration = facts.get("training_duration_hours")
    if count is None or duration is None or not count.known or not duration.known:
        return None
    c_lo, c_hi = _bounds(count)
    t_lo, t_hi = _bounds(duration)
    conf = Confidence.weakest(count.confidence, duration.confidence).weaker()
    evidence = [
        Evidence("derived", "estimator", f"{_fmt(count.value)} chips × {_fmt(duration.value)} hours"),
        *count.evidence,
        *duration.evidence,
    ]
    return float(count.value) * float(duration.value), c_lo * t_lo, c_hi * t_hi, conf, evidence


def _hardware_method(facts: FactSet, peak_lookup: PeakLookup | None) -> Fact | None:
    hardware = facts.get("training_hardware")
    if peak_lookup is None or hardware is None or not hardware.known:
        return None
    hours = _chip_hours(facts)
    peak = peak_lookup(str(hardware.value))
    if hours is None or peak is None:
        return None
    h, h_lo, h_hi, h_conf, h_evidence = hours
    util_fact = facts.get("training_utilization")
    if util_fact is not None and util_fact.known:
        util = float(util_fact.value)
        u_lo, u_hi = _bounds(util_fact)
        conf = Confidence.weakest(h_conf, hardware.confidence, util_fact.confidence)
        util_text = f"utilisation {util:.2f} (declared)"
    else:
        util = DEFAULT_UTILIZATION_LLM if _is_language_model(facts) else DEFAULT_UTILIZATION_OTHER
        u_lo, u_hi = UTILIZATION_RANGE
        # A guessed utilisation alone spans a factor of four: never better than "likely".
        conf = Confidence.weakest(h_conf, hardware.confidence, Confidence.LIKELY)
        util_text = f"assumed utilisation {util:.2f} (range {u_lo}-{u_hi})"
    peak_f = peak.flops_per_second
    fact = Fact(
        name="training_compute_flop",
        value=h * 3600 * peak_f * util,
        low=h_lo * 3600 * peak_f * u_lo,
        high=h_hi * 3600 * peak_f * u_hi,
        confidence=conf,
        method="hardware",
        evidence=[
            Evidence(
                "derived",
                "estimator",
                f"{_fmt(h)} chip-hours × 3600 s × {_fmt(peak_f)} FLOP/s × {util_text}",
            ),
            Evidence("catalog", "hardware catalog", peak.label),
            *h_evidence,
            *hardware.evidence,
        ],
    )
    return _finite_or_none(fact)


def _parameter_bound(facts: FactSet) -> Fact | None:
    params = _parameters_used(facts)
    if params is None:
        return None
    _, n_hi = _bounds(params)
    high = FLOP_PER_PARAM_TOKEN * n_hi * MAX_PLAUSIBLE_TOKENS * OPERATION_COUNT_SPREAD[1]
    if not math.isfinite(high):
        return None  # no ceiling below the largest float: no bound at all
    return Fact(
        name="training_compute_flop",
        value=None,
        low=None,
        high=high,
        confidence=Confidence.SPECULATIVE,
        method="parameter-bound",
        evidence=[
            Evidence(
                "derived",
                "estimator",
                f"training tokens unknown; ceiling 6 × {_fmt(n_hi)} parameters × "
                f"{_fmt(MAX_PLAUSIBLE_TOKENS)} tokens × {OPERATION_COUNT_SPREAD[1]}",
            ),
            *params.evidence,
        ],
        note="only an upper bound is known: no training tokens or hardware-hours were found",
    )


def _reconcile(counted: Fact, hardware: Fact) -> Fact:
    counted.alternatives.append(hardware)
    ratio = hardware.value / counted.value if counted.value else math.inf
    if _disjoint(counted, hardware):
        counted.low = min(_lo(counted), _lo(hardware))
        counted.high = max(_hi(counted), _hi(hardware))
        counted.confidence = counted.confidence.weaker()
        counted.note = _join(
            counted.note,
            f"operation counting chosen (it needs no utilisation guess); the hardware estimate is "
            f"{ratio:.2f}× it and outside its interval, so the interval was widened to cover both",
        )
    else:
        counted.note = _join(
            counted.note,
            f"operation counting chosen; the hardware estimate ({ratio:.2f}× it) agrees within the intervals",
        )
    return counted


# --- lineage ----------------------------------------------------------------------------


def _relation(facts: FactSet) -> str | None:
    relation = facts.value("base_model_relation")
    if relation in DERIVED_RELATIONS:
        return str(relation)
    if facts.value("base_model") or facts.get("base_model_compute_flop") is not None:
        return "finetune"
    return None


def _within(part: Fact, total: Fact) -> Fact:
    """``part`` with its upper end held to ``total``'s: a share of the lineage is not above all of it."""
    ceiling = total.high if total.high is not None else total.value
    if not isinstance(ceiling, int | float) or (part.high is not None and part.high <= ceiling):
        return part
    if part.low is not None and part.low > ceiling:
        part.note = _join(part.note, f"above the declared total ({_fmt(ceiling)} FLOP)")
        return part
    value = part.value if part.value is None or part.value <= ceiling else ceiling
    capped = Fact(
        part.name, value, part.low, ceiling, part.confidence, part.method, list(part.evidence),
        note=_join(part.note, f"at most the declared total ({_fmt(ceiling)} FLOP)"),
    )  # fmt: skip
    return capped


def _declared_parts(facts: FactSet) -> list[Fact]:
    return [f for name in ("base_model_compute_flop", "finetune_compute_flop") if (f := facts.get(name))]


def _lineage(facts: FactSet, relation: str, own: Fact | None, base_compute: Fact | None) -> list[Fact]:
    base = facts.get("base_model_compute_flop") or _as_part(base_compute, "base_model_compute_flop")
    modification = facts.get("finetune_compute_flop")
    of = f"{relation} of {_base_label(facts.value('base_model'))}"
    if modification is None and relation == "quantized":
        # Quantising a model costs a negligible number of operations next to training it.
        modification = Fact(
            "finetune_compute_flop",
            0.0,
            confidence=Confidence.LIKELY,
            method="lineage",
            evidence=[Evidence("derived", "estimator", "quantization adds no training compute")],
        )
    estimate = own if own is not None and own.method != "parameter-bound" else None
    ceiling = own.high if own is not None and own.method == "parameter-bound" else None
    if modification is None:
        stages = _operation_counting(facts, "finetune_tokens", "finetune_compute_flop")
        if stages is not None:
            # The card states the tokens of the stages after pretraining (continued pretraining,
            # fine-tuning): those are the modification.
            modification = stages
            modification.note = "the card's stages after pretraining (finetune_tokens)"
            if (
                estimate is not None
                and estimate.method == "hardware"
                and base is not None
                and base.low is not None
                and estimate.high is not None
                and estimate.high < base.low
            ):
                # The card's accelerator-hours fall below the base's compute: they measure the same
                # stages, a second reading that widens the interval where the two disagree.
                modification = _reconcile(modification, _as_part(estimate, "finetune_compute_flop") or estimate)
                estimate = None
            if base is None and estimate is not None and estimate.method == "operation-counting":
                # The card's training tokens leave those stages out, so its own estimate is the
                # pretraining run the model inherits.
                base = Fact(
                    "base_model_compute_flop", estimate.value, estimate.low, estimate.high, estimate.confidence,
                    "lineage", list(estimate.evidence),
                    note="the card's pretraining tokens: the run the model inherits",
                )  # fmt: skip
    if (
        modification is None
        and base is not None
        and base.low is not None
        and estimate is not None
        and estimate.high is not None
        and estimate.high < base.low
    ):
        # Below what the base alone cost: the card describes the modification, not the lineage.
        modification = Fact(
            "finetune_compute_flop", estimate.value, estimate.low, estimate.high, estimate.confidence,
            estimate.method, list(estimate.evidence),
            note="the card's figures fall below the base model's compute, so they describe the modification",
        )  # fmt: skip
    parts = [p for p in (base, modification) if p is not None]
    if base is not None and modification is not None:
        total = _sum("training_compute_flop", base, modification)
        total.note = f"{of}: the base model's compute plus the modification's"
    elif estimate is not None and base is not None:
        # Not below the base's compute: the card describes the pre-training run it inherits, so
        # its estimate stands for the whole lineage. Nothing is added to it.
        total = estimate
        total.note = _join(
            total.note,
            f"{of}: the card's estimate is not below the base model's compute ({_fmt(base.low)} FLOP or more), "
            "so it is read as the cumulative compute; no separate modification compute was added",
        )
    elif estimate is not None and modification is not None and modification.value is not None:
        # The modification is stated apart, so the card's own figures describe the whole lineage.
        total = estimate
        base = _difference("base_model_compute_flop", estimate, modification)
        parts = [base, modification]
        total.note = _join(
            total.note,
            f"{of}: the modification's compute is stated apart, so the card's estimate is read as the "
            "cumulative compute and the base's share as the difference",
        )
    elif estimate is not None:
        total = _unknown_cumulative(
            [estimate],
            ceiling,
            facts,
            f"{of}: the base model's compute is unknown, so the cumulative compute is unknown; the card's "
            f"estimate ({_fmt(estimate.value)} FLOP, {estimate.method}) is kept as a floor: whether it measures "
            "the modification or the whole lineage, the total is not below it",
        )
        total.alternatives.append(estimate)
        # For the same reason the modification is not above the estimate.
        parts = [
            Fact(
                "finetune_compute_flop", None, None, estimate.high, Confidence.SPECULATIVE, "lineage",
                list(estimate.evidence),
                note="at most the card's estimate: whether it measures the modification or the whole lineage, "
                "the modification is not above it",
            )
        ]  # fmt: skip
    else:
        total = _unknown_cumulative(
            parts,
            ceiling,
            facts,
            f"{of}: "
            + (
                "the base model's compute is unknown, so the cumulative compute is unknown"
                if base is None
                else "the modification's compute is unknown; the base model's compute is a floor of the cumulative"
            ),
        )
        if own is not None:
            total.evidence.extend(own.evidence)
    return [total, *parts]


def _unknown_cumulative(floors: list[Fact], ceiling: float | None, facts: FactSet, note: str) -> Fact:
    """A cumulative compute whose value is unknown: bounded below by the parts known, above by the size."""
    known = [p for p in floors if p.low is not None or p.value is not None]
    low = sum(_lo(p) for p in known) if known else None
    if ceiling is None and known:
        bound = _parameter_bound(facts)
        ceiling = bound.high if bound is not None else None
    if ceiling is not None and low is not None and ceiling < low:
        ceiling = None  # a size ceiling below a stated figure bounds nothing
    return Fact(
        "training_compute_flop",
        None,
        low=low,
        high=ceiling,
        confidence=Confidence.SPECULATIVE if ceiling is not None or known else Confidence.UNKNOWN,
        method="lineage",
        evidence=[e for p in floors for e in p.evidence],
        note=note,
    )


def _base_label(value: object) -> str:
    if isinstance(value, list) and value:
        return ", ".join(str(v) for v in value)
    return str(value) if value else "an undeclared base"


def _as_part(fact: Fact | None, name: str) -> Fact | None:
    if fact is None:
        return None
    evidence = list(fact.evidence)
    return Fact(name, fact.value, fact.low, fact.high, fact.confidence, "lineage", evidence, fact.note)


def _sum(name: str, a: Fact, b: Fact) -> Fact:
    value = None if a.value is None or b.value is None else _no_inf(float(a.value) + float(b.value))
    low = None if a.low is None or b.low is None else _no_inf(a.low + b.low)
    high = None if a.high is None or b.high is None else _no_inf(a.high + b.high)
    return Fact(
        name,
        value,
        low,
        high,
        Confidence.weakest(a.confidence, b.confidence),
        "lineage",
        [Evidence("derived", "estimator", f"{a.name} + {b.name}"), *a.evidence, *b.evidence],
    )


def _difference(name: str, total: Fact, part: Fact) -> Fact:
    """``total - part``, for the base's share of a cumulative estimate; never below zero."""
    value = max(0.0, float(total.value) - float(part.value))
    low = max(0.0, _lo(total) - _hi(part))
    high = max(0.0, _hi(total) - _lo(part))
    return Fact(
        name,
        value,
        low,
        high,
        Confidence.weakest(total.confidence, part.confidence),
        "lineage",
        [Evidence("derived", "estimator", f"cumulative estimate minus {part.name}"), *total.evidence],
    )


def _unknown_total(facts: FactSet) -> Fact:
    missing = [n for n in ("parameters", "training_tokens") if facts.get(n) is None]
    return Fact(
        "training_compute_flop",
        None,
        confidence=Confidence.UNKNOWN,
        method="none",
        note="nothing supports an estimate" + (f" (missing: {', '.join(missing)})" if missing else ""),
    )


# --- helpers ------------------------------------------------------------------------------


def _finite_or_none(fact: Fact) -> Fact | None:
    """``fact``, or None when a product of inputs near the largest float overflowed: an infinite
    estimate is no estimate (and neither JSON nor the rules' wording can carry it)."""
    if all(x is None or math.isfinite(x) for x in (fact.value, fact.low, fact.high)):
        return fact
    return None


def _no_inf(x: float) -> float | None:
    """A sum, or None (unknown, unbounded) when it overflowed."""
    return x if math.isfinite(x) else None


def _is_language_model(facts: FactSet) -> bool:
    modalities = facts.value("output_modalities") or []
    return "text" in modalities or facts.value("pipeline_tag") in (None, "text-generation")


def _bounds(fact: Fact) -> tuple[float, float]:
    value = float(fact.value)
    low = float(fact.low) if fact.low is not None else value
    high = float(fact.high) if fact.high is not None else value
    return low, high


def _lo(f: Fact) -> float:
    return float(f.low if f.low is not None else f.value)


def _hi(f: Fact) -> float:
    return float(f.high if f.high is not None else f.value)


def _disjoint(a: Fact, b: Fact) -> bool:
    if a.low is None or a.high is None or b.low is None or b.high is None:
        return False
    return a.high < b.low or b.high < a.low


def _join(a: str | None, b: str) -> str:
    return f"{a}; {b}" if a else b


def _fmt(x: float | None) -> str:
    if x is None:
        return "unknown"
    return f"{x:.3g}" if abs(x) >= 1e5 or (x and abs(x) < 1e-2) else f"{x:g}"
