"""Compiled conditions: Kleene logic, each leaf kind, comparison records, named conditions."""

from __future__ import annotations

from typing import Any

import pytest

from compliance.facts.model import Fact
from compliance.rules.compiler import ConditionCompiler, facts_read, has_numeric_leaf
from compliance.rules.schema import Condition
from tests.compliance.rules.builders import facts

Tri = bool | None


def run(
    raw: dict[str, Any], fact_map: dict[str, Fact], named: dict[str, Any] | None = None
) -> tuple[Tri, list[dict[str, Any]]]:
    conditions = {k: Condition.model_validate(v) for k, v in (named or {}).items()}
    compiled = ConditionCompiler(conditions, source="test").compile(
        Condition.model_validate(raw), part="when", where="when"
    )
    log: list[dict[str, Any]] = []
    return compiled(fact_map, log), log


def flags(a: Tri, b: Tri) -> dict[str, Fact]:
    """Two bool facts whose truth is ``a`` and ``b`` (None: the fact is absent)."""
    out = {}
    if a is not None:
        out["open_weights"] = Fact("open_weights", a)
    if b is not None:
        out["open_source_license"] = Fact("open_source_license", b)
    return out


A = {"fact": "open_weights", "op": "is_true"}
B = {"fact": "open_source_license", "op": "is_true"}
VALUES: list[Tri] = [True, False, None]


def kleene_and(a: Tri, b: Tri) -> Tri:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def kleene_or(a: Tri, b: Tri) -> Tri:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


@pytest.mark.parametrize("a", VALUES)
@pytest.mark.parametrize("b", VALUES)
def test_all_any_not_follow_kleene_tables(a: Tri, b: Tri) -> None:
    assert run({"all": [A, B]}, flags(a, b))[0] is kleene_and(a, b)
    assert run({"any": [A, B]}, flags(a, b))[0] is kleene_or(a, b)
    expected_not = None if a is None else not a
    assert run({"not": A}, flags(a, b))[0] is expected_not


def test_all_stops_at_the_first_false_leaf() -> None:
    result, log = run({"all": [A, B]}, flags(False, True))
    assert result is False
    assert [e["fact"] for e in log] == ["open_weights"]


def test_any_stops_at_the_first_true_leaf_but_records_unknowns_before_it() -> None:
    result, log = run({"any": [A, B]}, flags(None, True))
    assert result is True
    assert [(e["fact"], e["result"]) for e in log] == [("open_weights", "unknown"), ("open_source_license", "true")]


def test_numeric_leaf_records_threshold_value_and_interval() -> None:
    fact_map = {"training_compute_flop": Fact("training_compute_flop", 3e25, 2e25, 4e25)}
    result, log = run({"fact": "training_compute_flop", "op": "gt", "value": "1e25"}, fact_map)
    assert result is True
    assert log == [
        {
            "fact": "training_compute_flop",
            "op": "gt",
            "threshold": 1e25,
            "value": 3e25,
            "low": 2e25,
            "high": 4e25,
            "result": "true",
            "part": "when",
            "deciding": False,
        }
    ]


def test_missing_fact_is_unknown_and_recorded() -> None:
    result, log = run({"fact": "training_compute_flop", "op": "lte", "value": 1}, {})
    assert result is None
    assert log[0]["result"] == "unknown"
    assert log[0]["value"] is None


def test_non_numeric_value_for_a_numeric_fact_is_unknown() -> None:
    fact_map = {"training_compute_flop": Fact("training_compute_flop", "a lot")}
    assert run({"fact": "training_compute_flop", "op": "gt", "value": 1}, fact_map)[0] is None


def test_reference_leaf_compares_with_scaled_interval() -> None:
    leaf = {"fact": "finetune_compute_flop", "op": "gt", "ref": "base_model_compute_flop", "factor": 0.5}
    exact = facts(finetune_compute_flop=6e23, base_model_compute_flop=1e24)
    result, log = run(leaf, {f.name: f for f in exact})
    assert result is True
    assert log[0]["ref"] == "base_model_compute_flop"
    assert log[0]["threshold"] == 5e23
    assert log[0]["factor"] == 0.5
    straddle = facts(finetune_compute_flop=6e23, base_model_compute_flop=(1e24, 2e24))
    result, log = run(leaf, {f.name: f for f in straddle})
    assert result is None
    assert log[0]["threshold"] is None
    assert (log[0]["threshold_low"], log[0]["threshold_high"]) == (5e23, 1e24)
    missing_ref = facts(finetune_compute_flop=6e23)
    assert run(leaf, {f.name: f for f in missing_ref})[0] is None


def test_exactly_one_third_is_not_more_than_one_third() -> None:
    leaf = {"fact": "finetune_compute_flop", "op": "gt", "ref": "base_model_compute_flop", "factor": 1 / 3}
    fact_map = {f.name: f for f in facts(finetune_compute_flop=1e23, base_model_compute_flop=3e23)}
    assert run(leaf, fact_map)[0] is False


@pytest.mark.parametrize(
    ("leaf", "value", "expected"),
    [
        ({"fact": "license", "op": "eq", "value": "Apache-2.0"}, "apache-2.0", True),
        ({"fact": "license", "op": "ne", "value": "mit"}, "MIT", False),
        ({"fact": "license", "op": "in", "value": ["mit", "bsd-3-clause"]}, "MIT", True),
        ({"fact": "license", "op": "not_in", "value": ["mit"]}, "gpl-3.0", True),
        ({"fact": "license", "op": "eq", "value": "mit"}, None, None),
        ({"fact": "license", "op": "eq", "value": "mit"}, 3, None),
    ],
)
def test_string_leaves_fold_case(leaf: dict[str, Any], value: Any, expected: Tri) -> None:
    assert run(leaf, {"license": Fact("license", value)})[0] is expected


@pytest.mark.parametrize(
    ("leaf", "value", "expected"),
    [
        ({"fact": "output_modalities", "op": "contains", "value": "text"}, ["Text", "image"], True),
        ({"fact": "output_modalities", "op": "contains", "value": "audio"}, ["text"], False),
        ({"fact": "output_modalities", "op": "intersects", "value": ["audio", "video"]}, ["video"], True),
        ({"fact": "output_modalities", "op": "intersects", "value": ["audio", "video"]}, [], False),
        ({"fact": "output_modalities", "op": "intersects", "value": ["audio"]}, None, None),
        ({"fact": "output_modalities", "op": "contains", "value": "text"}, "text", None),
    ],
)
def test_list_leaves(leaf: dict[str, Any], value: Any, expected: Tri) -> None:
    assert run(leaf, {"output_modalities": Fact("output_modalities", value)})[0] is expected


@pytest.mark.parametrize(
    ("leaf", "value", "expected"),
    [
        ({"fact": "open_weights", "op": "is_false"}, False, True),
        ({"fact": "open_weights", "op": "is_true"}, "yes", None),
        ({"fact": "open_weights", "op": "eq", "value": False}, False, True),
        ({"fact": "open_weights", "op": "ne", "value": False}, False, False),
        ({"fact": "open_weights", "op": "ne", "value": False}, None, None),
    ],
)
def test_bool_leaves(leaf: dict[str, Any], value: Any, expected: Tri) -> None:
    assert run(leaf, {"open_weights": Fact("open_weights", value)})[0] is expected


def test_known_and_unknown_never_return_unknown() -> None:
    known = {"fact": "base_model_compute_flop", "op": "known"}
    unknown = {"fact": "base_model_compute_flop", "op": "unknown"}
    bounds_only = {"base_model_compute_flop": Fact("base_model_compute_flop", None, 1e23, None)}
    empty = {"base_model_compute_flop": Fact("base_model_compute_flop", None)}
    assert run(known, bounds_only)[0] is True
    assert run(known, empty)[0] is False
    assert run(known, {})[0] is False
    assert run(unknown, {})[0] is True


def test_numeric_membership_leaf() -> None:
    leaf = {"fact": "training_hardware_count", "op": "in", "value": [8, 16]}
    assert run(leaf, {"training_hardware_count": Fact("training_hardware_count", 16)})[0] is True
    assert run(leaf, {"training_hardware_count": Fact("training_hardware_count", None, 9, 15)})[0] is False
    negated = {**leaf, "op": "not_in"}
    assert run(negated, {"training_hardware_count": Fact("training_hardware_count", None, 4, 12)})[0] is None


def test_named_conditions_are_shared_and_labelled_by_part() -> None:
    named = {"published": {"fact": "open_weights", "op": "is_true"}}
    conditions = {k: Condition.model_validate(v) for k, v in named.items()}
    compiler = ConditionCompiler(conditions, source="test")
    use = Condition.model_validate({"use": "published"})
    first = compiler.compile(use, part="when", where="a")
    again = compiler.compile(use, part="when", where="b")
    unless = compiler.compile(use, part="unless", where="c")
    assert first is again
    log: list[dict[str, Any]] = []
    unless({"open_weights": Fact("open_weights", True)}, log)
    assert log[0]["part"] == "unless"


def test_condition_introspection_helpers() -> None:
    named = {"big": Condition.model_validate({"fact": "training_compute_flop", "op": "gt", "value": 1})}
    cond = Condition.model_validate({"all": [{"use": "big"}, {"fact": "open_weights", "op": "is_true"}]})
    assert has_numeric_leaf(cond, named)
    assert not has_numeric_leaf(Condition.model_validate({"fact": "parameters", "op": "known"}), {})
    assert facts_read(cond, named) == {"training_compute_flop", "open_weights"}
