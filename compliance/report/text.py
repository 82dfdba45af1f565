"""Plain-text report for people (the CLI's default format)."""

from __future__ import annotations

from typing import Any

from compliance.facts.names import FACT_SPECS
from compliance.report import numbers
from compliance.report.findings import (
    NOT_IN_FORCE_HEADING,
    caveats_of,
    comparison_text,
    deciding_findings,
    ordered,
    settle_flags,
    what_if_counts,
    what_if_findings,
)

_VERDICT_LABEL = {
    "triggered": "TRIGGERED",
    "uncertain": "UNCERTAIN",
    "not_triggered": "not triggered",
    "not_applicable": "not applicable",
}
_WOULD = {"triggered": "WOULD TRIGGER", "uncertain": "WOULD BE UNCERTAIN", "not_triggered": "would not trigger"}
_ORDER = ["triggered", "uncertain", "not_triggered", "not_applicable"]


def render(report: dict[str, Any], *, verbose: bool = False) -> str:
    """Render a report dict (the JSON contract) as text: the verdict, what decided it, its
    caveats and the ``--fact`` flags that would settle it first; then facts and findings."""
    lines: list[str] = verdict_lines(report)
    model = report["model"]
    where = f" ({model['source']}: {model['path']})" if model.get("path") else f" ({model['source']})"
    rev = f" @ {model['sha'][:12]}" if model.get("sha") else ""
    lines.append(f"Model  {model['id']}{rev}{where}")
    lines.append("")
    lines.append("Facts")
    for name, fact in report["facts"].items():
        lines.extend(_fact_lines(name, fact, verbose))
    if report.get("lineage"):
        lines.append("")
        lines.append("Lineage")
        for link in report["lineage"]:
            lines.append("  " + _lineage_line(link))
    findings = report.get("findings") or []
    if findings:
        lines.append("")
        lines.append(f"Findings (law as of {report.get('as_of')})")
        for finding in ordered(findings):
            if verbose or finding["verdict"] != "not_applicable":
                lines.extend(_finding_lines(finding, verbose))
        hidden = sum(1 for f in findings if f["verdict"] == "not_applicable")
        if hidden and not verbose:
            lines.append(f"  ({hidden} not applicable on that date or scope; --verbose lists them)")
        lines.extend(_what_if_lines(report, verbose))
    for note in report.get("notes") or []:
        lines.append(f"note: {note}")
    for warning in report.get("warnings") or []:
        lines.append(f"warning: {warning}")
    lines.append("")
    lines.append(_summary_line(report["summary"]))
    return "\n".join(lines) + "\n"


def _fact_lines(name: str, fact: dict[str, Any], verbose: bool) -> list[str]:
    unit = FACT_SPECS[name].unit if name in FACT_SPECS else ""
    value = numbers.quantity(fact.get("value"), unit)
    span = numbers.interval(fact.get("low"), fact.get("high"), unit)
    if fact.get("value") is None and span:
        value = "unknown"
    head = f"  {name:<26} {value} {span}".rstrip()
    out = [f"{head:<62} {fact['confidence']:<11} {fact['method']}"]
    if fact.get("note"):
        out.append(f"      note: {fact['note']}")
    shown = fact.get("evidence", []) if verbose else fact.get("evidence", [])[:2]
    for ev in shown:
        line = f":{ev['line']}" if ev.get("line") else ""
        out.append(f"      ← {ev['source']}{line}: {_clip(ev['detail'], 150)}")
    for alt in fact.get("alternatives", []) if verbose else []:
        out.append(f"      alternative ({alt['method']}): {numbers.quantity(alt.get('value'), unit)}")
    return out


def _finding_lines(f: dict[str, Any], verbose: bool) -> list[str]:
    label = _VERDICT_LABEL.get(f["verdict"], f["verdict"])
    if f.get("waived"):
        label = f"WAIVED ({label})"
    out = [f"  {label:<16} {f['severity']:<8} {f['rule_id']}  {f['title']}"]
    for comp in f.get("comparisons", []):
        out.append("      " + comparison_line(comp))
    if f.get("reason"):
        out.append(f"      why: {f['reason']}")
    for entry in f.get("settle") or []:
        out.append(f"      settle: {'  or  '.join(settle_flags(entry))}")
    if f["verdict"] in ("triggered", "uncertain") or verbose:
        out.append(f"      {f['citation']}" + (f" — {f['link']}" if f.get("link") else ""))
        if f.get("message"):
            out.append(f"      {_clip(f['message'], 300)}")
    if f.get("waived"):
        w = f["waived"]
        out.append(f"      waived by {w.get('owner')} until {w.get('expires')}: {w.get('reason')}")
    return out


def _what_if_lines(report: dict[str, Any], verbose: bool) -> list[str]:
    """The section on rules not in force on the report's date: what each would say. Without
    ``verbose`` only the ones that would trigger are listed, the rest counted."""
    findings = what_if_findings(report)
    if not findings:
        return []
    shown = [f for f in findings if verbose or f["what_if"] == "triggered"]
    lines = ["", NOT_IN_FORCE_HEADING]
    for f in shown:
        label = _WOULD.get(f["what_if"], f["what_if"])
        lines.append(f"  {label:<22} {f['severity']:<8} {f['rule_id']}  {f['title']}")
        for comp in f.get("comparisons", [])[:4]:
            lines.append("      " + comparison_line(comp))
        lines.append(f"      not in force: {f.get('reason') or f.get('status')}")
        lines.append(f"      {f['citation']}" + (f" — {f['link']}" if f.get("link") else ""))
    if len(shown) < len(findings):
        rest = [f for f in findings if f not in shown]
        lines.append(f"  ({what_if_counts(rest)}; --verbose lists them)")
    return lines


def verdict_lines(report: dict[str, Any]) -> list[str]:
    """The first screen: the outcome and the findings that decided it, the caveats, and for
    each deciding uncertain finding the questions and ``--fact`` flags that settle it."""
    summary = report["summary"]
    if summary["outcome"] == "not_checked":
        caveats = caveats_of(report)
        return [f"caveat ({c['kind'].replace('_', ' ')}): {_clip(c['message'], 200)}" for c in caveats] + (
            [""] if caveats else []
        )
    head = f"{summary['outcome'].upper()} (exit {summary['exit_code']})"
    deciding = deciding_findings(report)
    if deciding:
        head += ": decided by " + ", ".join(f"{f['rule_id']} ({f['severity']}, {f['verdict']})" for f in deciding)
    elif summary["outcome"] == "pass":
        head += f": nothing triggered or uncertain at or above {summary.get('fail_on') or 'the fail-on severity'}"
    lines = [head]
    for c in caveats_of(report):
        lines.append(f"  caveat ({c['kind'].replace('_', ' ')}): {_clip(c['message'], 200)}")
    for f in deciding:
        lines.append(f"  {f['rule_id']}: {_clip(f['title'], 100)}")
        if f.get("reason"):
            lines.append(f"      why: {_clip(f['reason'], 300)}")
    settling = [(f, entry) for f in deciding for entry in f.get("settle") or []]
    if settling:
        lines.append("  To settle it, declare what you know (one answer per question):")
        for f, entry in settling:
            lines.append(f"    {entry['question']}  [{f['rule_id']}]")
            lines.append(f"      {'  or  '.join(settle_flags(entry))}")
    lines.append("")
    return lines


def comparison_line(c: dict[str, Any]) -> str:
    """One threshold test in words, with its three-valued result."""
    return comparison_text(c) + (f"  → {c['result']}" if c.get("result") else "")


def _lineage_line(link: dict[str, Any]) -> str:
    rel = link.get("relation") or "base"
    compute = link.get("training_compute_flop")
    extra = f", compute {numbers.sci(compute)} FLOP" if isinstance(compute, int | float) else ""
    return f"{link.get('depth', 0)}: {link.get('model')} ({rel}{extra})"


def _summary_line(summary: dict[str, Any]) -> str:
    counts = summary.get("counts") or {}
    if summary["outcome"] == "not_checked":
        return "Facts only (no rules evaluated)."
    parts = [f"{counts.get(k, 0)} {k.replace('_', ' ')}" for k in (*_ORDER, "waived")]
    return f"Outcome: {summary['outcome'].upper()} (exit {summary['exit_code']}) — " + ", ".join(parts)


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
