"""Plain-text output: the decision, its caveats and the flags that settle it come first."""

from __future__ import annotations

from typing import Any

from compliance.report.findings import comparison_outcome, deciding_ids
from compliance.report.text import render
from tests.compliance.report import factories as F

SETTLE = [
    {
        "fact": "training_compute_flop",
        "question": "What is the training compute? The rule compares it with 1e25 FLOP.",
        "answers": ["5e24", "2e25"],
    }
]


def _inconclusive() -> dict[str, Any]:
    report = F.inconclusive()
    report["findings"][0]["settle"] = SETTLE
    report["summary"]["deciding"] = ["eu-gpai-systemic-risk"]
    report["summary"]["caveats"] = [{"kind": "gated", "message": "acme/m is gated and no token was given"}]
    return report


def test_the_first_line_is_the_outcome_and_what_decided_it() -> None:
    lines = render(_inconclusive()).splitlines()
    assert lines[0] == "INCONCLUSIVE (exit 2): decided by eu-gpai-systemic-risk (high, uncertain)"
    assert lines[1] == "  caveat (gated): acme/m is gated and no token was given"


def test_the_flags_that_settle_it_are_printed_ready_to_paste() -> None:
    text = render(_inconclusive())
    head = text.split("\nModel ")[0]
    assert "What is the training compute? The rule compares it with 1e25 FLOP." in head
    assert "--fact training_compute_flop=5e24  or  --fact training_compute_flop=2e25" in head
    # ...and again under the finding itself.
    assert text.count("--fact training_compute_flop=5e24") == 2


def test_a_pass_says_nothing_blocks() -> None:
    first = render(F.passing()).splitlines()[0]
    assert first == "PASS (exit 0): nothing triggered or uncertain at or above high"


def test_a_report_written_before_deciding_existed_is_decided_from_its_findings() -> None:
    report = F.failing()
    assert "deciding" not in report["summary"]
    assert deciding_ids(report) == ["eu-gpai-systemic-risk"]
    assert render(report).startswith("FAIL (exit 1): decided by eu-gpai-systemic-risk (high, triggered)")


def test_findings_are_listed_most_important_first() -> None:
    report = F.failing()
    report["findings"].reverse()
    text = render(report, verbose=True)
    order = [text.index(f"  {label}") for label in ("TRIGGERED        high", "TRIGGERED        low", "not triggered")]
    assert order == sorted(order)


def test_a_comparison_that_failed_is_never_written_as_a_claim() -> None:
    failed = F.comparison("training_compute_flop", "gt", 1e25, 3.05e24, False)
    assert comparison_outcome(failed) == "training_compute_flop 3.05e24 is not > 1e25"
    held = F.comparison("training_compute_flop", "gt", 1e25, 3.05e25, True)
    assert comparison_outcome(held) == "training_compute_flop 3.05e25 > 1e25"
    open_ = F.comparison("training_compute_flop", "gt", 1e25, None, None, 5e24, 2e25)
    assert comparison_outcome(open_).endswith("(undecided)")
    assert comparison_outcome(F.comparison("license", "unknown", None, "mit", False)) == "license mit is known"
