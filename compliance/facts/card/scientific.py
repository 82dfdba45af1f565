"""Scientific and engineering notation in card prose, rewritten as the figures the scanner reads.

Cards written by engineers state large quantities as powers of ten: "6.4e5 A100-hours",
"1.2E12 tokens", "3.1 × 10^24 FLOP", "2·10¹² tokens", "1.5x10^6 GPU hours", "4 * 10**9
parameters". The scanner reads digits with a scale word ("0.64 million", "1.2 trillion"), so
:func:`expand_scientific` rewrites each power-of-ten figure into that form, keeping the
mantissa's digits: "6.4e5" is stated to a tenth of 1e5, and "0.64 million" is stated to the same
ten thousand, so the interval read downstream is the one the card gave.

Only exponents from 3 to 30 are rewritten: a negative or small exponent is a learning rate or a
loss ("3e-4", "1e2"), never a training quantity. The pattern is bounded and runs once over the text.
"""

from __future__ import annotations

import re
from decimal import Decimal

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")

SCIENTIFIC = re.compile(
    r"(?<![\w.,])(?P<mantissa>\d{1,4}(?:\.\d{1,6})?)"
    r"(?:[eE]\+?(?P<e>\d{1,2})"
    r"|\s?[x×·*⋅]\s?10\s?(?:\^\s?\{?|\*\*\s?)(?P<caret>\d{1,2})\}?"
    r"|\s?[x×·*⋅]\s?10(?P<sup>[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2}))"
    r"(?![\w.])"
)

_HINT = re.compile(r"\d[eE]\+?\d|10\s?(?:\^|\*\*|[⁰¹²³⁴⁵⁶⁷⁸⁹])")

_SCALES = ((12, "trillion"), (9, "billion"), (6, "million"), (3, "thousand"))


def _as_figure(mantissa: str, exponent: int) -> str:
    """``mantissa`` x 10^``exponent`` as digits and a scale word, keeping the stated digits.

    The scale is the largest at most one power above the figure, so the mantissa's last digit keeps
    its place: "6.4e5" -> "0.64 million" (to the ten thousand, as stated), "1.5e4" -> "15 thousand".
    """
    for power, word in _SCALES:
        if power <= exponent + 1:
            return f"{format(Decimal(mantissa).scaleb(exponent - power), 'f')} {word}"
    return format(Decimal(mantissa).scaleb(exponent), "f")  # pragma: no cover - exponents start at 3


def _replace(match: re.Match[str]) -> str:
    exponent_text = match.group("e") or match.group("caret") or (match.group("sup") or "").translate(_SUPERSCRIPTS)
    exponent = int(exponent_text)
    if not 3 <= exponent <= 30:
        return match.group(0)
    return _as_figure(match.group("mantissa"), exponent)


def expand_scientific(text: str) -> str:
    """``text`` with every power-of-ten figure written as digits and a scale word ("6.4e5" -> "0.64 million")."""
    if not _HINT.search(text):
        return text  # most text has no power of ten: a cheap test spares the full pattern
    return SCIENTIFIC.sub(_replace, text)
