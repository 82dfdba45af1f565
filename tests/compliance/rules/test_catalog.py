"""The pure functions behind ``rules list``, ``rules show`` and ``rules validate``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from compliance.errors import RuleSetError, UsageError
from compliance.rules.catalog import list_rules, show_rule, validate_paths
from compliance.rules.loader import load_rulesets
from tests.compliance.rules.builders import rule, ruleset
from tests.compliance.rules.conftest import WriteSet


def test_list_rules_rows(write_set: WriteSet) -> None:
    book = load_rulesets([write_set(ruleset(rules=[rule("a.one"), rule("a.two", severity="low")]))])
    rows = list_rules(book)
    assert [r["id"] for r in rows] == ["a.one", "a.two"]
    assert rows[1] == {
        "id": "a.two",
        "ruleset": "test-set",
        "jurisdiction": "EU",
        "title": "Test rule",
        "status": "in_force",
        "effective_from": "2025-01-01",
        "effective_until": None,
        "severity": "low",
        "effect": "info",
        "sourcing": "V",
    }


def test_show_rule_gives_conditions_as_data_and_words(write_set: WriteSet) -> None:
    conditions = {"published": {"fact": "open_weights", "op": "is_true"}}
    doc = ruleset(conditions=conditions, rules=[rule(unless={"use": "published"})])
    shown = show_rule(load_rulesets([write_set(doc)]), "t.rule")
    assert shown["when"] == {"fact": "training_compute_flop", "op": "gt", "value": 1e25}
    assert shown["when_text"] == "training compute > 1e25 FLOP"
    assert shown["unless"] == {"use": "published"}
    assert shown["unless_text"] == "weights published"
    assert shown["facts"] == ["open_weights", "training_compute_flop"]
    assert shown["ruleset"]["id"] == "test-set"
    assert shown["effect"] == {"type": "info"}
    json.dumps(shown)


def test_show_shipped_rule_with_a_reference() -> None:
    shown = show_rule(load_rulesets(), "eu.gpai.downstream_modifier")
    assert "modification compute > 1/3 of base model's training compute" in shown["when_text"]
    assert "base_model_compute_flop" in shown["facts"]


def test_show_unknown_rule(write_set: WriteSet) -> None:
    with pytest.raises(UsageError):
        show_rule(load_rulesets([write_set(ruleset())]), "nope")


def test_validate_paths_checks_rule_sets_and_cases(write_set: WriteSet, tmp_path: Path) -> None:
    path = write_set(ruleset())
    [info] = validate_paths([path])
    assert info.id == "test-set"
    (tmp_path / "test-set.cases.yaml").write_text(
        yaml.safe_dump([{"rule": "t.nope", "name": "x", "expect": "triggered"}])
    )
    with pytest.raises(RuleSetError, match="not in rule set"):
        validate_paths([path])


def test_validate_shipped_rules() -> None:
    infos = validate_paths()
    assert len(infos) >= 9
