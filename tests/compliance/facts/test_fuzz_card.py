"""Fuzzing the model card parser: YAML front matter and the Markdown prose after it.

Cards are built from the passages of the card test suite (real phrasings of tokens, hours,
hardware and sizes) with their figures replaced by hostile numbers, plus tables, code fences
and HTML, under a front matter that is either a mutated plausible mapping or hand-written
hostile YAML (bad dates, tags, alias bombs, complex keys, huge integers, deep nesting). The
parser's other inputs, the size hint and the model name, are hostile too.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from compliance.facts.card import parse_card
from tests.compliance.facts.fuzz_inputs import HINTS, cards, model_names
from tests.fuzzing import (
    feed,
    fuzz_settings,
)

pytestmark = pytest.mark.fuzz


@fuzz_settings(250)
@given(cards(), HINTS, model_names)
def test_a_card_gives_facts_or_a_model_file_error(text: str, hint: float | None, name: Any) -> None:
    feed("model card", lambda: parse_card(text, parameters_hint=hint, model_name=name), size=len(text), witness=text)
