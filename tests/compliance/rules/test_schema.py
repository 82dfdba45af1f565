"""Every schema defect is a RuleSetError naming the file and the place (rule id and field path)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from compliance.errors import ExitCode, RuleSetError
from compliance.rules.loader import load_rulesets
from compliance.rules.schema import Condition, as_number
from tests.compliance.rules.builders import rule, ruleset
from tests.compliance.rules.conftest import WriteSet

LEAF = {"fact": "training_compute_flop", "op": "gt", "value": 1e25}

# (description, rule overrides, expected place, expected words in the message)
RULE_DEFECTS: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown rule key", {"severty": "high"}, "rule t.rule: severty", "unknown key"),
    ("missing citation", {"citation": None}, "rule t.rule: citation", "missing required key"),
    ("unknown operator", {"when": {**LEAF, "op": "greater"}}, "rule t.rule: when.op", "unknown operator 'greater'"),
    (
        "unknown fact, with a suggestion",
        {"when": {**LEAF, "fact": "training_compute"}},
        "rule t.rule: when.fact",
        "did you mean 'training_compute_flop'",
    ),
    (
        "gt on a string fact",
        {"when": {"fact": "license", "op": "gt", "value": 3}},
        "rule t.rule: when",
        "does not apply to string fact 'license'",
    ),
    (
        "is_true on a numeric fact",
        {"when": {"fact": "parameters", "op": "is_true"}},
        "rule t.rule: when",
        "does not apply to number fact",
    ),
    ("non-numeric threshold", {"when": {**LEAF, "value": "big"}}, "rule t.rule: when", "must be a number"),
    # Found by fuzzing: these loaded, then describing the rule raised OverflowError or ValueError.
    ("infinite threshold", {"when": {**LEAF, "value": float("inf")}}, "rule t.rule: when", "(finite)"),
    ("NaN threshold", {"when": {**LEAF, "value": float("nan")}}, "rule t.rule: when", "(finite)"),
    ("threshold beyond a float", {"when": {**LEAF, "value": 10**400}}, "rule t.rule: when", "(finite)"),
    ("overflowing threshold text", {"when": {**LEAF, "value": "1e400"}}, "rule t.rule: when", "(finite)"),
    (
        "infinite factor",
        {"when": {"fact": "finetune_compute_flop", "op": "gt", "ref": "base_model_compute_flop", "factor": 1e400}},
        "rule t.rule: when",
        "positive and finite",
    ),
    (
        "unknown key inside a nested condition",
        {"when": {"all": [LEAF, {"fact": "open_weights", "op": "is_true", "valu": 1}]}},
        "rule t.rule: when.all[1].valu",
        "unknown key",
    ),
    ("two forms in one node", {"when": {**LEAF, "all": [LEAF]}}, "rule t.rule: when", "exactly one of"),
    ("empty all", {"when": {"all": []}}, "rule t.rule: when.all", "at least 1"),
    (
        "value on a no-value operator",
        {"when": {"fact": "open_weights", "op": "is_true", "value": True}},
        "when",
        "takes no value",
    ),
    ("missing value", {"when": {"fact": "training_compute_flop", "op": "gt"}}, "when", "needs a value"),
    (
        "ref to a non-numeric fact",
        {"when": {"fact": "finetune_compute_flop", "op": "gt", "ref": "license"}},
        "when",
        "not numeric",
    ),
    (
        "ref with a list operator",
        {"when": {"fact": "parameters", "op": "in", "ref": "active_parameters"}},
        "when",
        "only works with gt",
    ),
    (
        "negative factor",
        {"when": {"fact": "finetune_compute_flop", "op": "gt", "ref": "base_model_compute_flop", "factor": -1}},
        "when",
        "must be positive",
    ),
    (
        "unknown country group name in destination_groups",
        {"when": {"fact": "destination_groups", "op": "contains", "value": "D9"}},
        "when",
        "not a known value of 'destination_groups'",
    ),
    (
        "group reference on a list fact",
        {"when": {"fact": "parameters", "op": "in", "value": {"group": "D5"}}},
        "when",
        "only works with string facts",
    ),
    (
        "group reference where destination_groups wants a group name",
        {"when": {"fact": "destination_groups", "op": "contains", "value": {"group": "D5"}}},
        "when",
        "destination_groups holds group names: write the name ('D5')",
    ),
    (
        "group references in an intersects list",
        {"when": {"fact": "destination_groups", "op": "intersects", "value": [{"group": "D5"}]}},
        "when",
        "{fact: destination_groups, op: contains, value: D5}",
    ),
    (
        "group reference with eq",
        {"when": {"fact": "destination_country", "op": "eq", "value": {"group": "D5"}}},
        "when",
        "only works with 'in' or 'not_in'",
    ),
    (
        "inverted dates",
        {"effective_from": date(2025, 5, 13), "effective_until": date(2025, 1, 13)},
        "rule t.rule",
        "must be after",
    ),
    ("equal dates", {"effective_until": date(2025, 1, 1)}, "rule t.rule", "must be after"),
    ("date written as a string", {"effective_from": "soon"}, "rule t.rule: effective_from", "date"),
    ("unknown status", {"status": "repealed"}, "rule t.rule: status", "in_force"),
    ("revoked without an end", {"status": "revoked"}, "rule t.rule", "needs 'effective_until'"),
    ("in force without a start", {"effective_from": None}, "rule t.rule", "needs 'effective_from'"),
    ("superseded without a successor", {"status": "superseded"}, "rule t.rule", "needs 'superseded_by'"),
    ("unknown effect type", {"effect": {"type": "fine"}}, "rule t.rule: effect", "type"),
    (
        "notify_authority without authority",
        {"effect": {"type": "notify_authority", "deadline_days": 14}},
        "rule t.rule: effect.notify_authority.authority",
        "missing",
    ),
    ("bad sourcing tag", {"sourcing": "X"}, "rule t.rule: sourcing", "'V'"),
    ("bad rule id", {"id": "EU.GPAI"}, "rule EU.GPAI: id", "pattern"),
    ("unknown needs fact", {"needs": ["hardware_tops"]}, "rule t.rule: needs", "unknown fact"),
]


@pytest.mark.parametrize(
    ("overrides", "place", "words"), [d[1:] for d in RULE_DEFECTS], ids=[d[0] for d in RULE_DEFECTS]
)
def test_rule_defect_is_an_error_naming_file_and_place(
    write_set: WriteSet, overrides: dict[str, Any], place: str, words: str
) -> None:
    body = rule(**overrides)
    body = {k: v for k, v in body.items() if v is not None or k == "effective_until"}
    path = write_set(ruleset(rules=[body]))
    with pytest.raises(RuleSetError) as info:
        load_rulesets([path])
    err = info.value
    assert err.source == str(path)
    assert err.where is not None and place in err.where
    assert words in err.message
    assert err.exit_code is ExitCode.INPUT
    assert str(path) in str(err)


HEADER_DEFECTS: list[tuple[str, dict[str, Any], str, str]] = [
    ("version as a number", {"version": 2026.11}, "ruleset.version", "string"),
    ("unknown jurisdiction", {"jurisdiction": "JP"}, "ruleset.jurisdiction", "'EU'"),
    ("bad set id", {"id": "Bad_Set"}, "ruleset.id", "pattern"),
    ("market set without markets", {"markets": []}, "ruleset", "needs at least one entry in 'markets'"),
    ("export set with markets", {"scope": {"selected_by": "export"}}, "ruleset", "takes no 'markets'"),
    ("unknown scope key", {"scope": {"selected": "market"}}, "ruleset.scope.selected", "unknown key"),
    ("bad source link", {"sources": [{"title": "x", "link": "ftp://x"}]}, "ruleset.sources[0].link", "pattern"),
]


@pytest.mark.parametrize(
    ("meta", "place", "words"), [d[1:] for d in HEADER_DEFECTS], ids=[d[0] for d in HEADER_DEFECTS]
)
def test_header_defect_is_an_error_naming_the_place(
    write_set: WriteSet, tmp_path: Path, meta: dict[str, Any], place: str, words: str
) -> None:
    doc = ruleset(**meta)
    path = write_set(doc, name="test-set.yaml") if "id" in meta else write_set(doc)
    with pytest.raises(RuleSetError) as info:
        load_rulesets([path])
    assert info.value.where is not None and place in info.value.where
    assert words in info.value.message


def test_unknown_top_level_key_is_an_error(write_set: WriteSet) -> None:
    doc = ruleset()
    doc["rule"] = []
    with pytest.raises(RuleSetError) as info:
        load_rulesets([write_set(doc)])
    assert info.value.where == "rule"
    assert info.value.message == "unknown key"


def test_several_problems_are_counted_in_the_message(write_set: WriteSet) -> None:
    path = write_set(ruleset(rules=[rule(severty="x", sourcing="Q")]))
    with pytest.raises(RuleSetError, match=r"and 1 more problem"):
        load_rulesets([path])


def test_condition_values_are_normalised() -> None:
    leaf = Condition.model_validate({"fact": "training_compute_flop", "op": "gte", "value": "1e25"})
    assert leaf.value == 1e25
    ref = Condition.model_validate({"fact": "finetune_compute_flop", "op": "gt", "ref": "base_model_compute_flop"})
    assert ref.factor == 1.0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1e25, 1e25),
        (7, 7.0),
        ("1e25", 1e25),
        ("3.33e+22", 3.33e22),
        (".5E3", 500.0),
        ("10", None),
        (True, None),
        (float("inf"), None),
        (float("nan"), None),
        ("1e400", None),
        (10**400, None),
    ],
)
def test_as_number_accepts_numbers_and_scientific_strings_only(raw: Any, expected: float | None) -> None:
    assert as_number(raw) == expected
