"""Conditions and comparisons in plain words, for ``rules show``, the dashboard and verdict reasons."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any

from compliance.facts.names import FACT_SPECS
from compliance.rules.memo import remembered
from compliance.rules.operators import OPERATORS
from compliance.rules.plain import Condition, group_of

# Labels where the fact name alone reads badly; the rest are the name with spaces.
_LABELS = {
    "training_compute_flop": "training compute",
    "base_model_compute_flop": "base model's training compute",
    "finetune_compute_flop": "modification compute",
    "compute_cost_usd": "training compute cost",
    "developer_revenue_usd": "developer's annual revenue",
    "developer_compute_spend_usd": "developer's total frontier compute spend",
    "open_weights": "weights published",
    "open_source_license": "open-source licence",
    "public_service_cn": "offered to the public in China",
    "primarily_bio_sequence_data": "trained mainly on biological sequences",
    "fundamental_rights_risk": "broad, serious fundamental-rights risk",
    "distilled_from_frontier": "distilled from a frontier model",
    "capability_cbrn_uplift": "CBRN weapons uplift",
    "capability_offensive_cyber": "offensive cyber capability",
    "capability_evades_oversight": "evades human oversight",
    "destination_groups": "destination country groups",
    "hardware_tpp": "total processing performance",
    "hardware_performance_density": "performance density",
    "hardware_datacenter": "designed or marketed for datacenters",
    "hardware_memory_bandwidth_gbps": "DRAM bandwidth",
    "hardware_hbm_bandwidth_density": "HBM bandwidth density",
    "output_modalities": "output modalities",
}
_QUIET_UNITS = {"", "fraction", "parameters", "tokens", "chips"}


def fact_label(name: str) -> str:
    """A short human label for a fact name."""
    return _LABELS.get(name) or name.replace("_", " ")


def format_number(value: float) -> str:
    """``1e25``, ``3.33e22``, ``4800``, ``5.92``: compact and exact enough to read."""
    if not math.isfinite(value):  # a reference times a factor can overflow
        return "infinity" if value > 0 else "minus infinity" if value < 0 else "NaN"
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    text = f"{value:.3g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def format_quantity(value: float, fact: str) -> str:
    """A number with its fact's unit: ``1e25 FLOP``."""
    spec = FACT_SPECS.get(fact)
    unit = spec.unit if spec is not None and spec.unit not in _QUIET_UNITS else ""
    return f"{format_number(value)} {unit}".rstrip()


def format_factor(factor: float) -> str:
    """``0.333…`` → ``1/3``; a factor that is no small fraction as a number."""
    from fractions import Fraction  # rare (a rule with a factor), and fractions imports decimal

    fraction = Fraction(factor).limit_denominator(12)
    if fraction.numerator and abs(float(fraction) - factor) < 1e-9 * factor:
        return f"{fraction.numerator}/{fraction.denominator}" if fraction.denominator != 1 else str(fraction)
    return format_number(factor)


def _format_value(value: Any, fact: str) -> str:
    group = group_of(value)
    if group is not None:
        return f"country group {group}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return format_quantity(float(value), fact)
    if isinstance(value, list):
        return ", ".join(_format_value(v, fact) for v in value)
    return str(value)


def describe_leaf(cond: Condition) -> str:
    """One leaf in words: ``training compute > 1e25 FLOP``."""
    assert cond.fact is not None and cond.op is not None
    label = fact_label(cond.fact)
    op = cond.op
    symbol = OPERATORS[op].symbol
    if cond.ref is not None:
        factor = cond.factor if cond.factor is not None else 1.0
        scaled = "" if factor == 1.0 else f"{format_factor(factor)} of "
        return f"{label} {symbol} {scaled}{fact_label(cond.ref)}"
    if op == "is_true":
        return label
    if op == "is_false":
        return f"not {label}"
    if op in ("known", "unknown"):
        return f"{label} {symbol}"
    return f"{label} {symbol} {_format_value(cond.value, cond.fact)}"


def describe(condition: Condition | Mapping[str, Any], named: Mapping[str, Condition] | None = None) -> str:
    """Render a condition in plain words.

    ``named`` maps the rule set's named conditions, so ``{use: name}`` is spelled out; without
    it the name is shown in quotes. A mapping (as written in YAML) is validated first.
    """
    if isinstance(condition, Mapping):
        # Only text as written needs the schema (and pydantic); a loaded rule's conditions do not.
        from compliance.rules.schema import Condition as Written

        data = Written.model_validate(dict(condition)).model_dump(mode="json", by_alias=True, exclude_unset=True)
        condition = Condition(data)
    return _describe(condition, named or {}, ())


def _describe(cond: Condition, named: Mapping[str, Condition], seen: tuple[str, ...]) -> str:
    if cond.is_leaf:
        return describe_leaf(cond)
    if cond.all_ is not None:
        return " and ".join(_grouped(c, named, seen) for c in cond.all_)
    if cond.any_ is not None:
        return " or ".join(_grouped(c, named, seen) for c in cond.any_)
    if cond.not_ is not None:
        inner = cond.not_
        return f"not {_grouped(inner, named, seen)}" if not inner.is_leaf else f"not ({describe_leaf(inner)})"
    assert cond.use is not None
    target = named.get(cond.use)
    if target is None or cond.use in seen:
        return f"'{cond.use}'"
    return _describe(target, named, (*seen, cond.use))


def _grouped(cond: Condition, named: Mapping[str, Condition], seen: tuple[str, ...]) -> str:
    text = _describe(cond, named, seen)
    compound = _resolve(cond, named)
    if compound is not None and (
        (compound.all_ is not None and len(compound.all_) > 1) or (compound.any_ is not None and len(compound.any_) > 1)
    ):
        return f"({text})"
    return text


def _resolve(cond: Condition, named: Mapping[str, Condition]) -> Condition | None:
    seen: set[str] = set()
    while cond.use is not None:
        if cond.use in seen or cond.use not in named:
            return None
        seen.add(cond.use)
        cond = named[cond.use]
    return cond


def explain_comparison(entry: Mapping[str, Any], *, negated: bool = False) -> str:
    """Why one recorded comparison came out as it did, in words (used in verdict reasons).

    ``negated``: the comparison sits under a ``not``, so when it holds it counts against the
    rule; the text says so instead of leaving "holds" to read as a reason for it.
    """
    fact = str(entry["fact"])
    label = fact_label(fact)
    op = str(entry["op"])
    symbol = OPERATORS[op].symbol
    result = entry["result"]
    target = _comparison_target(entry, fact)
    if op in ("known", "unknown"):
        known = (result == "true") == (op == "known")
        return f"{label} is {'known' if known else 'not known'}"
    if entry.get("value") is None and entry.get("low") is None and entry.get("high") is None:
        return f"{label} is unknown"
    if "ref" in entry and entry.get("threshold_low") is None and entry.get("threshold_high") is None:
        return f"{fact_label(str(entry['ref']))} is unknown"
    shown = _shown_value(entry, fact)
    test = f"{symbol} {target}".rstrip()
    outcome = {"unknown": "is undecided", "false": "does not hold"}.get(str(result), "holds")
    if negated and result == "true":
        outcome = "holds, and the rule requires that it does not"
    return f"{label} is {shown}: '{test}' {outcome}"


# A comparison's target is fixed by its rule (a threshold, or a scaled reference), and the same
# few are worded for every finding: each is worded once.
_TARGETS: dict[Hashable, str] = {}


def _comparison_target(entry: Mapping[str, Any], fact: str) -> str:
    ref = entry.get("ref")
    # A reference's value is the facts', not the rule's: only the reference and factor are worded.
    threshold = None if ref is not None else entry.get("threshold")
    key = (fact, entry["op"], ref, entry.get("factor"), tuple(threshold) if isinstance(threshold, list) else threshold)
    return remembered(_TARGETS, key, lambda: _word_target(entry, fact))


def _word_target(entry: Mapping[str, Any], fact: str) -> str:
    if "ref" in entry:
        factor = float(entry.get("factor") or 1.0)
        scaled = "" if factor == 1.0 else f"{format_factor(factor)} of "
        return f"{scaled}{fact_label(str(entry['ref']))}"
    threshold = entry.get("threshold")
    if threshold is None:
        return ""
    return _format_value(threshold, fact)


def _shown_value(entry: Mapping[str, Any], fact: str) -> str:
    low, high, value = entry.get("low"), entry.get("high"), entry.get("value")
    if isinstance(low, int | float) or isinstance(high, int | float):
        if low is not None and low == high:
            return format_quantity(float(low), fact)
        lo = format_quantity(float(low), fact) if low is not None else None
        hi = format_quantity(float(high), fact) if high is not None else None
        if lo is None:
            return f"at most {hi}"
        if hi is None:
            return f"at least {lo}"
        return f"between {lo} and {hi}"
    return _format_value(value, fact)
