"""Reading findings out of a report dict: what the CI renderers (SARIF, JUnit, Markdown) share.

Everything here works on the JSON contract (``Report.to_dict()``), never on objects, and reads
optional finding fields with ``.get`` so a report from an older or newer writer still renders.
"""

from __future__ import annotations

import math
from typing import Any

from compliance.errors import ExitCode
from compliance.facts.names import FACT_SPECS
from compliance.report import numbers

SEVERITIES = ("info", "low", "medium", "high", "critical")
_RANK = {name: i for i, name in enumerate(SEVERITIES)}
_OPS = {
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "eq": "=",
    "ne": "≠",
    "in": "in",
    "not_in": "not in",
    "contains": "includes",
    "intersects": "includes any of",
    "is_true": "is true",
    "is_false": "is false",
    "known": "is known",
    "unknown": "is unknown",
}
_THRESHOLD_OPS = {"gt", "gte", "lt", "lte"}
VERDICTS = ("triggered", "uncertain", "not_triggered", "not_applicable")
_VERDICT_RANK = {name: i for i, name in enumerate(VERDICTS)}
EXIT_MEANINGS: dict[int, str] = {
    ExitCode.PASS: "pass: nothing blocks the release",
    ExitCode.FAIL: "fail: a triggered finding at or above the fail-on severity",
    ExitCode.INCONCLUSIVE: "inconclusive: uncertain findings could not be ruled out",
    ExitCode.NOT_FOUND: "model not found or not accessible",
    ExitCode.INPUT: "usage, input or rule-set error",
}


def severity_rank(severity: Any) -> int:
    """0 for info … 4 for critical; unknown severities rank as info."""
    return _RANK.get(str(severity), 0)


def at_or_above(severity: Any, fail_on: Any) -> bool:
    """True when ``severity`` reaches ``fail_on``; a missing or unknown ``fail_on`` never fails."""
    if fail_on not in _RANK:
        return False
    return severity_rank(severity) >= _RANK[str(fail_on)]


def importance(verdict: Any, severity: Any, rule_id: Any) -> tuple[int, int, str]:
    """Sort key, most important first: verdict (triggered, uncertain, not triggered, not
    applicable), then severity from critical down, then rule id."""
    return (_VERDICT_RANK.get(str(verdict), len(VERDICTS)), -severity_rank(severity), str(rule_id))


def ordered(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Finding dicts in :func:`importance` order (a stable sort: a report written in that order keeps it)."""
    return sorted(findings, key=lambda f: importance(f.get("verdict"), f.get("severity"), f.get("rule_id")))


def deciding_ids(report: dict[str, Any]) -> list[str]:
    """The rule ids that decided the outcome: ``summary.deciding``, or, for a report written
    before that field existed, the findings that block it."""
    summary = report.get("summary") or {}
    listed = summary.get("deciding")
    if isinstance(listed, list):
        return [str(r) for r in listed]
    findings = ordered([f for f in report.get("findings") or [] if isinstance(f, dict)])
    wanted = {"fail": "fail", "inconclusive": "inconclusive"}.get(str(summary.get("outcome")))
    if wanted is None:
        return []
    # blocking() of an uncertain finding needs fail_on_uncertain; the outcome word does not.
    relaxed = {**summary, "fail_on_uncertain": True}
    return [str(f.get("rule_id")) for f in findings if blocking(f, relaxed) == wanted]


def blocking(finding: dict[str, Any], summary: dict[str, Any], *, count_waived: bool = False) -> str | None:
    """``"fail"`` or ``"inconclusive"`` when this finding holds the release back, else None.

    A triggered finding fails the check at or above ``fail_on``; an uncertain one makes it
    inconclusive at the same threshold when ``fail_on_uncertain`` is set (an uncertain finding
    is a triggered one we could not confirm, so it cannot weigh more). Waived findings never block
    unless ``count_waived`` asks what they would have done without the waiver.
    """
    if finding.get("waived") and not count_waived:
        return None
    fail_on = summary.get("fail_on")
    verdict = finding.get("verdict")
    if verdict == "triggered" and at_or_above(finding.get("severity"), fail_on):
        return "fail"
    if (
        verdict == "uncertain"
        and summary.get("fail_on_uncertain", True)
        and at_or_above(finding.get("severity"), fail_on)
    ):
        return "inconclusive"
    return None


def _unit(fact: Any) -> str:
    spec = FACT_SPECS.get(str(fact)) if fact is not None else None
    return spec.unit if spec is not None else ""


def _finite(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def comparison_text(comparison: dict[str, Any]) -> str:
    """One comparison in words: ``training_compute_flop 3.8e25 [3e25 – 4.9e25] > 1e25``."""
    fact = comparison.get("fact")
    unit = _unit(fact)
    op_raw = str(comparison.get("op") or "")
    op = _OPS.get(op_raw, op_raw.replace("_", " "))
    value = _finite(comparison.get("value"))
    shown = numbers.quantity(value, unit) if value is not None else "unknown"
    span = numbers.interval(_finite(comparison.get("low")), _finite(comparison.get("high")), unit)
    threshold = comparison.get("threshold")
    if comparison.get("ref"):
        threshold_text = _reference(comparison, unit)
    elif isinstance(threshold, list):
        threshold_text = ", ".join(numbers.quantity(_finite(t), unit) for t in threshold) or "none"
    elif threshold is None:
        threshold_text = ""
    else:
        threshold_text = numbers.quantity(_finite(threshold), unit)
    if op_raw in ("known", "unknown") and value is None and not span:
        shown = ""
    parts = [str(fact or "?"), shown, span, op, threshold_text]
    return " ".join(p for p in parts if p)


def _reference(comparison: dict[str, Any], unit: str) -> str:
    """A threshold taken from another fact: ``0.33 × base_model_compute_flop (3.3e24)``."""
    factor = comparison.get("factor")
    scale = f"{factor:g} × " if isinstance(factor, int | float) and factor != 1 else ""
    low, high = _finite(comparison.get("threshold_low")), _finite(comparison.get("threshold_high"))
    if low is not None and low == high:
        resolved = f" ({numbers.quantity(low, unit)})"
    elif low is None and high is None:
        resolved = " (unknown)"
    else:
        resolved = f" ({numbers.interval(low, high, unit)})"
    return f"{scale}{comparison['ref']}{resolved}"


_NEGATED_OPS = {
    "in": "not in",
    "not in": "in",
    "includes": "does not include",
    "includes any of": "includes none of",
    "=": "≠",
    "≠": "=",
}


def comparison_outcome(comparison: dict[str, Any]) -> str:
    """One comparison with its outcome, so it never reads as a claim: a comparison that holds
    as written, one that fails negated (``training_compute_flop 3.05e24 is not > 1e25``), an
    undecided one marked so."""
    result = result_word(comparison.get("result"))
    text = comparison_text(comparison)
    if result == "true":
        return text
    if result != "false":
        return f"{text} (undecided)"
    op_raw = str(comparison.get("op") or "")
    op = _OPS.get(op_raw, op_raw.replace("_", " "))
    if op == "is unknown":
        negated = "is known"
    elif op.startswith("is "):
        negated = "is not " + op.removeprefix("is ")
    else:
        negated = _NEGATED_OPS.get(op, f"is not {op}")
    head, found, tail = text.rpartition(f" {op}")
    return f"{head} {negated}{tail}" if found else f"not ({text})"


def decisive_first(finding: dict[str, Any]) -> list[dict[str, Any]]:
    """The finding's comparisons, the ones that decided its verdict first."""
    comps = [c for c in finding.get("comparisons") or [] if isinstance(c, dict)]
    # A stable sort: the deciding comparisons first, each group in the rule's order.
    return sorted(comps, key=lambda c: not c.get("deciding"))


def comparisons_text(finding: dict[str, Any], *, limit: int = 5, outcome: bool = False) -> str:
    """All comparisons of a finding, the deciding ones first, ``; ``-separated (at most
    ``limit``, then a count); with ``outcome``, each says whether it held."""
    comps = decisive_first(finding)
    words = comparison_outcome if outcome else comparison_text
    text = "; ".join(("unless " if c.get("part") == "unless" else "") + words(c) for c in comps[:limit])
    if len(comps) > limit:
        text += f"; and {len(comps) - limit} more"
    return text


def settle_flags(entry: dict[str, Any]) -> list[str]:
    """``--fact FACT=ANSWER`` for each answer of one settle question."""
    fact = str(entry.get("fact") or "")
    return [f"--fact {fact}={answer}" for answer in entry.get("answers") or []]


def caveats_of(report: dict[str, Any]) -> list[dict[str, str]]:
    """``summary.caveats`` as ``{"kind", "message"}`` dicts (plain strings are accepted too)."""
    out: list[dict[str, str]] = []
    for item in (report.get("summary") or {}).get("caveats") or []:
        if isinstance(item, dict) and item.get("message"):
            out.append({"kind": str(item.get("kind") or "caveat"), "message": str(item["message"])})
        elif isinstance(item, str) and item:
            out.append({"kind": "caveat", "message": item})
    return out


def deciding_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The finding dicts named by :func:`deciding_ids`, in that order."""
    by_id = {str(f.get("rule_id")): f for f in report.get("findings") or [] if isinstance(f, dict)}
    return [by_id[r] for r in deciding_ids(report) if r in by_id]


def result_word(result: Any) -> str:
    """A comparison's result as a word (the contract allows booleans, None or strings)."""
    if result is True:
        return "true"
    if result is False:
        return "false"
    if result is None:
        return "unknown"
    return str(result)


def deciding_facts(finding: dict[str, Any]) -> list[str]:
    """Fact names of the comparisons, the one that decided the verdict first.

    For a triggered finding that is a comparison that held (numeric thresholds before scope
    conditions); for an uncertain one, one that could not be decided; then the rest in order.
    """
    comps = [c for c in finding.get("comparisons") or [] if isinstance(c, dict) and c.get("fact")]
    verdict = finding.get("verdict")
    wanted = {"triggered": "true", "uncertain": "unknown"}.get(str(verdict))
    # "unless" leaves are exceptions: the rule's own ("when") conditions decide first.
    when = [c for c in comps if c.get("part", "when") == "when"]
    first = [c for c in when if wanted and result_word(c.get("result")) == wanted]
    # A numeric threshold (compute, parameters) is what a reader looks for; scope conditions
    # such as modality or market come after it.
    first.sort(key=lambda c: c.get("op") not in _THRESHOLD_OPS)
    ordered = first + [c for c in when if c not in first] + [c for c in comps if c not in when]
    names: list[str] = []
    for c in ordered:
        name = str(c["fact"])
        if name not in names:
            names.append(name)
    for name in finding.get("evidence") or {}:
        if name not in names:
            names.append(str(name))
    return names


def fact_evidence(report: dict[str, Any], finding: dict[str, Any], fact: str) -> list[dict[str, Any]]:
    """Evidence for ``fact`` as the finding recorded it, else as the report's fact set has it."""
    own = (finding.get("evidence") or {}).get(fact)
    if isinstance(own, list) and own:
        return [e for e in own if isinstance(e, dict)]
    body = (report.get("facts") or {}).get(fact) or {}
    return [e for e in body.get("evidence") or [] if isinstance(e, dict)]


def waiver_text(waived: dict[str, Any]) -> str:
    """``reason (owner, until 2026-06-30)``."""
    reason = str(waived.get("reason") or "no reason given")
    who = [str(waived["owner"])] if waived.get("owner") else []
    if waived.get("expires"):
        who.append(f"until {waived['expires']}")
    return f"{reason} ({', '.join(who)})" if who else reason


def clip(text: Any, limit: int) -> str:
    """Collapse whitespace and cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: max(0, limit - 1)] + "…"


def counts_text(summary: dict[str, Any]) -> str:
    """``2 triggered, 1 uncertain, 10 not triggered, 3 not applicable, 0 waived``."""
    counts = summary.get("counts") or {}
    keys = ("triggered", "uncertain", "not_triggered", "not_applicable", "waived")
    return ", ".join(f"{counts.get(k, 0)} {k.replace('_', ' ')}" for k in keys)


NOT_IN_FORCE_HEADING = "Law not in force: what it would say"
_NEVER_LAW = frozenset({"proposed", "vetoed"})


def out_of_force(finding: dict[str, Any], as_of: Any) -> bool:
    """True when the finding's rule was not law on ``as_of`` (an ISO date): a bill (proposed,
    vetoed or lapsed), a rule superseded before it took effect, or one outside its dates."""
    if finding.get("status") in _NEVER_LAW:
        return True
    start, end, day = finding.get("effective_from"), finding.get("effective_until"), str(as_of or "")
    if start is None:
        return finding.get("status") != "in_force"
    # ISO dates compare as strings; a report without a date cannot place the rule in time.
    return bool(day) and (day < str(start) or (end is not None and day >= str(end)))


def is_what_if(finding: dict[str, Any], as_of: Any) -> bool:
    """True for a not-applicable finding with a what-if verdict whose rule is not law on
    ``as_of`` and whose rule set is within the run's view (no ``scope_reason``)."""
    return (
        finding.get("verdict") == "not_applicable"
        and bool(finding.get("what_if"))
        and not finding.get("scope_reason")
        and out_of_force(finding, as_of)
    )


def what_if_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Not-applicable findings of rules not in force on the report's date that carry a
    what-if verdict and are within the run's markets and destination (``scope_reason`` empty:
    naming a market narrows this view too), ordered by that verdict (would trigger first), then severity and rule id."""
    as_of = report.get("as_of")
    chosen = [f for f in report.get("findings") or [] if isinstance(f, dict) and is_what_if(f, as_of)]
    return sorted(chosen, key=lambda f: importance(f.get("what_if"), f.get("severity"), f.get("rule_id")))


def what_if_text(finding: dict[str, Any]) -> str:
    """``would be triggered (proposed: never became law …)``: the what-if verdict and why it is only that."""
    verdict = str(finding.get("what_if") or "").replace("_", " ")
    reason = finding.get("reason")
    return f"would be {verdict}" + (f" ({reason})" if reason else "")


def what_if_counts(findings: list[dict[str, Any]]) -> str:
    """``2 would trigger, 1 undecided, 3 would not`` (zero counts left out): the what-if
    verdicts of law not in force."""
    tally = {v: sum(1 for f in findings if f.get("what_if") == v) for v in ("triggered", "uncertain", "not_triggered")}
    words = {"triggered": "would trigger", "uncertain": "undecided", "not_triggered": "would not"}
    return ", ".join(f"{n} {words[v]}" for v, n in tally.items() if n) or "none"
