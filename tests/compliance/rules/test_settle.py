"""Settle questions: declaring the listed answers decides every uncertain finding of every shipped rule."""

from __future__ import annotations

import itertools

import pytest

from compliance.check import load_rulebook
from compliance.facts.model import FactSet
from compliance.rules.cases import Case, load_cases
from compliance.rules.findings import Finding, Verdict
from compliance.rules.settle import declared
from tests.compliance.rules.builders import facts as _facts
from tests.compliance.rules.builders import rule
from tests.compliance.rules.conftest import WriteSet
from tests.compliance.rules.test_book import book_of, only

BOOK = load_rulebook()
DECIDED = {Verdict.TRIGGERED, Verdict.NOT_TRIGGERED}


def _evaluate(case: Case, facts: FactSet) -> Finding:
    spec = case.spec
    return BOOK.evaluate_rule(spec.rule, facts, as_of=case.as_of, markets=spec.markets, destination=spec.destination)


def _without(facts: FactSet, name: str) -> FactSet:
    return FactSet({f.name: f for f in facts if f.name != name})


def _uncertain_situations() -> list[tuple[str, Case, FactSet]]:
    """Every shipped uncertain case, and every shipped case with one of its facts made unknown
    that comes out uncertain: the situations a settle list must answer."""
    found: dict[str, tuple[str, Case, FactSet]] = {}
    for info in BOOK.rulesets:
        for case in load_cases(BOOK, info.id):
            variants = [("as written", case.facts)]
            variants += [(f"without {f.name}", _without(case.facts, f.name)) for f in case.facts]
            for label, facts in variants:
                if _evaluate(case, facts).verdict is Verdict.UNCERTAIN:
                    key = f"{case.id} ({label})"
                    found.setdefault(key, (key, case, facts))
    return list(found.values())


SITUATIONS = _uncertain_situations()


def test_there_are_enough_situations_to_mean_something() -> None:
    rules = {case.spec.rule for _, case, _ in SITUATIONS}
    assert len(SITUATIONS) >= 40 and len(rules) >= 15


@pytest.mark.parametrize(("key", "case", "facts"), SITUATIONS, ids=[s[0] for s in SITUATIONS])
def test_every_combination_of_listed_answers_decides_the_finding(key: str, case: Case, facts: FactSet) -> None:
    finding = _evaluate(case, facts)
    assert finding.settle, f"{key}: no settle questions for {finding.reason}"
    names = [s["fact"] for s in finding.settle]
    assert len(names) == len(set(names))
    for entry in finding.settle:
        assert entry["question"].endswith(("?", ".")) and entry["answers"]
    for combo in itertools.product(*(s["answers"] for s in finding.settle)):
        trial = FactSet({f.name: f for f in facts})
        for name, answer in zip(names, combo, strict=True):
            trial.set(declared(name, answer))
        verdict = _evaluate(case, trial).verdict
        assert verdict in DECIDED, f"{key}: {dict(zip(names, combo, strict=True))} leaves it {verdict}"


# Three-valued logic cannot see that "A and not A" is decided: with the modalities unknown, the
# exemption fails either way (not generative, or generative and so with systemic risk).
ONE_WAY = {"eu.gpai.open_source_exemption: no exemption with systemic risk (without output_modalities)"}
SINGLE = [s for s in SITUATIONS if len(_evaluate(s[1], s[2]).settle) == 1]


@pytest.mark.parametrize(("key", "case", "facts"), SINGLE, ids=[s[0] for s in SINGLE])
def test_one_question_has_answers_each_way(key: str, case: Case, facts: FactSet) -> None:
    (entry,) = _evaluate(case, facts).settle
    outcomes = set()
    for answer in entry["answers"]:
        trial = FactSet({f.name: f for f in facts})
        trial.set(declared(entry["fact"], answer))
        outcomes.add(_evaluate(case, trial).verdict)
    if key in ONE_WAY:
        assert len(outcomes) == 1 and outcomes <= DECIDED, f"{key} now settles both ways: take it off ONE_WAY"
    else:
        assert outcomes == DECIDED, f"{key}: {entry['answers']} only lead to {outcomes}"


def test_only_uncertain_findings_have_settle_questions() -> None:
    for info in BOOK.rulesets:
        for case in load_cases(BOOK, info.id):
            finding = _evaluate(case, case.facts)
            assert bool(finding.settle) == (finding.verdict is Verdict.UNCERTAIN)


def test_a_threshold_inside_an_interval_offers_round_values_on_either_side(write_set: WriteSet) -> None:
    book = book_of(write_set, rule(when={"fact": "training_compute_flop", "op": "gt", "value": 1e24}))
    finding = only(book, _facts(training_compute_flop=(5.2e23, 1.03e24)))
    assert finding.settle == [
        {
            "fact": "training_compute_flop",
            "question": "What is the training compute? The rule compares it with 1e24 FLOP.",
            "answers": ["5e23", "2e24"],
        }
    ]


def test_a_flag_is_asked_yes_or_no(write_set: WriteSet) -> None:
    book = book_of(write_set, rule(when={"fact": "public_service_cn", "op": "is_true"}))
    (entry,) = only(book, _facts()).settle
    assert entry["fact"] == "public_service_cn" and entry["answers"] == ["yes", "no"]
    assert entry["question"] == "Offered as a service to the public in China: yes or no?"


def test_two_unknown_facts_are_asked_together(write_set: WriteSet) -> None:
    when = {"all": [{"fact": "open_weights", "op": "is_true"}, {"fact": "public_service_cn", "op": "is_true"}]}
    finding = only(book_of(write_set, rule(when=when)), _facts())
    assert [s["fact"] for s in finding.settle] == ["open_weights", "public_service_cn"]


def test_an_undecided_reference_asks_for_the_reference(write_set: WriteSet) -> None:
    when = {"fact": "finetune_compute_flop", "op": "gt", "ref": "base_model_compute_flop", "factor": 1 / 3}
    finding = only(book_of(write_set, rule(when=when)), _facts(finetune_compute_flop=4e22))
    (entry,) = finding.settle
    assert entry["fact"] == "base_model_compute_flop"
    # 4e22 compared with a third of the reference: 1.2e23, halved and doubled to round values
    assert entry["answers"] == ["5e22", "5e23"]


def test_a_clause_in_a_decided_branch_is_not_asked(write_set: WriteSet) -> None:
    # any(all(A unknown, B false), C unknown): A cannot matter, only C can.
    when = {
        "any": [
            {
                "all": [
                    {"fact": "open_weights", "op": "is_true"},
                    {"fact": "training_compute_flop", "op": "gt", "value": 1e25},
                ]
            },
            {"fact": "public_service_cn", "op": "is_true"},
        ]
    }
    finding = only(book_of(write_set, rule(when=when)), _facts(training_compute_flop=0.5))
    assert [s["fact"] for s in finding.settle] == ["public_service_cn"]


@pytest.mark.parametrize(
    ("threshold", "low", "high"),
    [(5e-324, 0.0, 1.0), (1e308, 1e307, 1.7e308)],
)
def test_thresholds_at_the_ends_of_the_floats_still_get_answers(
    write_set: WriteSet, threshold: float, low: float, high: float
) -> None:
    # Found by fuzzing rule sets: half of 5e-324 is 0 (log10 raised ValueError), twice 1e308 is
    # infinite (floor raised OverflowError).
    book = book_of(write_set, rule(when={"fact": "training_compute_flop", "op": "gt", "value": threshold}))
    finding = only(book, _facts(training_compute_flop=(low, high)))
    assert finding.verdict is Verdict.UNCERTAIN
    assert all(float(answer) >= 0 for entry in finding.settle for answer in entry["answers"])
