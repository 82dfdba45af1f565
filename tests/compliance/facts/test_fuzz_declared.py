"""Fuzzing declared facts: ``--facts FILE.yaml`` and ``--fact KEY=VALUE``.

Files are mappings of fact names (known, misspelt, not strings) to values of every shape the
loader accepts (numbers, intervals, yes/no, lists, ``{value, low, high, note, source}``) with
hostile values mutated in, dumped as YAML or written as hand-made hostile YAML, then maybe
truncated or spliced; options are ``KEY=VALUE`` strings with hostile numbers and intervals.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from compliance.facts.declared import load_facts_file, parse_fact_option
from compliance.facts.names import FACT_SPECS
from tests.fuzzing import (
    HOSTILE_STRINGS,
    HOSTILE_YAML,
    HUGE_DIGITS,
    YAML_LEAVES,
    feed,
    feed_file,
    fuzz_settings,
    mutated,
    text_mutations,
)

pytestmark = pytest.mark.fuzz

NAMES = st.one_of(st.sampled_from(sorted(FACT_SPECS)), st.sampled_from(["parameter", "Parameters", "", "x" * 300]))
NUMBER_TEXTS = st.sampled_from([
    "7e24", "8e24..2e25", "2e25..8e24", "..", "1..", "..1", "-1..5", "1e400..1e401", "nan..inf", "7B", "15T", "1,024",
    "1_000", "-1", "0", "1e-400", "9" * HUGE_DIGITS, "1" * 400 + "e400", "1..2..3", "  7 B ", "7 XB", "0x10", "½",
])  # fmt: skip
VALUES = st.one_of(
    NUMBER_TEXTS,
    YAML_LEAVES,
    st.sampled_from(["yes", "no", "maybe", "US,CN,ZZ9", ["a", 1, 2.5], [["nested"]], {"value": 1}]),
    st.fixed_dictionaries(
        {"value": st.one_of(NUMBER_TEXTS, YAML_LEAVES)},
        optional={"low": YAML_LEAVES, "high": YAML_LEAVES, "note": YAML_LEAVES, "source": YAML_LEAVES},
    ),
)


@st.composite
def facts_text(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["mapping", "mapping", "hostile", "scalar"]))
    if kind == "hostile":
        return "\n".join(draw(st.lists(st.sampled_from(HOSTILE_YAML), min_size=1, max_size=3)))
    if kind == "scalar":
        return yaml.safe_dump(draw(YAML_LEAVES))
    base = st.dictionaries(NAMES, VALUES, max_size=6)
    tree = draw(mutated(base, leaves=YAML_LEAVES, keys=NAMES, duplicates=False))
    return yaml.safe_dump(tree, allow_unicode=draw(st.booleans()))


@fuzz_settings(250)
@given(facts_text(), st.data())
def test_a_facts_file_gives_facts_or_an_input_error(text: str, data: st.DataObject) -> None:
    outcome = feed_file("facts file", "facts.yaml", data.draw(text_mutations(text)), load_facts_file)
    if isinstance(outcome, list):
        for fact in outcome:
            assert fact.name in FACT_SPECS
            if isinstance(fact.value, float):
                assert math.isfinite(fact.value) and fact.value >= 0


@fuzz_settings(200)
@given(
    NAMES,
    st.one_of(NUMBER_TEXTS, st.sampled_from(HOSTILE_STRINGS), st.text(max_size=30)),
    st.sampled_from(["=", "==", " = ", ""]),
)
def test_a_fact_option_gives_a_fact_or_a_usage_error(name: str, value: Any, sep: str) -> None:
    feed("--fact option", lambda: parse_fact_option(f"{name}{sep}{value}"))
