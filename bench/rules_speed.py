"""Rule-engine speed: evaluations of every shipped rule against synthetic fact sets, on one core.

``run(n)`` builds ``n`` varied fact sets (exact values, intervals, unknowns, with and without a
destination and target hardware, several as-of dates), loads and compiles the shipped rule sets
once, then times only :meth:`RuleBook.evaluate`. One rule evaluation is one finding produced.
"""

from __future__ import annotations

import random
import time
from datetime import date
from typing import Any

from compliance.facts.model import Confidence, Fact, FactSet
from compliance.rules import load_rulesets

_DATES = [date(2024, 6, 1), date(2025, 3, 1), date(2025, 9, 1), date(2026, 6, 1), date(2027, 3, 1)]
_DESTINATIONS: list[tuple[str, list[str]] | None] = [
    None,
    ("CN", ["D1", "D3", "D4", "D5"]),
    ("MO", ["MACAU"]),
    ("AE", ["D1", "D3", "D4"]),
    ("DE", ["A5", "AIA_TIER1"]),
    ("JP", ["A5", "AIA_TIER1"]),
    ("IR", ["D1", "D4", "D5", "E1"]),
]
_CHIPS = [
    None,
    {
        "hardware": "H100 SXM",
        "hardware_tpp": 15832.0,
        "hardware_performance_density": 19.4,
        "hardware_datacenter": True,
    },
    {"hardware": "H20", "hardware_tpp": 2368.0, "hardware_performance_density": 2.9, "hardware_datacenter": True},
    {"hardware": "RTX 4090D", "hardware_tpp": 4707.0, "hardware_datacenter": False},
]


def _number(rng: random.Random, name: str, centre_exp: float, spread: float) -> Fact | None:
    roll = rng.random()
    value = 10 ** rng.uniform(centre_exp - spread, centre_exp + spread)
    if roll < 0.1:
        return None
    if roll < 0.5:
        return Fact(name, value)
    return Fact(name, None, value / 2, value * 2, confidence=Confidence.LIKELY, method="derived")


def _maybe_bool(rng: random.Random, name: str) -> Fact | None:
    roll = rng.random()
    return None if roll < 0.2 else Fact(name, roll < 0.6)


def synthetic_facts(rng: random.Random) -> FactSet:
    """One random but plausible fact set touching every fact the shipped rules read."""
    facts: dict[str, Fact | None] = {
        "training_compute_flop": _number(rng, "training_compute_flop", 24.5, 2.5),
        "compute_cost_usd": _number(rng, "compute_cost_usd", 7.5, 1.5),
        "developer_revenue_usd": _number(rng, "developer_revenue_usd", 8.5, 2.0),
        "developer_compute_spend_usd": _number(rng, "developer_compute_spend_usd", 8.0, 1.5),
        "open_weights": _maybe_bool(rng, "open_weights"),
        "open_source_license": _maybe_bool(rng, "open_source_license"),
        "primarily_bio_sequence_data": _maybe_bool(rng, "primarily_bio_sequence_data"),
        "fundamental_rights_risk": _maybe_bool(rng, "fundamental_rights_risk"),
        "distilled_from_frontier": _maybe_bool(rng, "distilled_from_frontier"),
        "public_service_cn": _maybe_bool(rng, "public_service_cn"),
        "output_modalities": Fact(
            "output_modalities", rng.choice([["text"], ["image"], ["embedding"], ["text", "image"]])
        ),
        "license": Fact("license", rng.choice(["apache-2.0", "mit", "other", "llama3.1"]))
        if rng.random() < 0.8
        else None,
    }
    if rng.random() < 0.3:
        facts["base_model"] = Fact("base_model", "org/base")
        facts["base_model_compute_flop"] = _number(rng, "base_model_compute_flop", 24.0, 1.5)
        facts["finetune_compute_flop"] = _number(rng, "finetune_compute_flop", 22.5, 1.5)
    destination = rng.choice(_DESTINATIONS)
    if destination is not None:
        facts["destination_country"] = Fact("destination_country", destination[0])
        facts["destination_groups"] = Fact("destination_groups", list(destination[1]))
    chip: dict[str, Any] | None = rng.choice(_CHIPS)
    for name, value in (chip or {}).items():
        facts[name] = Fact(name, value)
    return FactSet({name: fact for name, fact in facts.items() if fact is not None})


def run(n: int = 10000) -> dict[str, float]:
    """Time ``n`` fact sets against every shipped rule; returns evaluations, seconds, per_second."""
    rng = random.Random(20261121)
    book = load_rulesets()
    inputs = [(synthetic_facts(rng), rng.choice(_DATES)) for _ in range(n)]
    start = time.perf_counter()
    for facts, as_of in inputs:
        book.evaluate(facts, as_of=as_of)
    seconds = time.perf_counter() - start
    evaluations = n * len(book)
    return {"evaluations": float(evaluations), "seconds": seconds, "per_second": evaluations / seconds}


def main(args: object) -> None:
    """Print evaluations per second over 10,000 synthetic fact sets (aim: 100,000/s on one core)."""
    result = run(10_000)
    print(f"   {result['evaluations']:,.0f} rule evaluations in {result['seconds']:.2f} s: "
          f"{result['per_second']:,.0f} per second on one core (aim 100,000)")  # fmt: skip
