"""Markdown summary for a CI job page (``$GITHUB_STEP_SUMMARY``, merge-request notes).

Model-supplied text (card sentences, licence names, model ids, waiver reasons) is hostile
input: every such string goes through :func:`escape`, so a pipe cannot break a table, a
backtick or bracket cannot start code or a link, and ``<`` cannot open HTML. GitHub drops a
step summary over 1 MiB, so long lists are cut (with a note saying how many were left out)
until the whole summary fits in :data:`MAX_BYTES`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from compliance.facts.names import FACT_SPECS
from compliance.report import findings as fx
from compliance.report import numbers

MAX_BYTES = 1_000_000  # GitHub's step-summary limit is 1 MiB; keep a margin.
KEY_FACTS = ("parameters", "active_parameters", "training_tokens", "training_compute_flop")
CELL = 300  # characters of model text shown in one table cell
_HEADLINE = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE", "not_checked": "FACTS ONLY"}
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")
_LEADING = re.compile(r"^(\d+(?=[.)])|(?=[-+=]))")
# Control characters, lone surrogates (unwritable as UTF-8) and bidi overrides (which can make
# text display in a different order than it reads) are dropped.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_URL_SAFE = ":/?#[]@!$&'*+,;=%-._~"


def escape(text: Any) -> str:
    """Make ``text`` inert in Markdown and HTML: it renders as the same characters, nothing more."""
    flat = " ".join(_INVISIBLE.sub("", str(text)).split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    flat = _SPECIAL.sub(r"\\\1", flat)
    # At the start of a line "-", "1." or "=" would open a list or a heading.
    return _LEADING.sub(r"\1\\", flat, count=1)


def link(text: Any, url: Any) -> str:
    """``[text](url)`` for an absolute http(s) URL, else the escaped text alone."""
    label = escape(text)
    if not isinstance(url, str):
        return label
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return label
    return f"[{label or escape(url)}]({quote(url.strip(), safe=_URL_SAFE)})"


def render(report: dict[str, Any]) -> str:
    """Render a report dict (the JSON contract) as a Markdown summary under :data:`MAX_BYTES`."""
    rows, items = 1_000, 500
    while True:
        text = _render(report, rows=rows, items=items)
        if len(text.encode("utf-8")) <= MAX_BYTES or rows <= 5:
            return text
        rows, items = rows // 2, items // 2


def _render(report: dict[str, Any], *, rows: int, items: int) -> str:
    summary = report.get("summary") or {}
    findings = [f for f in report.get("findings") or [] if isinstance(f, dict)]
    out: list[str] = []
    outcome = str(summary.get("outcome") or "not_checked")
    out.append(f"## Compliance check: **{_HEADLINE.get(outcome, escape(outcome.upper()))}**")
    out.append("")
    out.extend(_header(report, summary, items))
    if outcome != "not_checked":
        out.append("")
        out.extend(_attention(report, findings, summary, rows))
        out.extend(_collapsed(findings, items))
        out.extend(_what_if(report, items))
    out.append("")
    out.extend(_facts(report, findings))
    rulesets = [r for r in report.get("rulesets") or [] if isinstance(r, dict)]
    if rulesets:
        out.append("")
        out.append("### Rule sets")
        out.append("")
        out.append("| Rule set | Version | SHA-256 |")
        out.append("| --- | --- | --- |")
        for rs in rulesets[:rows]:
            sha = str(rs.get("sha256") or "")
            label = escape(rs.get("id") or "?") + (f" ({escape(fx.clip(rs['title'], 80))})" if rs.get("title") else "")
            out.append(f"| {label} | {escape(rs.get('version') or '')} | {escape(sha[:12])} |")
        out.extend(_left_off(len(rulesets), rows, "rule sets"))
    for heading, entries in (("Notes", report.get("notes")), ("Warnings", report.get("warnings"))):
        listed = [str(e) for e in entries or []]
        if listed:
            out.append("")
            out.append(f"**{heading}**")
            out.append("")
            out.extend(f"- {escape(fx.clip(e, 500))}" for e in listed[:items])
            out.extend(_left_off(len(listed), items, heading.lower()))
    tool = report.get("tool") or {}
    out.append("")
    out.append(
        f"<sub>{escape(tool.get('name') or 'compliance')} {escape(tool.get('version') or '')}"
        f" · estimator {escape(tool.get('estimator_version') or '?')}"
        f" · generated {escape(report.get('generated_at') or '?')}</sub>"
    )
    return "\n".join(out) + "\n"


def _header(report: dict[str, Any], summary: dict[str, Any], items: int) -> list[str]:
    model = report.get("model") or {}
    parts = [f"**Model:** {escape(model.get('id') or '?')}"]
    rev = []
    if model.get("revision"):
        rev.append(escape(model["revision"]))
    if model.get("sha"):
        rev.append(escape(str(model["sha"])[:12]))
    if rev:
        parts.append("**revision:** " + " @ ".join(rev))
    source = escape(model.get("source") or "?")
    if model.get("path"):
        source += f" ({escape(model['path'])})"
    parts.append(f"**source:** {source}")
    if report.get("as_of"):
        parts.append(f"**law as of:** {escape(report['as_of'])}")
    lines = [" · ".join(parts), ""]
    if summary.get("outcome") == "not_checked":
        lines.append("Facts only: no rule sets were evaluated.")
        return lines
    code = summary.get("exit_code")
    meaning = fx.EXIT_MEANINGS.get(code, "unknown") if isinstance(code, int) else "unknown"
    fail_on = summary.get("fail_on")
    gate = (
        f"triggered findings of severity **{escape(fail_on)}** or above fail the check"
        if fail_on
        else ("no severity fails the check")
    )
    uncertain = (
        "uncertain ones at that severity make it inconclusive"
        if summary.get("fail_on_uncertain", True)
        else "uncertain ones are allowed"
    )
    lines.append(f"**Exit code {escape(code)}** — {escape(meaning)}. Here {gate}; {uncertain}.")
    lines.extend(_decided(report, items))
    lines.append("")
    lines.append(f"**Findings:** {escape(fx.counts_text(summary))}.")
    return lines


def _decided(report: dict[str, Any], items: int) -> list[str]:
    """What decided the outcome, the caveats beside it, and the flags that would settle it
    (each list cut at ``items``)."""
    lines: list[str] = []
    everything = fx.deciding_findings(report)
    deciding = everything[:items]
    if deciding:
        lines += ["", "**Decided by:**", ""]
        for f in deciding:
            why = f" — {escape(fx.clip(f['reason'], CELL))}" if f.get("reason") else ""
            lines.append(
                f"- **{escape(f.get('rule_id') or '?')}** ({escape(f.get('severity') or '')}, "
                f"{escape(f.get('verdict') or '')}): {escape(fx.clip(f.get('title') or '', CELL))}{why}"
            )
        lines.extend(_left_off(len(everything), items, "deciding findings"))
    caveats = fx.caveats_of(report)
    if caveats:
        lines += ["", "**Caveats:**", ""]
        shown = caveats[:items]
        lines += [f"- {escape(c['kind'].replace('_', ' '))}: {escape(fx.clip(c['message'], 500))}" for c in shown]
        lines.extend(_left_off(len(caveats), items, "caveats"))
    settling = [(f, e) for f in deciding for e in f.get("settle") or [] if isinstance(e, dict)][:items]
    if settling:
        lines += ["", "**To settle it**, run the check again with one answer per question:", ""]
        for f, entry in settling:
            flags = " or ".join(_code(flag) for flag in fx.settle_flags(entry))
            lines.append(f"- {escape(entry.get('question') or '')} ({escape(f.get('rule_id') or '?')}): {flags}")
    return lines


def _code(text: str) -> str:
    """Inline code for a command-line flag; backticks and pipes, which no flag needs, are dropped."""
    return "`" + " ".join(_INVISIBLE.sub("", text).replace("`", "").replace("|", "").split()) + "`"


def _attention(report: dict[str, Any], findings: list[dict[str, Any]], summary: dict[str, Any], rows: int) -> list[str]:
    # In the report's order (verdict, then severity): a cut list still shows what matters most.
    shown = [f for f in fx.ordered(findings) if f.get("verdict") in ("triggered", "uncertain") and not f.get("waived")]
    if not shown:
        return ["No triggered or uncertain findings."]
    out = [
        "### Findings that need attention",
        "",
        "| Verdict | Rule | Jurisdiction | Severity | What was compared | Citation |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in shown[:rows]:
        verdict = str(f.get("verdict"))
        blocks = fx.blocking(f, summary)
        label = f"**{verdict.upper()}**" + (f" (blocks: {blocks})" if blocks else "")
        rule = f"{escape(f.get('rule_id') or '?')}: {escape(fx.clip(f.get('title') or '', CELL))}"
        compared = fx.comparisons_text(f, outcome=True) or str(f.get("reason") or "")
        if verdict == "uncertain" and f.get("reason") and fx.comparisons_text(f):
            compared += f" — {f['reason']}"
        settle = [flag for e in f.get("settle") or [] if isinstance(e, dict) for flag in fx.settle_flags(e)]
        settled = (" — settle: " + " or ".join(_code(flag) for flag in settle)) if settle else ""
        citation = link(fx.clip(f.get("citation") or f.get("link") or "", CELL), f.get("link"))
        out.append(
            f"| {label} | {rule} | {escape(f.get('jurisdiction') or '')} | {escape(f.get('severity') or '')} "
            f"| {escape(fx.clip(compared, CELL))}{settled} | {citation} |"
        )
    out.extend(_left_off(len(shown), rows, "findings"))
    return out


def _collapsed(findings: list[dict[str, Any]], items: int) -> list[str]:
    groups: list[tuple[str, list[str]]] = []
    findings = fx.ordered(findings)
    not_triggered = [f for f in findings if f.get("verdict") == "not_triggered" and not f.get("waived")]
    groups.append(("Not triggered", [_item(f, fx.comparisons_text(f, outcome=True)) for f in not_triggered]))
    not_applicable = [f for f in findings if f.get("verdict") == "not_applicable" and not f.get("waived")]
    groups.append(("Not applicable", [_item(f, str(f.get("reason") or "")) for f in not_applicable]))
    waived = [f for f in findings if f.get("waived")]
    groups.append(
        (
            "Waived",
            [
                _item(f, f"{f.get('verdict')}; waived: {fx.waiver_text(f['waived'])}")
                if isinstance(f.get("waived"), dict)
                else _item(f, "waived")
                for f in waived
            ],
        )
    )
    out: list[str] = []
    for title, entries in groups:
        if not entries:
            continue
        out.append("")
        out.append(f"<details><summary>{title} ({len(entries)})</summary>")
        out.append("")
        out.extend(entries[:items])
        out.extend(_left_off(len(entries), items, title.lower()))
        out.append("")
        out.append("</details>")
    return out


def _what_if(report: dict[str, Any], items: int) -> list[str]:
    """Rules not in force on the report's date, each with the verdict it would give, folded."""
    findings = fx.what_if_findings(report)
    if not findings:
        return []
    out = ["", f"<details><summary>{fx.NOT_IN_FORCE_HEADING} ({fx.what_if_counts(findings)})</summary>", ""]
    for f in findings[:items]:
        compared = fx.comparisons_text(f, outcome=True)
        detail = fx.what_if_text(f) + (f" — {compared}" if compared else "")
        out.append(
            _item(f, detail) + " — " + link(fx.clip(f.get("citation") or f.get("link") or "", CELL), f.get("link"))
        )
    out.extend(_left_off(len(findings), items, "rules not in force"))
    out += ["", "</details>"]
    return out


def _item(f: dict[str, Any], detail: str) -> str:
    head = f"- **{escape(f.get('rule_id') or '?')}** {escape(fx.clip(f.get('title') or '', CELL))}"
    if f.get("jurisdiction"):
        head += f" ({escape(f['jurisdiction'])})"
    return head + (f": {escape(fx.clip(detail, CELL))}" if detail else "")


def _facts(report: dict[str, Any], findings: list[dict[str, Any]]) -> list[str]:
    facts = report.get("facts") or {}
    names = [n for n in KEY_FACTS if n in facts]
    # Facts that decided a triggered or uncertain finding are key facts for this report too.
    for f in findings:
        if f.get("verdict") in ("triggered", "uncertain"):
            for name in fx.deciding_facts(f):
                if name in facts and name not in names:
                    names.append(name)
    if not names:
        return ["No facts were established."]
    out = [
        "### Key facts",
        "",
        "| Fact | Value | Interval | Confidence | Method |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in names[:50]:
        body = facts.get(name) or {}
        unit = FACT_SPECS[name].unit if name in FACT_SPECS else ""
        value = body.get("value")
        shown = numbers.quantity(value, unit)
        span = numbers.interval(body.get("low"), body.get("high"), unit)
        out.append(
            f"| {escape(name)} | {escape(fx.clip(shown, CELL))} | {escape(span) or '—'} "
            f"| {escape(body.get('confidence') or '?')} | {escape(fx.clip(body.get('method') or '?', 80))} |"
        )
    return out


def _left_off(total: int, shown: int, what: str) -> list[str]:
    if total <= shown:
        return []
    return ["", f"*… {total - shown} more {what} left out to keep this summary under GitHub's size limit.*"]
