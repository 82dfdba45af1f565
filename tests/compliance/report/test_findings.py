"""Shared reading of findings: thresholds, comparison wording, deciding facts, waivers."""

from __future__ import annotations

from compliance.report import findings as fx
from tests.compliance.report import factories as F


def test_at_or_above() -> None:
    assert fx.at_or_above("high", "high")
    assert fx.at_or_above("critical", "medium")
    assert not fx.at_or_above("low", "high")
    assert not fx.at_or_above("critical", None)  # no threshold: nothing fails
    assert not fx.at_or_above("critical", "never")


def test_blocking() -> None:
    summary = {"fail_on": "high", "fail_on_uncertain": True}
    assert fx.blocking(F.finding("a", "triggered", severity="high"), summary) == "fail"
    assert fx.blocking(F.finding("a", "triggered", severity="medium"), summary) is None
    assert fx.blocking(F.finding("a", "uncertain", severity="critical"), summary) == "inconclusive"
    assert (
        fx.blocking(F.finding("a", "uncertain", severity="critical"), {**summary, "fail_on_uncertain": False}) is None
    )
    assert fx.blocking(F.finding("a", "not_triggered", severity="critical"), summary) is None
    waived = F.finding("a", "triggered", waived={"reason": "r"})
    assert fx.blocking(waived, summary) is None
    assert fx.blocking(waived, summary, count_waived=True) == "fail"


def test_comparison_text_uses_units() -> None:
    flop = F.comparison("training_compute_flop", "gte", 1e25, 3.8e25, True, 3e25, 4.9e25)
    assert fx.comparison_text(flop) == "training_compute_flop 3.8e25 [3e25 – 4.9e25] ≥ 1e25"
    params = F.comparison("parameters", "lt", 1e9, 8_030_261_248, False)
    assert fx.comparison_text(params) == "parameters 8.03B < 1B"
    unknown = F.comparison("training_compute_flop", "gt", 1e26, None, None, None, 2e26)
    assert fx.comparison_text(unknown) == "training_compute_flop unknown [? – 2e26] > 1e26"
    listed = F.comparison("destination_groups", "in", ["D:1", "D:5"], ["D:5"], True)
    assert fx.comparison_text(listed) == "destination_groups D:5 in D:1, D:5"
    odd = F.comparison("training_compute_flop", "gt", float("nan"), float("inf"), None)
    assert fx.comparison_text(odd) == "training_compute_flop unknown > unknown"


def test_comparison_text_for_references_and_unary_operators() -> None:
    ref = F.comparison("finetune_compute_flop", "gt", None, 2e24, "true")
    ref.update(ref="base_model_compute_flop", factor=0.33, threshold_low=1.1e24, threshold_high=1.1e24)
    assert fx.comparison_text(ref) == "finetune_compute_flop 2e24 > 0.33 × base_model_compute_flop (1.1e24)"
    ref.update(threshold_low=None, threshold_high=None, factor=1.0)
    assert fx.comparison_text(ref) == "finetune_compute_flop 2e24 > base_model_compute_flop (unknown)"
    known = F.comparison("training_tokens", "known", None, None, "false")
    assert fx.comparison_text(known) == "training_tokens is known"
    flag = F.comparison("open_weights", "is_true", None, True, "true")
    assert fx.comparison_text(flag) == "open_weights yes is true"
    numbers_in = F.comparison("hardware_count", "in", [8.0, 16.0], 8, "true")
    assert fx.comparison_text(numbers_in) == "hardware_count 8 in 8, 16"


def test_comparisons_text_is_bounded() -> None:
    comps = [F.comparison("parameters", "gt", 1e9, 2e9, True) for _ in range(7)]
    text = fx.comparisons_text(F.finding("a", "triggered", comparisons=comps), limit=3)
    assert text.count("parameters") == 3 and text.endswith("; and 4 more")


def test_exceptions_are_labelled() -> None:
    exception = F.comparison("open_source_license", "is_true", None, False, "false")
    exception["part"] = "unless"
    finding = F.finding("a", "triggered", comparisons=[F.comparison("parameters", "gt", 1e9, 7e10, True), exception])
    assert fx.comparisons_text(finding) == "parameters 70B > 1B; unless open_source_license no is true"


def test_deciding_facts_put_the_decisive_comparison_first() -> None:
    comps = [
        F.comparison("parameters", "gt", 1e12, 7e10, False),
        F.comparison("training_compute_flop", "gt", 1e25, 3e25, True),
    ]
    triggered = F.finding("a", "triggered", comparisons=comps)
    assert fx.deciding_facts(triggered) == ["training_compute_flop", "parameters"]
    comps[0]["result"] = None
    uncertain = F.finding("a", "uncertain", comparisons=comps, evidence={"license": []})
    assert fx.deciding_facts(uncertain) == ["parameters", "training_compute_flop", "license"]
    # An exception that did not apply ("unless" false) is not what decided the rule.
    exception = F.comparison("open_weights", "is_true", None, False, "false")
    exception["part"] = "unless"
    rule = F.finding("b", "triggered", comparisons=[exception, F.comparison("parameters", "gt", 1e9, 7e10, "true")])
    assert fx.deciding_facts(rule) == ["parameters", "open_weights"]
    scoped = F.finding(
        "c",
        "triggered",
        comparisons=[
            F.comparison("output_modalities", "intersects", ["text"], ["text"], True),
            F.comparison("training_compute_flop", "gt", 1e25, 2e26, True),
        ],
    )
    assert fx.deciding_facts(scoped) == ["training_compute_flop", "output_modalities"]


def test_fact_evidence_prefers_the_finding_copy() -> None:
    report = F.report()
    finding = F.gpai_finding()
    assert fx.fact_evidence(report, finding, "training_compute_flop")[0]["kind"] == "derived"
    finding["evidence"] = {"training_compute_flop": [F.evidence("declared", "f.yaml", "x")]}
    assert fx.fact_evidence(report, finding, "training_compute_flop") == [F.evidence("declared", "f.yaml", "x")]
    assert fx.fact_evidence(report, finding, "no_such_fact") == []


def test_waiver_text_and_counts() -> None:
    assert fx.waiver_text({"reason": "ok", "owner": "me", "expires": "2026-01-01"}) == "ok (me, until 2026-01-01)"
    assert fx.waiver_text({"reason": "ok"}) == "ok"
    assert fx.waiver_text({}) == "no reason given"
    summary = F.failing()["summary"]
    assert fx.counts_text(summary) == "2 triggered, 0 uncertain, 1 not triggered, 1 not applicable, 0 waived"
    assert fx.clip("a  b\nc", 10) == "a b c" and fx.clip("abcdef", 4) == "abc…"
