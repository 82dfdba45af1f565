"""English number words for generated test phrasings, shared by the tests that spell figures out."""

from __future__ import annotations

ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def words(n: int, *, with_and: bool = False) -> str:
    """English words for 0 <= n < 1,000,000 ("two hundred and fifty" when ``with_and``)."""
    if n < 20:
        return ONES[n]
    if n < 100:
        tens, rest = divmod(n, 10)
        return TENS[tens] + (f"-{ONES[rest]}" if rest else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = f"{ONES[hundreds]} hundred"
        return head if not rest else f"{head} {'and ' if with_and else ''}{words(rest)}"
    thousands, rest = divmod(n, 1000)
    head = f"{words(thousands, with_and=with_and)} thousand"
    if not rest:
        return head
    joiner = " and " if with_and and rest < 100 else " "
    return f"{head}{joiner}{words(rest, with_and=with_and)}"
