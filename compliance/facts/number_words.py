"""English number words in model-card prose, rewritten as digit numerals.

Cards state their figures in words as often as in digits ("twelve trillion tokens", "one and a
half trillion tokens", "a seven-billion-parameter model", "twenty-three days"). The card parser
reads digits, so :func:`spell_to_digits` rewrites the number words first and leaves every other
character where it was.

The rules, each chosen so the digit patterns downstream read the same figure the words state:

- A number ending in ``million``, ``billion``, ``trillion`` or ``quadrillion`` keeps that scale
  word and only its multiplier becomes digits: "three hundred billion" -> "300 billion",
  "half a trillion" -> "0.5 trillion", "a seven-billion-parameter" -> "a 7-billion-parameter".
  That is how cards write such figures in digits, and the parser already reads "300 billion".
- ``hundred``, ``thousand`` and ``dozen`` are folded into the numeral, as cards write "120,000
  GPU hours" rather than "120 thousand": "one hundred and twenty thousand" -> "120000",
  "a dozen" -> "12". A numeral followed by ``hundred`` is folded too: "4 hundred billion" ->
  "400 billion". Any other numeral is left as written ("1.5 trillion", "12 thousand", "15T").
- A number made of several scale groups becomes one integer: "two million five hundred thousand"
  -> "2500000".
- Fractions: "and a half", "and a quarter", "and three quarters" after a number, "half a" /
  "a quarter of a" / "three quarters of a" before a scale word, "a million and a half", and
  "point" decimals ("one point eight trillion" -> "1.8 trillion").
- ``a`` / ``an`` count as one only directly before a scale word (``hundred``, ``thousand``,
  ``million``, ``billion``, ``trillion``, ``quadrillion``, ``dozen``) or a fraction that leads to
  one: "a trillion tokens" -> "1 trillion tokens", "a few", "a model" unchanged.
- A lone "one" is a pronoun as often as a number ("one of the models", "one-shot"), so it becomes
  "1" only when it starts a longer number ("one hundred", "one and a half"), stands before a
  unit-like noun ("one epoch", "one H100", "one GPU"), or starts a range with another number
  ("one or two", "one to three"). Every other number word (two to ninety-nine) is converted
  wherever it stands as a whole word: "sixteen experts" -> "16 experts".
- Words are matched whole and in any case ("Twelve", "TWELVE"); the parts of one number may be
  joined by spaces, a single line break, a hyphen or an en dash ("twenty-three", "twenty–three",
  "one-and-a-half"). "zero", ordinals ("first", "third"), plurals ("hundreds", "dozens") and
  vague quantities ("a few", "several") are left alone.

The scan is one bounded regular expression over the text plus a constant amount of work per
number word, so the time is linear in the input and the output is never longer than the input.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_UNITS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SMALL = {**_UNITS, **_TEENS, **_TENS}
# Multipliers that come after a number. Those in _KEPT stay as words after the digits.
_SCALES = {
    "thousand": 10**3,
    "million": 10**6,
    "billion": 10**9,
    "trillion": 10**12,
    "quadrillion": 10**15,
}
_KEPT = frozenset({"million", "billion", "trillion", "quadrillion"})
_FOLDED = {"hundred": 100, "dozen": 12}
# Digits after "point": "one point eight", "two point zero five".
_DECIMAL_DIGITS = {**_UNITS, "zero": 0}
_MAX_DECIMALS = 6
# Fractions that lead to a scale word: "half a million", "a quarter of a billion".
_FRACTION_NOUNS = {"half": 2, "quarter": 4, "quarters": 4}
_FRACTION_NUMERATORS = {"a": 1, "an": 1, "one": 1, "three": 3}
# Words after a number that make it part of a fraction ("two thirds", "three quarters of the
# data"): the number is left as written.
_FRACTION_AFTER = frozenset({"half", "halves", "third", "thirds", "quarter", "quarters", "fifth", "fifths"})

# Values are kept as integers in millionths, so fractions and decimals are exact.
_ONE = 10**6

_SPACE = r"[ \t\u00a0\u202f]"
# Between two words of one number: a few spaces with at most one line break, or one hyphen or
# en dash ("twenty-three", "twenty–three"). An em dash or a blank line ends the number.
_SEP = rf"(?:{_SPACE}{{1,4}}(?:\r?\n{_SPACE}{{0,4}})?|\r?\n{_SPACE}{{0,4}}|[-\u2010\u2011\u2013])"
_NEXT = re.compile(_SEP + r"([A-Za-z]{1,12})(?!\w)")


def _alternation(words: object) -> str:
    return "|".join(sorted(words, key=len, reverse=True))  # type: ignore[call-overload]


_SCALE_WORD = _alternation([*_SCALES, *_FOLDED])
# What may stand after a lone "one" for it to be a number: a unit-like noun, an accelerator
# name ("H100", "TPUv4"), or another number in a range ("one or two", "one–three", "one to 4").
_OTHER_SMALL = _alternation(w for w in _SMALL if w != "one")
_ONE_CONTEXT = (
    rf"{_SEP}(?:"
    r"(?:tokens?|parameters?|params?|epochs?|pass(?:es)?|steps?|days?|hours?|weeks?|months?|years?|minutes?"
    r"|gpus?|tpus?|npus?|chips?|accelerators?|nodes?|machines?|servers?|experts?|layers?|heads?)(?![A-Za-z])"
    r"|(?-i:[A-Z]{1,6}[a-z]{0,2}\d)"
    rf"|(?:(?:or|to){_SEP})?(?:{_OTHER_SMALL})(?!\w)"
    rf")|(?:{_SEP}(?:or|to){_SEP}|[-\u2013])\d"
)
_START = re.compile(
    r"(?<![\w'’])(?:"
    rf"(?P<one>one)(?={_SEP}(?:{_SCALE_WORD}|and{_SEP}an?{_SEP}(?:half|quarter)|point|quarters?|half)(?!\w)"
    rf"|{_ONE_CONTEXT})"
    rf"|(?P<word>{_OTHER_SMALL})"
    rf"|(?P<art>an?)(?={_SEP}(?:{_SCALE_WORD}|half|quarter)(?!\w))"
    rf"|(?P<frac>half|quarter)(?={_SEP}(?:of{_SEP})?(?:an?{_SEP})?(?:{_SCALE_WORD})(?!\w))"
    r")(?!\w)"
    rf"|(?<![\w.,])(?P<digits>\d{{1,3}}(?:\.\d{{1,{_MAX_DECIMALS}}})?)"
    rf"(?={_SEP}(?:hundred|dozen|and{_SEP}an?{_SEP}(?:half|quarter))(?!\w))",
    re.IGNORECASE,
)
# Comments on the pattern above: a lone "one" needs the context in _ONE_CONTEXT; "a"/"an" count
# only before a scale word or a fraction leading to one; a numeral is read only before "hundred",
# "dozen" or "and a half", the cases where the digits alone would state the wrong figure.


class _Word(NamedTuple):
    """One word of a number: its lower-cased text and where it stands."""

    text: str
    start: int
    end: int


def _next(text: str, pos: int) -> _Word | None:
    """The word joined to ``pos`` by a separator, if any."""
    m = _NEXT.match(text, pos)
    return _Word(m.group(1).lower(), m.start(1), m.end()) if m else None


def _format(value: int) -> str:
    """A value in millionths as a plain decimal numeral ("1.5", "0.25", "120000")."""
    whole, part = divmod(value, _ONE)
    if not part:
        return str(whole)
    return f"{whole}.{part:06d}".rstrip("0")


class _Group(NamedTuple):
    """A number below a thousand (possibly with a fraction), as read so far."""

    value: int  # millionths
    end: int
    article: bool  # only "a"/"an": a number only if a scale word follows


def _fraction_tail(text: str, pos: int) -> tuple[int, int] | None:
    """ "and a half", "and a quarter", "and three quarters" at ``pos``: (millionths, end)."""
    w = _next(text, pos)
    if w is None or w.text != "and":
        return None
    num = _next(text, w.end)
    if num is None or num.text not in _FRACTION_NUMERATORS:
        return None
    noun = _next(text, num.end)
    if noun is None or noun.text not in _FRACTION_NOUNS:
        return None
    if (noun.text == "quarters") != (num.text == "three"):
        return None
    if noun.text == "half" and num.text == "three":
        return None
    return _FRACTION_NUMERATORS[num.text] * _ONE // _FRACTION_NOUNS[noun.text], noun.end


def _decimals(text: str, pos: int) -> tuple[int, int] | None:
    """ "point five", "point zero five" at ``pos``: (millionths, end)."""
    w = _next(text, pos)
    if w is None or w.text != "point":
        return None
    digits: list[str] = []
    end = w.end
    while len(digits) < _MAX_DECIMALS:
        d = _next(text, end)
        if d is None or d.text not in _DECIMAL_DIGITS:
            break
        digits.append(str(_DECIMAL_DIGITS[d.text]))
        end = d.end
    if not digits:
        return None
    return int("".join(digits).ljust(6, "0")), end


def _below_hundred(text: str, word: _Word) -> tuple[int, int] | None:
    """A whole number below 100 starting with ``word``: (value, end)."""
    if word.text in _TENS:
        unit = _next(text, word.end)
        if unit is not None and unit.text in _UNITS:
            return _TENS[word.text] + _UNITS[unit.text], unit.end
        return _TENS[word.text], word.end
    if word.text in _SMALL:
        return _SMALL[word.text], word.end
    return None


def _group(text: str, first: re.Match[str]) -> _Group | None:
    """The number below a thousand that ``first`` starts: "twenty-three", "three hundred and
    five", "twelve hundred", "a hundred", "4 hundred", "two dozen", "one and a half"."""
    article = False
    if first.group("digits"):
        whole, _, part = first.group("digits").partition(".")
        value = int(whole) * _ONE + int(part.ljust(6, "0") or 0)
        end = first.end()
    elif first.group("art"):
        value, end, article = _ONE, first.end(), True
    else:
        word = _Word(first.group().lower(), first.start(), first.end())
        small = _below_hundred(text, word)
        if small is None:
            return None
        value, end = small[0] * _ONE, small[1]
    after = _next(text, end)
    if after is not None and after.text in _FOLDED and value < 100 * _ONE:
        value *= _FOLDED[after.text]
        end = after.end
        if after.text == "hundred":
            end, value = _hundred_tail(text, end, value)
        return _Group(value, end, False)
    if article:
        return _Group(value, end, True)
    extra = _fraction_tail(text, end)
    if extra is None and not first.group("digits") and value < 100 * _ONE:
        extra = _decimals(text, end)
    if extra is not None:
        value += extra[0]
        end = extra[1]
    return _Group(value, end, False)


def _hundred_tail(text: str, end: int, value: int) -> tuple[int, int]:
    """The part after "hundred": "and five", "twenty-three" (end, value)."""
    w = _next(text, end)
    if w is not None and w.text == "and":
        w = _next(text, w.end)
    if w is not None:
        rest = _below_hundred(text, w)
        if rest is not None:
            return rest[1], value + rest[0] * _ONE
    return end, value


def _lead_fraction(text: str, first: re.Match[str]) -> tuple[int, int, _Word] | None:
    """ "half a", "a quarter of a", "three quarters of a" before a scale word:
    (fraction in millionths, end of the word before the scale word, the scale word)."""
    word = _Word(first.group().lower(), first.start(), first.end())
    numerator = 1
    if word.text in _FRACTION_NUMERATORS:
        numerator = _FRACTION_NUMERATORS[word.text]
        noun = _next(text, word.end)
        if noun is None:
            return None
    else:
        noun = word
    if noun.text not in _FRACTION_NOUNS or (noun.text == "quarters") != (numerator == 3):
        return None
    if noun.text == "half" and numerator != 1:
        return None
    before = noun.end  # end of the word before the scale word
    w = _next(text, before)
    if w is not None and w.text == "of":
        before, w = w.end, _next(text, w.end)
    if w is not None and w.text in ("a", "an"):
        before, w = w.end, _next(text, w.end)
    if w is None or (w.text not in _SCALES and w.text not in _FOLDED):
        return None
    return numerator * _ONE // _FRACTION_NOUNS[noun.text], before, w


class _Result(NamedTuple):
    """A number read from the text: the span replaced and its digits."""

    start: int
    end: int
    digits: str


def _read(text: str, first: re.Match[str]) -> _Result | None:
    """The whole number that ``first`` starts, or None when these words are not a number."""
    start = first.start()
    if first.group("frac") or first.group("art") or first.group().lower() in ("one", "three"):
        lead = _lead_fraction(text, first)
        if lead is not None:
            fraction, before, scale = lead
            if scale.text in _KEPT:
                return _Result(start, before, _format(fraction))
            multiplier = _FOLDED.get(scale.text) or _SCALES[scale.text]
            return _Result(start, scale.end, _format(fraction * multiplier))
    if first.group("frac"):
        return None
    group = _group(text, first)
    if group is None:
        return None
    return _scaled(text, start, group)


def _scaled(text: str, start: int, group: _Group) -> _Result | None:
    """The groups and scale words that follow the first group."""
    total, coef, end = 0, group.value, group.end
    largest = 0  # largest scale read so far
    smallest = 0  # scale of the last group added
    kept: tuple[int, int] | None = None  # (multiplier, end before the scale word) while it stands
    scale_word: _Word | None = None
    while True:
        w = _next(text, end)
        if w is None or w.text not in _SCALES:
            break
        scale = _SCALES[w.text]
        if scale > largest:
            kept = (total + coef, end) if w.text in _KEPT else None
            total = (total + coef) * scale
        elif scale < smallest and coef:
            kept = None
            total += coef * scale
        else:
            break
        largest, smallest, coef, end, scale_word = max(largest, scale), scale, 0, w.end, w
        if kept is not None:
            tail = _fraction_tail(text, end)  # "a million and a half"
            if tail is not None:
                return _Result(start, tail[1], f"{_format(kept[0] + tail[0])} {text[w.start : w.end]}")
        nxt = _next(text, end)
        if nxt is None or nxt.text not in _SMALL:
            break
        follow = _tail_group(text, nxt, scale)
        if follow is None:
            break
        coef, end = follow
        kept = None
    if group.article and scale_word is None:
        return None
    if kept is not None:
        return _Result(start, kept[1], _format(kept[0]))
    return _Result(start, end, _format(total + coef))


def _tail_group(text: str, word: _Word, below: int) -> tuple[int, int] | None:
    """A group after a scale word ("two million *five hundred* thousand"): taken only when it
    is smaller than that scale and what follows it is a smaller scale or no scale at all."""
    small = _below_hundred(text, word)
    if small is None:
        return None
    value, end = small[0] * _ONE, small[1]
    after = _next(text, end)
    if after is not None and after.text == "hundred":
        value *= 100
        end, value = _hundred_tail(text, after.end, value)
        after = _next(text, end)
    if after is not None and after.text in _SCALES and _SCALES[after.text] >= below:
        return None
    if after is not None and after.text in _FRACTION_AFTER:
        return None
    if value >= below * _ONE:
        return None
    return value, end


def spell_to_digits(text: str) -> str:
    """Return ``text`` with English number words rewritten as digit numerals.

    Everything that is not part of a number is left exactly as it was (spacing, punctuation,
    case). Numbers ending in million, billion, trillion or quadrillion keep that word ("twelve
    trillion" -> "12 trillion"); hundred, thousand and dozen are folded into the numeral ("one
    hundred and twenty thousand" -> "120000"). A lone "one" is converted only before a unit-like
    noun or as the start of a range; see the module docstring for every rule. Linear time; the
    result is never longer than ``text``.
    """
    out: list[str] = []
    pos = 0
    for m in _START.finditer(text):
        if m.start() < pos:
            continue  # inside a number already rewritten
        result = _read(text, m)
        if result is None:
            continue
        after = _next(text, result.end)
        if after is not None and after.text in _FRACTION_AFTER:
            continue  # "two thirds", "three quarters of the data"
        out.append(text[pos : result.start])
        out.append(result.digits)
        pos = result.end
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)
