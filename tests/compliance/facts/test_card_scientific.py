"""Generated power-of-ten figures: "1.2E12 tokens", "1.5 × 10^6 GPU hours", "7·10⁹ parameters".

Each example writes one figure in a random power-of-ten notation inside one of the sentence or table
frames the other phrasing tests use, optionally beside a distractor; the value read must match the
figure to within the quantifier's interval.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.facts.card import parse_card
from compliance.facts.card.scientific import expand_scientific
from tests.compliance.facts.test_card_phrasings import (
    EXAMPLES,
    HOUR_DISTRACTORS,
    HOUR_FRAMES,
    MODEL_NAME,
    PARAM_DISTRACTORS,
    PARAM_NOUN_FRAMES,
    QUANTIFIERS,
    TOKEN_DISTRACTORS,
    TOKEN_FRAMES,
    Stated,
    assemble,
    fill_frame,
    quantifiers,
)

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


# Notations for mantissa m and exponent e, as cards and papers write them.
NOTATIONS = (
    "{m}e{e}",
    "{m}E{e}",
    "{m}e+{e}",
    "{m} × 10^{e}",
    "{m}x10^{e}",
    "{m}·10{sup}",
    "{m} * 10**{e}",
    "{m} × 10^{{{e}}}",
)


def power_of_ten(draw: st.DrawFn, digits: int, exponent: int) -> str:
    """``digits`` (two significant digits, 10..99) x 10^(``exponent`` - 1) in a random notation."""
    notation = draw(st.sampled_from(NOTATIONS))
    return notation.format(m=f"{digits / 10:g}", e=exponent, sup=str(exponent).translate(_SUPERSCRIPT))


@st.composite
def stated(draw: st.DrawFn, exponents: range, frames: list[tuple[str, bool]], distractors: list[str]) -> Stated:
    """A card fragment stating a two-digit figure times a power of ten drawn from ``exponents``."""
    digits = draw(st.integers(min_value=10, max_value=99))
    exponent = draw(st.sampled_from(exponents))
    figure = power_of_ten(draw, digits, exponent)
    q = draw(quantifiers)
    frame, table = draw(st.sampled_from(frames))
    statement = fill_frame(draw, frame, q, figure)
    low, high = QUANTIFIERS[q]
    value = digits / 10 * 10.0**exponent
    return Stated(assemble(draw, statement, table, distractors), low * value, high * value)


# What each fact's figure ranges over, as powers of ten, with the frames and distractors it appears in.
CASES = {
    "training_tokens": (range(11, 14), TOKEN_FRAMES, TOKEN_DISTRACTORS),
    "training_gpu_hours": (range(4, 8), HOUR_FRAMES, HOUR_DISTRACTORS),
    "parameters": (range(8, 12), PARAM_NOUN_FRAMES, PARAM_DISTRACTORS),
}


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_figures_in_powers_of_ten(name: str, data: st.DataObject) -> None:
    case = data.draw(stated(*CASES[name]))
    fact = parse_card(case.text, model_name=MODEL_NAME).fact(name)
    case.check(None if fact is None else fact.value, name)


def test_learning_rates_and_small_exponents_are_left_alone() -> None:
    text = "lr 3e-4, warm-up 1e2 steps, loss 2.1e0, commit 1e5a3"
    assert expand_scientific(text) == text


def test_mantissa_digits_keep_their_place() -> None:
    assert expand_scientific("6.4e5 A100-hours") == "0.64 million A100-hours"
    assert expand_scientific("1.5e4 hours") == "15 thousand hours"
    assert expand_scientific("1.20E12 tokens") == "1.20 trillion tokens"
    assert expand_scientific("2·10¹² tokens") == "2 trillion tokens"
