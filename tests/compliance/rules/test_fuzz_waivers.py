"""Fuzzing waiver files: load them, then match them against hostile model ids.

A waiver file is a list of ``{rule, model, reason, owner, expires}``; the inputs start as a
valid list and get hostile edits (bad dates, wrong types, hostile globs, missing or unknown
keys), hand-made hostile YAML, truncation and splices. Loaded waivers are applied to findings
of hostile model ids, so that a glob the loader accepts is also safe to match.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from compliance.rules import apply_waivers, load_waivers
from tests.fuzzing import (
    HOSTILE_STRINGS,
    HOSTILE_YAML,
    YAML_LEAVES,
    feed_file,
    fuzz_settings,
    mutated,
    text_mutations,
)

pytestmark = pytest.mark.fuzz

GLOBS = st.sampled_from(["acme/*", "*", "*" * 500, "[", "[!]", "[a-", "**/**", "?" * 300, "a*" * 200 + "b", "\\"])
WAIVER = st.fixed_dictionaries(
    {
        "rule": st.sampled_from(["eu.ai_act.gpai.systemic_risk", "us-ca.sb53.frontier_developer", "x"]),
        "model": st.one_of(GLOBS, st.sampled_from(HOSTILE_STRINGS)),
        "reason": st.just("reviewed"),
        "owner": st.just("legal@example.com"),
        "expires": st.dates(),
    }
)
KEYS = st.sampled_from(["rule", "model", "reason", "owner", "expires", "extra"])
MODEL_IDS = st.one_of(st.sampled_from(["acme/model", "a" * 200 + "b", "A" * 96 + "/" + "a" * 96]), st.text(max_size=40))


@st.composite
def waiver_texts(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:
        return "\n".join(draw(st.lists(st.sampled_from(HOSTILE_YAML), min_size=1, max_size=3)))
    tree = draw(mutated(st.lists(WAIVER, max_size=4), leaves=YAML_LEAVES, keys=KEYS, duplicates=False))
    text = yaml.safe_dump(tree, allow_unicode=True)
    if draw(st.booleans()):
        bad = draw(st.sampled_from(["2025-13-45", "2025-02-30", "2025-00-10", "99999-01-01"]))
        text = re.sub(r"\d{4}-\d{2}-\d{2}", bad, text, count=1)
    return draw(text_mutations(text))


def _load_and_apply(path: Path, model_id: str) -> None:
    waivers = load_waivers(path)
    apply_waivers([], model_id, waivers, date(2026, 1, 1))


@fuzz_settings(150)
@given(waiver_texts(), MODEL_IDS)
def test_a_waiver_file_loads_or_gives_a_rule_set_error(text: str, model_id: str) -> None:
    feed_file("waivers file", "waivers.yaml", text, lambda path: _load_and_apply(path, model_id))
