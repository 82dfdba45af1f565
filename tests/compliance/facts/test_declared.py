from __future__ import annotations

from pathlib import Path

import pytest

from compliance.errors import InputError, UsageError
from compliance.facts.declared import load_facts_file, parse_fact_option, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7B", 7e9), ("15T", 15e12), ("3.3M", 3.3e6), ("1,024,000", 1024000.0), ("8e24", 8e24), ("2.5k", 2500.0)],
)
def test_numbers_with_suffixes(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "abc", "1e999", "--5", "7 billion", "nan"])
def test_bad_numbers(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text)


def test_interval_declaration_is_an_interval() -> None:
    fact = parse_fact_option("training_compute_flop=8e24..2e25")
    assert (fact.low, fact.high) == (8e24, 2e25)
    assert 8e24 < fact.value < 2e25
    assert fact.method == "declared"
    assert fact.evidence[0].kind == "declared"
    assert fact.evidence[0].detail == "training_compute_flop=8e24..2e25"


def test_booleans_lists_and_strings() -> None:
    assert parse_fact_option("open_weights=yes").value is True
    assert parse_fact_option("open_weights=No").value is False
    assert parse_fact_option("output_modalities=text, image").value == ["text", "image"]
    assert parse_fact_option("base_model=meta-llama/Llama-3.1-8B").value == "meta-llama/Llama-3.1-8B"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("parameters", "KEY=VALUE"),
        ("=5", "KEY=VALUE"),
        ("paramters=7B", "did you mean 'parameters'"),
        ("parameters=lots", "not a number"),
        ("training_compute_flop=2e25..8e24", "low end above"),
        ("parameters=-5", "must be positive"),
        ("parameters=--5", "not a number"),
        ("open_weights=maybe", "yes or no"),
        ("parameters_by_dtype=1", "cannot be declared"),
        ("license=", "non-empty"),
    ],
)
def test_bad_declarations(option: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_fact_option(option)


def test_facts_file(tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text(
        "training_tokens: 15T\n"
        "open_weights: true\n"
        "training_compute_flop: {value: 3.8e25, low: 3e25, high: 5e25, note: from the paper, source: tech report}\n"
    )
    facts = {f.name: f for f in load_facts_file(path)}
    assert facts["training_tokens"].value == 15e12
    assert facts["open_weights"].value is True
    compute = facts["training_compute_flop"]
    assert (compute.value, compute.low, compute.high) == (3.8e25, 3e25, 5e25)
    assert compute.note == "from the paper"
    assert "tech report" in compute.evidence[0].detail


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "mapping"),
        ("nonsense_fact: 1\n", "unknown fact"),
        ("parameters: {value: 1, extra: 2}\n", "unknown keys"),
        ("parameters: {low: 5, high: 1}\n", "low end above"),
        ("parameters: {value: 9, low: 1, high: 5}\n", "low <= value <= high"),
        ("parameters: -5\n", "must be positive"),
        ("developer_revenue_usd: -5\n", "must not be negative"),
        ("license: {low: 1}\n", "only apply to numbers"),
        ("parameters: !!python/object:os.system {}\n", "invalid YAML"),
        (
            "a: &a [1]\nb: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a,"
            " *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a,"
            " *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n",
            "aliases",
        ),
        ("parameters: 1\nparameters: 2\n", "duplicate key"),
        # Found by fuzzing: NaN passed every range check and became a fact; an integer beyond
        # any float raised OverflowError.
        ("active_parameters: .nan\n", "not a finite number"),
        ("training_tokens: .inf\n", "not a finite number"),
        ("parameters: {value: 7e9, low: 1e9, high: .nan}\n", "not a finite number"),
        ("parameters: 1" + "0" * 400 + "\n", "not a finite number"),
    ],
)
def test_bad_facts_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text(text)
    with pytest.raises((InputError, UsageError), match=message) as info:
        load_facts_file(path)
    assert str(path) in str(info.value)


def test_missing_facts_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_facts_file(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        # "--fact training_compute_flop=-1" answered "not a number".
        ("training_compute_flop=-1", "training_compute_flop: must be positive (above 0), got '-1'"),
        ("training_compute_flop=0", "must be positive"),
        ("training_compute_flop=-1e25..2e25", "must be positive"),
        ("training_tokens=-15T", "must be positive"),
        ("hardware_count=0", "must be positive"),
        ("training_utilization=1.5", "must be at most 1"),
        ("developer_revenue_usd=-3", "must not be negative"),
        ("compute_cost_usd=-0.5", "must not be negative"),
        # "--fact destination_groups=ZZ9" was accepted, and no rule could ever match it.
        ("destination_groups=ZZ9", "unknown country group 'ZZ9'; known: AIA_TIER1"),
        ("destination_groups=D5,D9", "unknown country group 'D9'"),
        ("destination_country=Atlantis", "unknown country 'Atlantis'"),
        ("developer_hq_country=XX", "unknown country 'XX'"),
        ("markets=EU,Mars", "unknown market 'Mars'"),
    ],
)
def test_a_value_the_fact_cannot_take_is_refused_saying_why(option: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_fact_option(option)
    assert message in info.value.message


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("finetune_compute_flop=0", 0.0),
        ("developer_revenue_usd=0", 0.0),
        ("training_utilization=0.4", 0.4),
        ("training_compute_flop=+3e25", 3e25),
        ("destination_groups=D:5, d1,D5", ["D5", "D1"]),
        ("destination_groups=AIA_TIER1", ["AIA_TIER1"]),
        ("destination_country=China", "CN"),
        ("developer_hq_country=usa", "US"),
        ("hardware_developer_country=tw", "TW"),
        ("markets=eu, us-ca", ["EU", "US-CA"]),
    ],
)
def test_values_the_fact_can_take_are_accepted_and_normalised(option: str, value: object) -> None:
    assert parse_fact_option(option).value == value


def test_a_facts_file_is_checked_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text("destination_groups: [D5, ZZ9]\n")
    with pytest.raises(InputError, match="unknown country group 'ZZ9'") as info:
        load_facts_file(path)
    assert info.value.where == "destination_groups"
    path.write_text("training_compute_flop: {value: 1e25, low: -1, high: 2e25}\n")
    with pytest.raises(InputError, match="must be positive"):
        load_facts_file(path)
