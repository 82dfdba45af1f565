"""A chip question without a model: the chip rules only, through the check service."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from compliance.check import CheckOptions, load_rulebook
from compliance.errors import UsageError
from compliance.hardware.question import SOURCE, asks_about_chips, chip_rulebook, run_hardware_check

AS_OF = date(2026, 11, 21)


def ask(hardware: str, destination: str, **options: Any) -> dict[str, Any]:
    return run_hardware_check(CheckOptions(as_of=AS_OF, hardware=hardware, destination=destination,
                                           **options)).to_dict()  # fmt: skip


def test_the_chip_book_keeps_exactly_the_rules_that_need_an_accelerator() -> None:
    book = load_rulebook()
    chips = chip_rulebook(book)
    kept = {r.id for r in chips.rules}
    needing = {r.id for s in book._sets for r in s.rules if asks_about_chips(s.meta, r.spec)}
    assert kept == needing
    assert {r.ruleset.id for r in chips.rules} >= {"us-bis-advanced-computing"}
    assert not any(r.id.startswith("eu.") for r in chips.rules)


def test_a_book_with_no_chip_rule_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no rule about chips"):
        chip_rulebook(load_rulebook().select(["eu-ai-act-gpai"]))


def test_the_report_says_there_is_no_model_and_holds_only_context_facts() -> None:
    report = ask("H100x8", "CN")
    assert report["model"]["source"] == SOURCE
    assert "h100" in report["model"]["id"]
    assert report["facts"]["hardware_count"]["value"] == 8
    assert all(name.startswith(("hardware", "destination")) for name in report["facts"])
    assert report["context"]["hardware"] == "H100x8" and report["context"]["destination"] == "CN"


def test_the_findings_are_those_of_a_check_with_the_same_context() -> None:
    # The same question asked through `check --hardware` on a model: the chip findings agree.
    from compliance.check import run_check
    from compliance.hardware.question import hardware_inspection

    options = CheckOptions(as_of=AS_OF, hardware="H100x8", destination="CN")
    whole = run_check(hardware_inspection("H100x8"), options).to_dict()
    chips = run_hardware_check(options).to_dict()
    verdicts = {f["rule_id"]: f["verdict"] for f in whole["findings"]}
    assert chips["findings"] and all(verdicts[f["rule_id"]] == f["verdict"] for f in chips["findings"])


def test_a_licence_finding_carries_its_citation() -> None:
    report = ask("H100x8", "CN")
    triggered = [f for f in report["findings"] if f["verdict"] == "triggered"]
    assert triggered and all(f["citation"] for f in triggered)


def test_the_destination_decides_the_outcome() -> None:
    assert ask("H100x8", "CN")["summary"]["outcome"] == "fail"
    assert ask("H100x8", "DE")["summary"]["outcome"] == "pass"


@pytest.mark.parametrize(
    ("hardware", "destination"),
    [("", "CN"), ("H100", ""), ("H100x0", "CN"), ("Z999", "CN"), ("H100", "XX")],
)
def test_bad_input_is_a_usage_error(hardware: str, destination: str) -> None:
    with pytest.raises(UsageError):
        ask(hardware, destination)
