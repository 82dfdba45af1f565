"""Report dicts built by hand, in the shape of ``Report.to_dict()``, for the renderer tests."""

from __future__ import annotations

import copy
from typing import Any

SHA = "0123456789abcdef" * 4


def evidence(kind: str, source: str, detail: str, line: int | None = None) -> dict[str, Any]:
    """One evidence dict."""
    out: dict[str, Any] = {"kind": kind, "source": source, "detail": detail}
    if line is not None:
        out["line"] = line
    return out


def fact(
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    confidence: str = "confident",
    method: str = "reported",
    ev: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One fact body; numeric values default to an exact interval as Fact does."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        low = float(value) if low is None else low
        high = float(value) if high is None else high
    return {"value": value, "low": low, "high": high, "confidence": confidence, "method": method, "evidence": ev or []}


def default_facts() -> dict[str, dict[str, Any]]:
    """Facts of a dense 70B-ish model whose compute comes from the card's token count."""
    card_tokens = evidence("card-text", "README.md", "trained on 15 trillion tokens", line=42)
    config = evidence("config", "config.json", "llama formula")
    return {
        "parameters": fact(
            70_553_706_496,
            method="safetensors-header",
            ev=[
                evidence(
                    "safetensors-header",
                    "model-00001-of-00030.safetensors, model-00002-of-00030.safetensors, "
                    "model-00003-of-00030.safetensors (+27 more)",
                    "723 tensors in 30 file(s)",
                )
            ],
        ),
        "active_parameters": fact(70_553_706_496, method="architecture", ev=[config]),
        "training_tokens": fact(15e12, confidence="likely", method="card-text", ev=[card_tokens]),
        "training_compute_flop": fact(
            6.35e24,
            4.4e24,
            8.9e24,
            confidence="likely",
            method="operation-counting",
            ev=[evidence("derived", "estimator", "6 × 70.6B parameters × 15T tokens"), config, card_tokens],
        ),
        "license": fact("llama3", ev=[evidence("card-metadata", "README.md", "license: llama3", line=3)]),
    }


def comparison(
    fact_name: str, op: str, threshold: Any, value: Any, result: Any, low: Any = None, high: Any = None
) -> dict[str, Any]:
    """One comparison dict, as the rule compiler records it (results are the words true/false/unknown)."""
    words = {True: "true", False: "false", None: "unknown"}
    return {
        "fact": fact_name,
        "op": op,
        "threshold": threshold,
        "value": value,
        "low": low,
        "high": high,
        "result": words[result] if result is None or isinstance(result, bool) else result,
        "part": "when",
    }


def finding(
    rule_id: str,
    verdict: str,
    *,
    severity: str = "high",
    ruleset: str = "eu-ai-act",
    jurisdiction: str = "EU",
    title: str | None = None,
    comparisons: list[dict[str, Any]] | None = None,
    waived: dict[str, Any] | None = None,
    reason: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One finding dict with every documented field present."""
    out: dict[str, Any] = {
        "rule_id": rule_id,
        "ruleset": ruleset,
        "ruleset_version": "2025.08",
        "jurisdiction": jurisdiction,
        "title": title or f"Rule {rule_id}",
        "verdict": verdict,
        "severity": severity,
        "effect": {"type": "obligation"},
        "citation": f"Regulation (EU) 2024/1689, Art. {len(rule_id)}",
        "link": "https://eur-lex.europa.eu/eli/reg/2024/1689/oj",
        "status": "in_force",
        "effective_from": "2025-08-02",
        "effective_until": None,
        "message": f"Obligations under {rule_id} apply.",
        "reason": reason,
        "what_if": None,
        "comparisons": comparisons or [],
        "evidence": {},
        "sourcing": "official",
        "waived": waived,
    }
    out.update(extra)
    return out


def gpai_finding(verdict: str = "triggered", **kw: Any) -> dict[str, Any]:
    """The compute-threshold rule, compared against the default facts."""
    result = {"triggered": True, "not_triggered": False, "uncertain": None}.get(verdict, False)
    kw.setdefault("title", "General-purpose AI model presumed to have systemic risk")
    return finding(
        "eu-gpai-systemic-risk",
        verdict,
        comparisons=[comparison("training_compute_flop", "gt", 1e25, 3.8e25, result, 3e25, 4.9e25)],
        **kw,
    )


def _counts(findings: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"triggered": 0, "uncertain": 0, "not_triggered": 0, "not_applicable": 0, "waived": 0}
    for f in findings:
        if f.get("waived"):
            counts["waived"] += 1
        else:
            counts[f["verdict"]] += 1
    return counts


def report(
    findings: list[dict[str, Any]] | None = None,
    *,
    outcome: str = "pass",
    exit_code: int | None = None,
    fail_on: str | None = "high",
    fail_on_uncertain: bool = True,
    model: dict[str, Any] | None = None,
    facts: dict[str, Any] | None = None,
    rulesets: list[dict[str, Any]] | None = None,
    files_read: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A whole report dict; counts are computed from ``findings``."""
    findings = copy.deepcopy(findings or [])
    if rulesets is None:
        ids = list(dict.fromkeys(f["ruleset"] for f in findings)) or ["eu-ai-act"]
        rulesets = [
            {"id": i, "version": "2025.08", "sha256": SHA, "path": f"rules/{i}.yaml", "title": f"Rules {i}"}
            for i in ids
        ]
    codes = {"pass": 0, "fail": 1, "inconclusive": 2, "not_checked": 0}
    out: dict[str, Any] = {
        "schema": "compliance-report/1",
        "tool": {"name": "compliance", "version": "0.1.0", "estimator_version": "2026.11.1"},
        "generated_at": "2026-01-15T09:30:00Z",
        "as_of": "2026-01-15",
        "model": model or {"id": "acme/llama-70b", "source": "local", "path": "models/llama-70b"},
        "context": {"markets": ["EU"]},
        "facts": default_facts() if facts is None else facts,
        "lineage": [],
        "rulesets": rulesets,
        "findings": findings,
        "summary": {
            "outcome": outcome,
            "exit_code": codes[outcome] if exit_code is None else exit_code,
            "counts": _counts(findings),
            "fail_on": fail_on,
            "fail_on_uncertain": fail_on_uncertain,
        },
        "warnings": [],
        "notes": [],
        "inputs": {
            "files_read": ["config.json", "model-00001-of-00030.safetensors", "README.md"]
            if files_read is None
            else files_read,
            "bytes_read": 1234,
        },
    }
    out.update(extra)
    return out


def failing() -> dict[str, Any]:
    """A triggered high-severity finding fails the check; a low one only warns."""
    return report(
        [
            gpai_finding("triggered"),
            finding(
                "eu-transparency",
                "triggered",
                severity="low",
                title="Training-content summary must be published",
                comparisons=[comparison("license", "ne", "proprietary", "llama3", True)],
            ),
            finding(
                "eu-prohibited",
                "not_triggered",
                severity="critical",
                comparisons=[comparison("parameters", "gt", 1e15, 7.06e10, False)],
            ),
            finding(
                "us-ear-4e091",
                "not_applicable",
                ruleset="us-bis",
                jurisdiction="US",
                severity="critical",
                reason="no destination given",
            ),
        ],
        outcome="fail",
    )


def passing() -> dict[str, Any]:
    """Nothing triggered."""
    return report(
        [
            gpai_finding("not_triggered"),
            finding("us-ear-4e091", "not_applicable", ruleset="us-bis", jurisdiction="US", reason="no destination"),
        ],
        outcome="pass",
    )


def inconclusive() -> dict[str, Any]:
    """An uncertain finding at the fail-on severity makes the check inconclusive."""
    return report(
        [
            gpai_finding("uncertain", reason="the compute interval straddles the threshold"),
            finding("eu-prohibited", "not_triggered", severity="critical"),
        ],
        outcome="inconclusive",
    )


def waived() -> dict[str, Any]:
    """A triggered finding that a waiver covers: the check passes."""
    return report(
        [
            gpai_finding(
                "triggered",
                waived={"reason": "notified the AI Office", "owner": "legal@acme.example", "expires": "2026-06-30"},
            ),
            finding("eu-prohibited", "not_triggered", severity="critical"),
        ],
        outcome="pass",
    )


def hostile() -> dict[str, Any]:
    """Card-supplied strings full of Markdown, HTML and XML-illegal characters."""
    nasty = "x | y `rm -rf` <script>alert(1)</script> [click](https://evil.example) ]]> \x00\x1b\ud800 & end"
    facts = default_facts()
    facts["license"] = fact(nasty, ev=[evidence("card-metadata", "README.md", nasty, line=7)])
    return report(
        [
            finding(
                "eu-license-check",
                "triggered",
                title=nasty,
                comparisons=[comparison("license", "eq", "mit", nasty, True)],
                reason=nasty,
                citation=nasty,
                link="https://example.org/a b)(c",
                message=nasty,
            ),
            finding(
                "eu-waived",
                "uncertain",
                title=nasty,
                waived={"reason": nasty, "owner": "a<b>@x", "expires": "2026-02-01"},
            ),
        ],
        outcome="fail",
        facts=facts,
        model={"id": "evil/<b>model|x", "source": "local", "path": "models/evil"},
        warnings=[nasty],
    )
