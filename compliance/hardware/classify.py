"""Export classification of an accelerator, decided by the rule sets (never stored in the catalog).

A rule classifies hardware when every fact it compared is a ``hardware_*`` fact; such a rule
triggered for an accelerator gives it that rule's label (e.g. ``us.bis.3a090.a``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from compliance.facts.model import FactSet
from compliance.hardware.accelerator import Accelerator
from compliance.hardware.facts import hardware_facts


def classify(acc: Accelerator, *, as_of: date, book: Any = None) -> list[dict[str, Any]]:
    """The hardware rules an accelerator triggers or may trigger on ``as_of``, as small dicts."""
    from compliance.check import load_rulebook

    book = book if book is not None else load_rulebook()
    facts = FactSet({f.name: f for f in hardware_facts(acc, 1)})
    out = []
    for finding in book.evaluate(facts, as_of=as_of, markets=None, destination=None):
        compared = [c.get("fact", "") for c in finding.comparisons]
        if not compared or not all(str(name).startswith("hardware_") for name in compared):
            continue
        verdict = finding.verdict if finding.verdict != "not_applicable" else finding.what_if
        if verdict in ("triggered", "uncertain"):
            out.append({"rule_id": finding.rule_id, "title": finding.title, "verdict": str(verdict),
                        "status": str(finding.status)})  # fmt: skip
    return out
