"""Numbers in the human-readable reports."""

from __future__ import annotations

import pytest

from compliance.report.numbers import count, quantity, sci


@pytest.mark.parametrize(
    ("value", "text"), [(3.8e25, "3.8e25"), (0.0, "0"), (1e-3, "1e-3"), (float("inf"), "inf"), (float("nan"), "nan")]
)
def test_sci(value: float, text: str) -> None:
    # An infinite value made "inf".partition("e") give no exponent: int('') raised ValueError.
    assert sci(value) == text


def test_counts_and_quantities() -> None:
    assert count(8030261248) == "8.03B" and count(None) == "?"
    assert quantity(float("inf"), "FLOP") == "inf" and quantity(True) == "yes"
