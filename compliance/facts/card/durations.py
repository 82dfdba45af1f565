"""Wall-clock training time as cards write it: "21 days", "a fortnight", "a week and a half",
"two and a half months", "a couple of days", "3–4 weeks", "roughly a month".

Text is spelled into digits before it is scanned (number_words.spell_to_digits), so "two and a half
months" arrives as "2.5 months"; a lone article or "one" before a unit is left as written ("a
month"). A month is 30 days. Where the card is vague the interval says so: "a couple of days" is two
to three days, "a few weeks" two to five weeks, "3–4 weeks" three to four.
"""

from __future__ import annotations

import re

from compliance.facts.card.limits import HOURS_PER_UNIT, PARAM_REL_CAP
from compliance.facts.card.quantities import Quantity, interval, parse_number, ulp

DURATION = re.compile(
    r"(?<![A-Za-z0-9.,])"
    r"(?:(?P<lo>\d{1,4}(?:\.\d{1,2})?)\s?(?:-|–|—|to|or)\s?)?"
    r"(?P<num>\d{1,5}(?:\.\d{1,2})?|(?i:a\scouple\sof|a\scouple|couple\sof|a\sfew|an?|one))[\s-]"
    r"(?P<unit>(?i:hours?|days?|weeks?|fortnights?|months?|years?))"
    r"(?P<part>\s(?i:and\sa\shalf|and\sa\squarter))?"
    r"(?![A-Za-z])"
)

ONE_WORDS = ("a", "an", "one")
# Vague counts: the value read and the span of counts the words allow.
_COUPLE = (2.0, 2.0, 3.0)
_VAGUE = {"a couple of": _COUPLE, "a couple": _COUPLE, "couple of": _COUPLE, "a few": (3.0, 2.0, 5.0)}
_PARTS = {"and a half": 0.5, "and a quarter": 0.25}
# "trained over five weeks" spans five weeks; "took over five weeks" is more than five.
_OVER_AS_DURING = re.compile(r"(?i:(?:train(?:ed|ing)?|ran|run|conducted|performed|spread|carried out|done)\sover\s)$")
MAX_DURATION_HOURS = 5 * 8760


def duration_quantity(match: re.Match[str], text: str) -> Quantity | None:
    """Hours and interval of a :data:`DURATION` match, reading the quantifier before it."""
    num = " ".join(match.group("num").lower().split())
    unit = match.group("unit").lower().rstrip("s")
    per = HOURS_PER_UNIT[unit]
    part = _PARTS.get(" ".join((match.group("part") or "").lower().split()), 0.0)
    before = text[: match.start()]
    if _OVER_AS_DURING.search(before[-30:]):
        before = before[: -len("over ")]
    if num in _VAGUE:
        n, low, high = _VAGUE[num]
        return Quantity((n + part) * per, (low + part) * per, (high + part) * per, "about")
    if num in ONE_WORDS:
        n, rel = 1.0 + part, PARAM_REL_CAP
    else:
        n = parse_number(num) + part
        rel = min(0.5 * ulp(num) / n, PARAM_REL_CAP) if n else 0.0
    hours = n * per
    if not 0 < hours <= MAX_DURATION_HOURS:
        return None
    lo = match.group("lo")
    if lo is not None and 0 < parse_number(lo) < n:
        # A range ("3–4 weeks", "one to two months"): the middle, bounded by both ends.
        low = parse_number(lo) * per
        return Quantity((low + hours) / 2, low, hours, "about")
    return interval(hours, rel, before, False)


def first_duration(text: str) -> Quantity | None:
    """The first training duration stated in ``text``, or None."""
    for match in DURATION.finditer(text):
        q = duration_quantity(match, text)
        if q is not None:
            return q
    return None
