"""Builders for small rule-set documents and fact sets, so each test states only what it varies."""

from __future__ import annotations

from datetime import date
from typing import Any

from compliance.facts.model import Confidence, Evidence, Fact, FactSet


def rule(rule_id: str = "t.rule", **overrides: Any) -> dict[str, Any]:
    """A valid rule dict (training compute > 1e25), with fields replaced by ``overrides``."""
    body: dict[str, Any] = {
        "id": rule_id,
        "title": "Test rule",
        "citation": "Test Act, s. 1",
        "link": "https://example.org/act",
        "status": "in_force",
        "effective_from": date(2025, 1, 1),
        "effective_until": None,
        "severity": "high",
        "effect": {"type": "info"},
        "message": "Something applies.",
        "sourcing": "V",
        "when": {"fact": "training_compute_flop", "op": "gt", "value": 1e25},
    }
    body.update(overrides)
    return body


def ruleset(set_id: str = "test-set", rules: list[dict[str, Any]] | None = None, **meta: Any) -> dict[str, Any]:
    """A valid rule-set document holding ``rules`` (one default rule when None)."""
    header: dict[str, Any] = {
        "id": set_id,
        "version": "1.0.0",
        "title": "Test set",
        "jurisdiction": "EU",
        "markets": ["EU"],
    }
    conditions = meta.pop("conditions", None)
    header.update(meta)
    doc: dict[str, Any] = {"ruleset": header, "rules": rules if rules is not None else [rule()]}
    if conditions is not None:
        doc["conditions"] = conditions
    return doc


def facts(**values: Any) -> FactSet:
    """A FactSet from keyword values; a ``(low, high)`` tuple makes a numeric interval with no point value."""
    out: dict[str, Fact] = {}
    for name, value in values.items():
        evidence = [Evidence("declared", "test", f"{name} given by the test")]
        if isinstance(value, tuple):
            low, high = value
            out[name] = Fact(name, None, low, high, confidence=Confidence.LIKELY, evidence=evidence)
        else:
            out[name] = Fact(name, value, evidence=evidence)
    return FactSet(out)
