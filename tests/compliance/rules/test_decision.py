"""Deciding clauses: the reason of a verdict names the clause that decided it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.check import load_rulebook
from compliance.facts.model import Fact, FactSet
from compliance.hardware.destinations import destination_facts, resolve_country
from compliance.rules.decision import deciding, shape_of
from compliance.rules.findings import Verdict
from compliance.rules.schema import Condition
from tests.compliance.rules.builders import facts
from tests.compliance.rules.test_compiler import run

BOOK = load_rulebook()
FLAGS = (
    "open_weights",
    "open_source_license",
    "public_service_cn",
    "hardware_datacenter",
    "primarily_bio_sequence_data",
    "fundamental_rights_risk",
    "distilled_from_frontier",
)


def test_a_tier_2_licence_to_china_is_not_needed_because_china_is_in_d5() -> None:
    fact_set = facts(training_compute_flop=2e26, open_weights=False)
    for fact in destination_facts(resolve_country("CN")):
        fact_set.set(fact)
    finding = BOOK.evaluate_rule("us.bis.4e091.tier2_license", fact_set, as_of=date(2025, 3, 1), destination="CN")
    assert finding.verdict is Verdict.NOT_TRIGGERED
    assert finding.reason is not None
    assert "'include any of D5, MACAU' holds, and the rule requires that it does not" in finding.reason
    assert "AIA_TIER1" not in finding.reason
    deciding_ops = [(c["fact"], c["op"]) for c in finding.comparisons if c["deciding"]]
    assert deciding_ops == [("destination_groups", "intersects")]


def test_a_downstream_modifier_below_a_third_of_the_base_is_named() -> None:
    fact_set = facts(
        base_model="org/base",
        output_modalities=["text"],
        base_model_compute_flop=3e24,
        finetune_compute_flop=2e23,
    )
    finding = BOOK.evaluate_rule("eu.gpai.downstream_modifier", fact_set, as_of=date(2026, 1, 1))
    assert finding.verdict is Verdict.NOT_TRIGGERED
    assert finding.reason is not None
    assert finding.reason.startswith(
        "not met: modification compute is 2e23 FLOP: '> 1/3 of base model's training compute' does not hold"
    )
    assert "'is unknown' does not hold" not in finding.reason


def test_an_uncertain_finding_names_only_its_undecided_clauses() -> None:
    fact_set = facts(base_model="org/base", output_modalities=["text"])
    finding = BOOK.evaluate_rule("eu.gpai.downstream_modifier", fact_set, as_of=date(2026, 1, 1))
    assert finding.verdict is Verdict.UNCERTAIN
    assert finding.reason == "modification compute is unknown"
    assert [c["fact"] for c in finding.comparisons if c["deciding"]] == ["finetune_compute_flop"]


def test_a_triggered_all_is_decided_by_every_clause() -> None:
    finding = BOOK.evaluate_rule(
        "eu.gpai.copyright_and_summary",
        facts(training_compute_flop=2e24, output_modalities=["text"]),
        as_of=date(2026, 1, 1),
    )
    assert finding.verdict is Verdict.TRIGGERED
    assert all(c["deciding"] for c in finding.comparisons)


# Property: the deciding clauses alone give the same result, whatever the other clauses say.


def _trees(leaves: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.sampled_from(leaves).map(lambda f: {"fact": f, "op": "is_true"})
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda c: {"all": c}),
            st.lists(inner, min_size=1, max_size=3).map(lambda c: {"any": c}),
            inner.map(lambda c: {"not": c}),
        ),
        max_leaves=6,
    )


def _kleene(raw: dict[str, Any], known: dict[str, bool | None]) -> bool | None:
    """An independent three-valued evaluation of a tree of ``is_true`` leaves."""
    if "fact" in raw:
        return known.get(raw["fact"])
    if "not" in raw:
        inner = _kleene(raw["not"], known)
        return None if inner is None else not inner
    values = [_kleene(c, known) for c in raw.get("all") or raw["any"]]
    decisive = "any" in raw
    if decisive in values:
        return decisive
    return None if None in values else not decisive


@settings(max_examples=300, deadline=None)
@given(tree=_trees(list(FLAGS)), truth=st.lists(st.sampled_from([True, False, None]), min_size=7, max_size=7))
def test_the_deciding_clauses_alone_decide(tree: dict[str, Any], truth: list[bool | None]) -> None:
    values = dict(zip(FLAGS, truth, strict=True))
    fact_map = {name: Fact(name, v) for name, v in values.items() if v is not None}
    result, log = run(tree, fact_map)
    value, clauses = deciding(shape_of(Condition.model_validate(tree), {}), log, "when")
    assert value is result
    if result is None:
        assert clauses and all(c.entry["result"] == "unknown" for c in clauses)
        return
    kept = {c.entry["fact"] for c in clauses}
    assert _kleene(tree, {name: v for name, v in values.items() if name in kept}) is result


def test_a_log_that_does_not_match_the_condition_is_refused() -> None:
    shape = shape_of(Condition.model_validate({"fact": "open_weights", "op": "is_true"}), {})
    with pytest.raises(ValueError, match="does not match"):
        deciding(shape, [{"fact": "public_service_cn", "result": "true", "part": "when"}], "when")


def test_not_applicable_findings_keep_their_what_if_without_deciding_marks() -> None:
    finding = BOOK.evaluate_rule(
        "eu.gpai.copyright_and_summary", FactSet({"training_compute_flop": Fact("training_compute_flop", 2e24)}),
        as_of=date(2024, 1, 1),
    )  # fmt: skip
    assert finding.verdict is Verdict.NOT_APPLICABLE
    assert not any(c["deciding"] for c in finding.comparisons)
