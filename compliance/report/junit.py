"""JUnit XML for CI test-report views (GitLab ``artifacts:reports:junit``, Jenkins ``junit``).

One ``<testsuite>`` per rule set, one ``<testcase>`` per rule (classname = rule-set id). The
mapping keeps the tool's exit codes readable from the counts:

* triggered at or above ``fail_on`` → ``<failure>`` (exit 1, "fail");
* uncertain that makes the check inconclusive → ``<error>`` (exit 2): the rule could not be
  decided, which is what JUnit's error means, and GitLab and Jenkins both show it as a red,
  separately counted case instead of folding it into the failures;
* uncertain when uncertainty is allowed, or below ``fail_on`` → ``<skipped>`` with the reason;
* triggered below ``fail_on`` → passes, with a ``<system-out>`` note;
* not triggered → passes; not applicable → ``<skipped>``; waived → ``<skipped message="waived: …">``;
* a rule not in force on the report's date (a bill, a vetoed or revoked rule, one outside its
  dates) → ``<skipped>`` whose message gives the verdict it would give ("would be triggered").

Card text is hostile input: ElementTree escapes markup, and characters XML 1.0 forbids
(control characters, lone surrogates) are removed before they reach it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from compliance.report import findings as fx

# XML 1.0 allows tab, newline, carriage return and these ranges; anything else is dropped.
_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MESSAGE = 500


def clean(text: Any) -> str:
    """``text`` as a string that is legal in XML 1.0."""
    return _ILLEGAL.sub("", str(text))


def render(report: dict[str, Any]) -> str:
    """Render a report dict (the JSON contract) as JUnit XML."""
    root = junit_tree(report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def junit_tree(report: dict[str, Any]) -> ET.Element:
    """The ``<testsuites>`` element."""
    summary = report.get("summary") or {}
    model = report.get("model") or {}
    findings = fx.ordered([f for f in report.get("findings") or [] if isinstance(f, dict)])
    timestamp = _timestamp(report.get("generated_at"))
    root = ET.Element("testsuites", {"name": clean(f"compliance {model.get('id') or ''}".strip()), "time": "0"})
    suites: dict[str, ET.Element] = {}
    tallies: dict[str, dict[str, int]] = {}
    rulesets = {str(rs.get("id")): rs for rs in report.get("rulesets") or [] if isinstance(rs, dict)}
    order = list(rulesets) + [str(f.get("ruleset")) for f in findings if str(f.get("ruleset")) not in rulesets]
    for ruleset_id in dict.fromkeys(order):
        suite = ET.SubElement(root, "testsuite", {"name": clean(ruleset_id), "timestamp": timestamp, "time": "0"})
        suite.append(_properties(report, rulesets.get(ruleset_id, {})))
        suites[ruleset_id] = suite
        tallies[ruleset_id] = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for f in findings:
        ruleset_id = str(f.get("ruleset"))
        outcome = _testcase(suites[ruleset_id], ruleset_id, f, summary, report.get("as_of"))
        tally = tallies[ruleset_id]
        tally["tests"] += 1
        if outcome:
            tally[outcome] += 1
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for ruleset_id, suite in suites.items():
        for key, value in tallies[ruleset_id].items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    return root


def _timestamp(generated_at: Any) -> str:
    # The JUnit schema's timestamp has no zone designator; the report's time is UTC.
    text = str(generated_at or "")
    return re.sub(r"(Z|[+-]00:?00)$", "", text)[:19]


def _properties(report: dict[str, Any], ruleset: dict[str, Any]) -> ET.Element:
    props = ET.Element("properties")
    model = report.get("model") or {}
    pairs = [
        ("model.id", model.get("id")),
        ("model.source", model.get("source")),
        ("model.revision", model.get("revision")),
        ("model.sha", model.get("sha")),
        ("as_of", report.get("as_of")),
        ("ruleset.version", ruleset.get("version")),
        ("ruleset.sha256", ruleset.get("sha256")),
        ("ruleset.title", ruleset.get("title")),
        ("outcome", (report.get("summary") or {}).get("outcome")),
        ("outcome.deciding", ", ".join(fx.deciding_ids(report))),
        *(("caveat", f"{c['kind']}: {c['message']}") for c in fx.caveats_of(report)),
    ]
    for name, value in pairs:
        if value is not None and value != "":
            ET.SubElement(props, "property", {"name": name, "value": clean(fx.clip(value, MESSAGE))})
    return props


def _testcase(
    suite: ET.Element, ruleset_id: str, f: dict[str, Any], summary: dict[str, Any], as_of: Any = None
) -> str | None:
    """Add the test case for one finding; return which counter it adds to (None: passed)."""
    rule_id = str(f.get("rule_id") or "unnamed-rule")
    title = str(f.get("title") or "")
    name = f"{rule_id}: {title}" if title else rule_id
    case = ET.SubElement(
        suite, "testcase", {"classname": clean(ruleset_id), "name": clean(fx.clip(name, 300)), "time": "0"}
    )
    verdict = str(f.get("verdict"))
    compared = fx.comparisons_text(f)
    waived = f.get("waived")
    if waived:
        why = fx.waiver_text(waived) if isinstance(waived, dict) else "waived"
        _child(case, "skipped", f"waived: {why}", body=_body(f))
        return "skipped"
    blocks = fx.blocking(f, summary)
    if verdict == "triggered" and blocks == "fail":
        _child(case, "failure", compared or title or rule_id, kind=f"triggered:{f.get('severity')}", body=_body(f))
        return "failures"
    if verdict == "uncertain" and blocks == "inconclusive":
        reason = f.get("reason") or "the facts do not settle it"
        _child(case, "error", f"uncertain: {reason}", kind=f"uncertain:{f.get('severity')}", body=_body(f))
        return "errors"
    if verdict == "uncertain":
        allowed = (
            "allowed by --allow-uncertain"
            if fx.at_or_above(f.get("severity"), summary.get("fail_on"))
            else f"below --fail-on {summary.get('fail_on')}"
        )
        _child(case, "skipped", f"uncertain ({allowed}): {f.get('reason') or compared}")
        return "skipped"
    if fx.is_what_if(f, as_of):
        # Law not in force: skipped, with the verdict it would give in the message.
        compared = fx.comparisons_text(f, outcome=True)
        message = f"law not in force, {fx.what_if_text(f)}" + (f": {compared}" if compared else "")
        _child(case, "skipped", message, body=_body(f))
        return "skipped"
    if verdict == "not_applicable":
        _child(case, "skipped", f"not applicable: {f.get('reason') or 'outside this rule set’s scope or dates'}")
        return "skipped"
    if verdict == "triggered":
        out = ET.SubElement(case, "system-out")
        out.text = clean(
            f"triggered below --fail-on {summary.get('fail_on')} (severity {f.get('severity')}).\n" + _body(f)
        )
    elif compared:
        out = ET.SubElement(case, "system-out")
        out.text = clean(f"not triggered: {fx.comparisons_text(f, outcome=True)}")
    return None


def _child(case: ET.Element, tag: str, message: str, *, kind: str | None = None, body: str = "") -> None:
    attrs = {"message": clean(fx.clip(message, MESSAGE))}
    if kind:
        attrs["type"] = clean(kind)
    el = ET.SubElement(case, tag, attrs)
    if body:
        el.text = clean(body)


def _body(f: dict[str, Any]) -> str:
    lines: list[str] = []
    for c in fx.decisive_first(f):
        lines.append(f"{fx.comparison_text(c)} → {fx.result_word(c.get('result'))}")
    for entry in f.get("settle") or []:
        if isinstance(entry, dict):
            lines.append(f"settle: {entry.get('question') or ''} {' or '.join(fx.settle_flags(entry))}".strip())
    for key, label in (
        ("reason", "why"),
        ("message", ""),
        ("citation", "citation"),
        ("link", "source"),
        ("status", "status"),
        ("effective_from", "in force from"),
        ("effective_until", "in force until"),
        ("what_if", "what-if verdict (were it law)"),
    ):
        value = f.get(key)
        if value:
            text = fx.clip(value, 2000)
            lines.append(f"{label}: {text}" if label else text)
    return "\n".join(lines)
