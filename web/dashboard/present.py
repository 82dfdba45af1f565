"""Words, numbers and grouping for the templates (Jinja filters and globals).

Numbers use the same formatting as the text and Markdown reports (:mod:`compliance.report.numbers`),
so a figure reads the same on screen, in the CLI and in CI. Nothing here marks text as safe:
the templates escape everything, including card sentences, which are hostile input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from compliance.facts.names import FACT_SPECS
from compliance.report import numbers
from compliance.report.findings import NOT_IN_FORCE_HEADING, what_if_counts, what_if_findings
from compliance.rules.describe import fact_label, format_number
from compliance.rules.operators import OPERATORS

VERDICT_ORDER = ("triggered", "uncertain", "not_triggered", "not_applicable")
VERDICT_WORDS = {
    "triggered": "Triggered",
    "uncertain": "Uncertain",
    "not_triggered": "Not triggered",
    "not_applicable": "Not applicable",
}
OUTCOME_WORDS = {
    "pass": "Pass",
    "fail": "Fail",
    "inconclusive": "Inconclusive",
    "not_checked": "Facts only",
}
OUTCOME_MEANING = {
    "pass": "No blocking finding at or above the severity gate.",
    "fail": "At least one triggered finding at or above the severity gate.",
    "inconclusive": "The facts do not decide at least one rule at or above the gate.",
}
DECIDED_BY = {
    "fail": "Decided by",
    "inconclusive": "Left undecided by",
}
CAVEAT_WORDS = {
    "gated": "Gated, read without access",
    "files_unread": "Files not read",
    "facts_unknown": "Facts unknown",
    "sources_disagree": "Sources disagree",
    "speculative": "Resting on a guess",
}
# A failed check's state (``checks.failure``, the error's kind), as the dashboard names it.
FAILURE_WORDS = {
    "not_found": "not found",
    "private": "not accessible",
    "gated": "gated, no access",
    "unreachable": "hub unreachable",
    "input": "unusable input",
    "service": "not run",
    "lost": "worker lost",
    "internal": "could not finish",
}
# The states in which checking again can help as it is (not a missing model or a refused token).
RERUN_HELPS = frozenset({"unreachable", "gated", "service", "lost", "internal", None})
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
STATUS_WORDS = {
    "in_force": "in force",
    "non_enforced": "not enforced",
    "revoked": "revoked",
    "superseded": "superseded",
    "proposed": "proposed",
    "vetoed": "vetoed",
}


def unit_of(fact: str) -> str:
    """The unit of a fact name ('' when unknown)."""
    spec = FACT_SPECS.get(fact)
    return spec.unit if spec is not None else ""


def quantity(value: Any, fact: str = "") -> str:
    """A fact value formatted by its unit."""
    return numbers.quantity(value, unit_of(fact))


def interval(fact_or_entry: Mapping[str, Any], fact: str = "") -> str:
    """``[3e25 – 4.9e25]`` for a fact or comparison entry, '' when exact."""
    return numbers.interval(fact_or_entry.get("low"), fact_or_entry.get("high"), unit_of(fact))


def op_symbol(op: str) -> str:
    """``gt`` → ``>``."""
    spec = OPERATORS.get(op)
    return spec.symbol if spec is not None else op


def threshold_text(entry: Mapping[str, Any]) -> str:
    """The threshold side of a comparison in words."""
    if "ref" in entry:
        factor = entry.get("factor") or 1.0
        scaled = "" if factor == 1.0 else f"{format_number(float(factor))} × "
        return f"{scaled}{fact_label(str(entry['ref']))}"
    threshold = entry.get("threshold")
    if threshold is None:
        return ""
    if isinstance(threshold, list):
        return ", ".join(str(t) for t in threshold)
    return quantity(threshold, str(entry.get("fact", "")))


def safe_link(url: Any) -> str | None:
    """``url`` if it is an absolute http(s) link, else None (never a ``javascript:`` href)."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def clip(text: Any, limit: int = 300) -> str:
    """Whitespace collapsed, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def when(value: Any) -> str:
    """A timestamp as ``2026-11-21 14:03 UTC``; dates as ISO; '' for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def sci(value: Any) -> str:
    """``1e25``-style."""
    return format_number(float(value)) if isinstance(value, int | float) else "?"


def factor_text(factor: float | None) -> str:
    """How far below the next threshold: ``×3.2``."""
    if factor is None:
        return ""
    if factor >= 100:
        return f"×{format_number(factor)}"
    return f"×{factor:.2g}" if factor < 10 else f"×{factor:.0f}"


def group_findings(findings: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Findings by verdict, in the order a reader needs them (triggered first), most severe
    first within a verdict (reports order them so; older stored reports may not)."""
    out: dict[str, list[Mapping[str, Any]]] = {v: [] for v in VERDICT_ORDER}
    for finding in findings:
        out.setdefault(str(finding.get("verdict")), []).append(finding)
    for group in out.values():
        group.sort(key=lambda f: SEVERITY_RANK.get(str(f.get("severity")), len(SEVERITY_RANK)))
    return out


def deciding_findings(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The findings the summary says decided the outcome (``summary.deciding``), in its order."""
    by_id = {str(f.get("rule_id")): f for f in report.get("findings") or []}
    ids = (report.get("summary") or {}).get("deciding") or []
    return [by_id[str(rule_id)] for rule_id in ids if str(rule_id) in by_id]


def because(finding: Mapping[str, Any]) -> str:
    """One line on why a finding came out as it did: its reason, else the comparisons that decided it."""
    if finding.get("reason"):
        return str(finding["reason"])
    parts = []
    for c in finding.get("comparisons") or []:
        if c.get("deciding"):
            fact = str(c.get("fact", ""))
            op = op_symbol(str(c.get("op", "")))
            words = [fact_label(fact), quantity(c.get("value"), fact), op, threshold_text(c)]
            parts.append(" ".join(w for w in words if w))
    return "; ".join(parts)


def answer_text(answer: Any, fact: str) -> str:
    """A settle answer as a person reads it: ``5e23`` → ``5e23 FLOP``, ``0..5e8`` → ``0 to 5e8 USD``."""
    from compliance.facts.declared import parse_number

    text = str(answer)
    unit = unit_of(fact)
    try:
        if ".." in text:
            low, _, high = text.partition("..")
            return f"{quantity(parse_number(low), fact)} to {quantity(parse_number(high), fact)} {unit}".strip()
        return f"{quantity(parse_number(text), fact)} {unit}".strip() if unit else text
    except ValueError:
        return text


def options_text(options: Mapping[str, Any] | None) -> str:
    """Stored check options in words: ``markets: EU; offered to the public in China: no``."""
    parts: list[str] = []
    for key, value in (options or {}).items():
        if key == "declared_by":
            continue  # who answered shows in each fact's evidence
        if key == "facts" and isinstance(value, Mapping):
            parts.extend(f"{fact_label(str(name))}: {_option_value(v, str(name))}" for name, v in value.items())
        else:
            parts.append(f"{key}: {_option_value(value, key)}")
    return "; ".join(parts)


def _option_value(value: Any, fact: str) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return answer_text(value, fact) if isinstance(value, str) else quantity(value, fact)


def register(app: Any) -> None:
    """Install the filters and globals on a Flask app's Jinja environment."""
    env = app.jinja_env
    env.filters.update(
        quantity=quantity,
        interval=interval,
        op_symbol=op_symbol,
        threshold_text=threshold_text,
        safe_link=safe_link,
        clip=clip,
        when=when,
        sci=sci,
        fact_label=fact_label,
        factor_text=factor_text,
        count=numbers.count,
        answer_text=answer_text,
        because=because,
        options_text=options_text,
    )
    env.globals.update(
        VERDICT_WORDS=VERDICT_WORDS,
        OUTCOME_WORDS=OUTCOME_WORDS,
        OUTCOME_MEANING=OUTCOME_MEANING,
        STATUS_WORDS=STATUS_WORDS,
        DECIDED_BY=DECIDED_BY,
        CAVEAT_WORDS=CAVEAT_WORDS,
        FAILURE_WORDS=FAILURE_WORDS,
        RERUN_HELPS=RERUN_HELPS,
        NOT_IN_FORCE_HEADING=NOT_IN_FORCE_HEADING,
        what_if_findings=what_if_findings,
        what_if_counts=what_if_counts,
    )
