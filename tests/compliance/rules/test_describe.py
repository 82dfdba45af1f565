"""Conditions and comparisons in plain words."""

from __future__ import annotations

from typing import Any

import pytest

from compliance.rules.describe import describe, explain_comparison, fact_label, format_number
from compliance.rules.schema import Condition


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e25, "1e25"),
        (3.3333333333333335e22, "3.33e22"),
        (4800.0, "4800"),
        (5.92, "5.92"),
        (5e8, "5e8"),
        (0.5, "0.5"),
        # A reference times a factor can overflow; int(inf) raised OverflowError.
        (float("inf"), "infinity"),
        (float("-inf"), "minus infinity"),
        (float("nan"), "NaN"),
    ],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ({"fact": "training_compute_flop", "op": "gt", "value": 1e25}, "training compute > 1e25 FLOP"),
        ({"fact": "hardware_tpp", "op": "gte", "value": 4800}, "total processing performance >= 4800 TPP"),
        ({"fact": "developer_revenue_usd", "op": "gt", "value": 5e8}, "developer's annual revenue > 5e8 USD"),
        ({"fact": "parameters", "op": "lt", "value": 1e10}, "parameters < 1e10"),
        ({"fact": "open_weights", "op": "is_true"}, "weights published"),
        ({"fact": "open_weights", "op": "is_false"}, "not weights published"),
        ({"fact": "base_model", "op": "unknown"}, "base model is unknown"),
        ({"fact": "license", "op": "in", "value": ["mit", "apache-2.0"]}, "license is one of mit, apache-2.0"),
        (
            {"fact": "destination_country", "op": "in", "value": {"group": "D5"}},
            "destination country is one of country group D5",
        ),
        (
            {"fact": "output_modalities", "op": "intersects", "value": ["text", "audio"]},
            "output modalities include any of text, audio",
        ),
        (
            {"fact": "destination_groups", "op": "contains", "value": "AIA_TIER1"},
            "destination country groups include AIA_TIER1",
        ),
        ({"fact": "open_weights", "op": "eq", "value": False}, "weights published is no"),
        (
            {
                "fact": "finetune_compute_flop",
                "op": "gt",
                "ref": "base_model_compute_flop",
                "factor": 0.3333333333333333,
            },
            "modification compute > 1/3 of base model's training compute",
        ),
        (
            {"fact": "finetune_compute_flop", "op": "gte", "ref": "base_model_compute_flop"},
            "modification compute >= base model's training compute",
        ),
    ],
)
def test_leaf_descriptions(raw: dict[str, Any], text: str) -> None:
    assert describe(raw) == text


def test_nesting_gets_parentheses_and_named_conditions_are_spelled_out() -> None:
    named = {
        "open_release": Condition.model_validate(
            {"all": [{"fact": "open_source_license", "op": "is_true"}, {"fact": "open_weights", "op": "is_true"}]}
        )
    }
    cond = Condition.model_validate(
        {
            "all": [
                {"fact": "training_compute_flop", "op": "gt", "value": 1e23},
                {"any": [{"use": "open_release"}, {"not": {"fact": "parameters", "op": "gt", "value": 1e9}}]},
            ]
        }
    )
    assert describe(cond, named) == (
        "training compute > 1e23 FLOP and ((open-source licence and weights published) or not (parameters > 1e9))"
    )
    assert describe(cond) == "training compute > 1e23 FLOP and ('open_release' or not (parameters > 1e9))"


def test_negated_compound() -> None:
    cond = {"not": {"any": [{"fact": "open_weights", "op": "is_true"}, {"fact": "base_model", "op": "known"}]}}
    assert describe(cond) == "not (weights published or base model is known)"


def test_fact_label_falls_back_to_the_name() -> None:
    assert fact_label("training_gpu_hours") == "training gpu hours"


def entry(
    fact: str, op: str, threshold: Any, result: str, low: Any = None, high: Any = None, **extra: Any
) -> dict[str, Any]:
    """A comparison record as the compiler writes it; ``value`` is the point value when low == high."""
    value = low if low is not None and low == high else extra.pop("value", None)
    body = {"fact": fact, "op": op, "threshold": threshold, "value": value, "low": low, "high": high}
    return {**body, "result": result, **extra}


@pytest.mark.parametrize(
    ("record", "text"),
    [
        (
            entry("training_compute_flop", "gt", 1e26, "unknown", 5e25, 2e26),
            "training compute is between 5e25 FLOP and 2e26 FLOP: '> 1e26 FLOP' is undecided",
        ),
        (
            entry("training_compute_flop", "gte", 1e26, "unknown", low=5e25),
            "training compute is at least 5e25 FLOP: '>= 1e26 FLOP' is undecided",
        ),
        (
            entry("training_compute_flop", "gt", 1e26, "unknown", high=2e26),
            "training compute is at most 2e26 FLOP: '> 1e26 FLOP' is undecided",
        ),
        (
            entry("hardware_tpp", "gte", 4800.0, "false", 4707.0, 4707.0),
            "total processing performance is 4707 TPP: '>= 4800 TPP' does not hold",
        ),
        (entry("open_weights", "is_true", None, "unknown"), "weights published is unknown"),
        (
            entry("output_modalities", "intersects", ["text"], "false", value=["image"]),
            "output modalities is image: 'include any of text' does not hold",
        ),
        (
            entry(
                "finetune_compute_flop",
                "gt",
                None,
                "unknown",
                1e23,
                1e23,
                ref="base_model_compute_flop",
                factor=1.0,
                threshold_low=None,
                threshold_high=None,
            ),
            "base model's training compute is unknown",
        ),
    ],
)
def test_explain_comparison(record: dict[str, Any], text: str) -> None:
    assert explain_comparison(record) == text
