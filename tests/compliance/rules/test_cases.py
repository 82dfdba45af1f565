"""Cases files: loading, running, coverage gaps."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from compliance.errors import RuleSetError
from compliance.rules.book import RuleBook
from compliance.rules.cases import cases_path, coverage_gaps, load_cases, run_cases
from compliance.rules.loader import load_rulesets
from tests.compliance.rules.builders import rule, ruleset
from tests.compliance.rules.conftest import WriteSet


def case(name: str, expect: str, **kw: Any) -> dict[str, Any]:
    return {"rule": "t.rule", "name": name, "expect": expect, **kw}


GOOD_CASES = [
    case("above", "triggered", facts={"training_compute_flop": 2e25}),
    case("at the threshold", "not_triggered", facts={"training_compute_flop": "1e25"}),
    case("straddles", "uncertain", facts={"training_compute_flop": {"low": 5e24, "high": 2e25}}),
    case("declared unknown", "uncertain", facts={"training_compute_flop": {"value": None}}),
    case(
        "too early",
        "not_applicable",
        as_of=date(2024, 1, 1),
        expect_what_if="triggered",
        facts={"training_compute_flop": 2e25},
    ),
    case("other market", "not_applicable", markets=["KR"], facts={"training_compute_flop": 2e25}),
]


def setup(write_set: WriteSet, tmp_path: Path, cases: Any, rules: list[dict[str, Any]] | None = None) -> RuleBook:
    write_set(ruleset(rules=rules))
    (tmp_path / "test-set.cases.yaml").write_text(yaml.safe_dump(cases, sort_keys=False), encoding="utf-8")
    return load_rulesets([tmp_path / "test-set.yaml"])


def test_cases_run_and_pass(write_set: WriteSet, tmp_path: Path) -> None:
    book = setup(write_set, tmp_path, GOOD_CASES)
    results = run_cases(book)
    assert [r.name for r in results] == [c["name"] for c in GOOD_CASES]
    assert all(r.passed for r in results), [r.to_dict() for r in results if not r.passed]
    assert results[4].actual_what_if == "triggered"
    assert coverage_gaps(book) == []
    assert cases_path(book.rulesets[0]) == tmp_path / "test-set.cases.yaml"


def test_a_wrong_expectation_fails_with_the_actual_verdict(write_set: WriteSet, tmp_path: Path) -> None:
    book = setup(write_set, tmp_path, [case("wrong", "triggered", facts={"training_compute_flop": 1e20})])
    [result] = run_cases(book)
    assert not result.passed
    assert (result.expected, result.actual) == ("triggered", "not_triggered")
    assert result.to_dict()["passed"] is False
    assert result.reason is not None and result.reason.startswith("not met")


def test_a_wrong_what_if_fails(write_set: WriteSet, tmp_path: Path) -> None:
    wrong = case("early", "not_applicable", as_of=date(2024, 1, 1), expect_what_if="not_triggered",
                 facts={"training_compute_flop": 2e25})  # fmt: skip
    [result] = run_cases(setup(write_set, tmp_path, [wrong]))
    assert not result.passed


def test_coverage_gaps_name_what_is_missing(write_set: WriteSet, tmp_path: Path) -> None:
    rules = [rule("t.rule"), rule("t.flag", when={"fact": "open_weights", "op": "is_true"})]
    book = setup(write_set, tmp_path, [case("above", "triggered", facts={"training_compute_flop": 2e25})], rules)
    assert coverage_gaps(book) == [
        "rule t.rule (test-set) has no not_triggered or uncertain case",
        "rule t.flag (test-set) has no triggered or not_triggered case",
    ]


def test_missing_cases_file_is_a_gap(write_set: WriteSet, tmp_path: Path) -> None:
    book = load_rulesets([write_set(ruleset())])
    assert load_cases(book, "test-set") == []
    assert coverage_gaps(book) == [f"rule set test-set has no cases file ({tmp_path / 'test-set.cases.yaml'})"]


TCF = "facts.training_compute_flop"


@pytest.mark.parametrize(
    ("bad", "place", "words"),
    [
        (case("x", "triggered", rule="t.other"), "case 0 (x)", "rule 't.other' is not in rule set 'test-set'"),
        (case("x", "triggered", facts={"training_compute": 1}), "case 0 (x): facts.training_compute", "unknown fact"),
        (case("x", "triggered", facts={"training_compute_flop": "lots"}), TCF, "expected a number"),
        (case("x", "triggered", facts={"open_weights": "yes"}), "facts.open_weights", "expected a bool"),
        (case("x", "triggered", facts={"training_compute_flop": {"mid": 1}}), TCF, "unknown key 'mid'"),
        (case("x", "triggered", facts={"training_compute_flop": {"low": 2, "high": 1}}), TCF, "low is above high"),
        (case("x", "triggered", facts={"open_weights": {"low": 1}}), "facts.open_weights", "only numeric facts"),
        (case("x", "maybe"), "case 0: expect", "'triggered'"),
        (case("x", "triggered", colour="red"), "case 0: colour", "unknown key"),
        ("not a mapping", "case 0", "must be a mapping"),
    ],
)
def test_malformed_case_names_file_and_place(
    write_set: WriteSet, tmp_path: Path, bad: Any, place: str, words: str
) -> None:
    book = setup(write_set, tmp_path, [bad])
    with pytest.raises(RuleSetError) as info:
        load_cases(book, "test-set")
    assert info.value.source == str(tmp_path / "test-set.cases.yaml")
    assert info.value.where is not None and place in info.value.where
    assert words in info.value.message


def test_duplicate_case_names_and_non_list_files(write_set: WriteSet, tmp_path: Path) -> None:
    book = setup(write_set, tmp_path, [case("same", "triggered"), case("same", "uncertain")])
    with pytest.raises(RuleSetError, match="duplicate case name"):
        load_cases(book, "test-set")
    book = setup(write_set, tmp_path, {"cases": []})
    with pytest.raises(RuleSetError, match="YAML list"):
        load_cases(book, "test-set")


def test_a_rule_without_a_start_date_needs_as_of_in_its_cases(write_set: WriteSet, tmp_path: Path) -> None:
    proposed = rule(status="proposed", effective_from=None)
    book = setup(write_set, tmp_path, [case("x", "not_applicable")], [proposed])
    with pytest.raises(RuleSetError, match="needs 'as_of'"):
        load_cases(book, "test-set")
