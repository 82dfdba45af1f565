"""Fuzzing rule-set files and their cases files: load, compile, run the cases, evaluate.

Each input is a shipped rule set (and its cases file) with a few hostile edits: a value
replaced by a wrong type, a huge or non-finite number, a bad date or a hostile string; a key
deleted or added (from the keys rule files use); a value wrapped in a list. The text is then
maybe spliced or truncated. A set that loads is evaluated against a plain and an unknown fact
set and its cases are run, so that what the loader accepts is also safe to use.
"""

from __future__ import annotations

import math
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from compliance.facts.model import Fact, FactSet
from compliance.facts.names import FACT_SPECS
from compliance.hardware.destinations import group_members
from compliance.rules import load_rulesets, run_cases
from compliance.rules.loader import default_rules_dir
from compliance.rules.operators import OPERATORS
from tests.fuzzing import HOSTILE_YAML, YAML_LEAVES, as_bytes, feed, fuzz_settings, mutated, text_mutations

pytestmark = pytest.mark.fuzz

SHIPPED = sorted(p for p in default_rules_dir().glob("*.yaml") if not p.name.endswith(".cases.yaml"))
SETS = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in SHIPPED}
CASES = {p.stem: yaml.safe_load(p.with_name(f"{p.stem}.cases.yaml").read_text(encoding="utf-8")) for p in SHIPPED}


def _keys(tree: Any, out: set[str]) -> set[str]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            out.add(str(key))
            _keys(value, out)
    elif isinstance(tree, list):
        for value in tree:
            _keys(value, out)
    return out


RULE_KEYS = sorted(_keys(list(SETS.values()), set()))
RULE_LEAVES = st.one_of(
    YAML_LEAVES,
    st.sampled_from(sorted(OPERATORS)),
    st.sampled_from(sorted(FACT_SPECS)),
    st.sampled_from([{"group": "D5"}, {"group": "NOPE"}, {"fact": "parameters", "op": "gt", "value": 1e400},
                     {"use": "missing"}, {"all": []}, {"not": {"not": {"not": {}}}}, ["US", 1, None]]),
)  # fmt: skip
NUMBERS = st.one_of(
    st.sampled_from([0, -1, 1e-300, 5e-324, 1e308, 2**63, 10**300, 0.5, math.inf, -math.inf, math.nan]),
    st.floats(allow_nan=True, allow_infinity=True),
)
BAD_DATES = st.sampled_from(["2025-13-45", "2025-02-30", "0000-01-01", "9999-12-31", "2025-1-1", "'2025-01-01'"])


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@st.composite
def rule_set_texts(draw: st.DrawFn) -> tuple[str, str, str]:
    """(rule set id, rule set text, cases text)."""
    set_id = draw(st.sampled_from(sorted(SETS)))
    keys = st.sampled_from(RULE_KEYS)
    if draw(st.booleans()):  # hostile edits anywhere: mostly refused, as they should be
        tree = draw(mutated(st.just(SETS[set_id]), leaves=RULE_LEAVES, keys=keys, max_mutations=4, duplicates=False))
    else:  # extreme but well-typed numbers: sets that load, to evaluate
        tree = draw(mutated(st.just(SETS[set_id]), leaves=NUMBERS, max_mutations=4, ops=("replace",), at=_is_number))
    text = yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)
    if draw(st.booleans()):
        text = re.sub(r"\d{4}-\d{2}-\d{2}", draw(BAD_DATES), text, count=draw(st.integers(1, 3)))
    if draw(st.integers(0, 9)) == 0:
        text += "\n" + draw(st.sampled_from(HOSTILE_YAML))
    cases = draw(mutated(st.just(CASES[set_id]), leaves=RULE_LEAVES, keys=keys, duplicates=False))
    return set_id, draw(text_mutations(text)), yaml.safe_dump(cases, allow_unicode=True)


FACTS = FactSet({
    "parameters": Fact("parameters", 7e9),
    "training_compute_flop": Fact("training_compute_flop", None, low=1e25, high=1e27),
    "open_weights": Fact("open_weights", True),
    "markets": Fact("markets", ["EU", "US"]),
})  # fmt: skip


def _load_and_use(directory: Path) -> None:
    book = load_rulesets([directory], group_resolver=group_members)
    for facts in (FACTS, FactSet()):
        book.evaluate(facts, as_of=date(2026, 6, 1), markets=None, destination="CN")
    run_cases(book)


@fuzz_settings(120)
@given(rule_set_texts())
def test_a_rule_set_loads_or_gives_a_rule_set_error(texts: tuple[str, str, str]) -> None:
    set_id, text, cases = texts
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / f"{set_id}.yaml").write_bytes(as_bytes(text))
        (directory / f"{set_id}.cases.yaml").write_bytes(as_bytes(cases))
        feed("rule set", lambda: _load_and_use(directory), size=len(text) + len(cases))
