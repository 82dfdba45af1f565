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
  "one-and-a-half"). A word inside another word, an identifier, a path or an address
  ("someone", "num_two", "org/seven-models") is not a number; Markdown emphasis around one is
  ("**twelve trillion**", "_twelve trillion_").
- Left alone: "zero", ordinals ("first", "third"), plurals ("hundreds", "dozens"), vague
  quantities ("a few", "several hundred"), and a number that is part of a fraction it does not
  lead to a scale word with ("two thirds", "three quarters of the data").
- British "and" is read inside a number ("one hundred and five", "two thousand and forty-eight"),
  never between two numbers ("between one million and two million" stays two numbers).

The scan is one bounded regular expression over the text plus a constant amount of work per
number word, so the time is linear in the input and the output is never longer than the input.
A text with more than :data:`MAX_PHRASES` numbers of several words has the rest of them left as
written (single number words are still rewritten), which bounds a hostile card of megabytes of
"a million and a half ..." to well under a second.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
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

# Words read through the grammar in one call. A real card has a few hundred at most; the bound
# keeps a hostile one of megabytes of "a million a million ..." within a second. Single number
# words ("sixteen experts") are rewritten past it, as they cost no parsing.
MAX_PHRASES = 20_000

# Values are kept as integers in millionths, so fractions and decimals are exact.
_ONE = 10**6

# Every pattern below runs on a copy of the text with ASCII letters lower-cased, tabs, carriage
# returns and no-break spaces turned into spaces, and Unicode hyphens and the en dash into "-":
# each character keeps its offset, and the patterns stay small (they compile on first use).
_NORMAL = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ\t\r\u00a0\u202f\u2010\u2011\u2013",
    "abcdefghijklmnopqrstuvwxyz    ---",
)
# Between two words of one number: a few spaces with at most one line break, or one hyphen or
# en dash ("twenty-three", "twenty–three"). An em dash or a blank line ends the number.
_SEP = r"(?: {1,4}(?:\n {0,4})?|\n {0,4}|-)"
# Ends of a word. An underscore counts as a letter inside a word ("num_two") but not as
# Markdown emphasis around one ("_twelve trillion_").
_END = r"(?![^\W_]|_[^\W_])"
_NEXT = _SEP + r"([a-z]{1,12})" + _END


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_OTHER_SMALL = _alternation(w for w in _SMALL if w != "one")
# What may stand after a lone "one" for it to be a number: a unit-like noun, an accelerator
# name ("H100", "TPUv4"), or another number in a range ("one or two", "one–three", "one to 4").
_ONE_UNIT = (
    r"(?:tokens?|parameters?|params?|epochs?|pass(?:es)?|steps?|days?|hours?|weeks?|months?|years?|minutes?"
    r"|gpus?|tpus?|npus?|chips?|accelerators?|nodes?|machines?|servers?|experts?|layers?|heads?)(?![a-z])"
    r"|[a-z]{1,6}\d"
)
# A "one" followed by a second "one" that is itself a number ("one-one tokens", "one-one
# hundred") is one too: otherwise the second becomes digits and a second pass turns "one-1"
# into "1-1".
_ONE_CONTEXT = (
    rf"{_SEP}(?:{_ONE_UNIT}"
    rf"|one{_SEP}(?:{_ONE_UNIT}|(?:hundred|thousand|million|billion|trillion|quadrillion|dozen)(?!\w))"
    rf"|(?:(?:or|to){_SEP})?(?:{_OTHER_SMALL})(?!\w)"
    rf")|(?:{_SEP}(?:or|to){_SEP}|-)\d"
)
# Words that may continue a number, or make it part of a fraction.
_CONTINUATION = (
    r"(?:hundred|thousand|million|billion|trillion|quadrillion|dozen|and|point|half|halves|quarters?|thirds?"
    r"|fifths?)(?!\w)"
)
_DIGITS = {word: str(value) for word, value in _SMALL.items()}
_SIMPLE_WORDS = _alternation(w for w in [*_UNITS, *_TEENS] if w != "one")
# Where a number may start. Number words start one by themselves ("one" only in the context
# above, or when more number words follow). A scale or fraction word is a start only with an
# article or numeral just before it, found by _BEFORE: matching every "a" of the text here
# would make the scan several times slower.
_START = (
    # Not inside a word, a contraction, a path or an address ("someone", "org/seven-models").
    r"(?<![^\W_]|['’/.@#=\\])(?<![^\W_]_)(?:"
    # A number word that nothing continues, the most common case, is replaced without parsing.
    rf"(?P<simple>(?:{_SIMPLE_WORDS}){_END}(?!{_SEP}{_CONTINUATION})"
    rf"|(?:{_alternation(_TENS)}){_END}(?!{_SEP}(?:(?:{_alternation(_UNITS)})(?!\w)|{_CONTINUATION})))"
    rf"|(?P<one>one)(?=(?:{_SEP}(?:hundred|thousand|million|billion|trillion|quadrillion|dozen"
    rf"|and{_SEP}(?:an?|three){_SEP}(?:half|quarters?)|point|quarters?|half)(?!\w))|{_ONE_CONTEXT})"
    rf"|(?P<word>{_OTHER_SMALL})"
    r"|(?P<frac>half|quarters?)"
    r"|(?P<scale>hundred|dozen|thousand|million|billion|trillion|quadrillion)"
    rf"){_END}"
)
_BEFORE = (
    rf"(?<![\w'’.,])(?:(?P<digits>\d{{1,3}}(?:\.\d{{1,{_MAX_DECIMALS}}})?)(?P<and>{_SEP}and)?"
    rf"(?:{_SEP}(?P<art>an?))?|(?P<lone>an?)){_SEP}\Z"
)
# The longest text _BEFORE can match: a numeral, "and a" and three separators.
_BEFORE_REACH = 3 + 1 + _MAX_DECIMALS + 3 * 11 + len("and an")


# "two thirds of" / "3 quarters of" before an article: "a million" there is not one million.
_FRACTION_OF = rf"(?<![^\W_])(?:halves|half|quarters?|thirds?|fifths?){_SEP}of{_SEP}\Z"
_FRACTION_OF_REACH = len("quarters") + 2 * 10 + 2


class _Patterns(NamedTuple):
    start: re.Pattern[str]
    before: re.Pattern[str]
    next: re.Pattern[str]
    fraction_of: re.Pattern[str]


@functools.cache
def _patterns() -> _Patterns:
    """The patterns, compiled on first use: compiling them takes a few milliseconds, which a run
    that reads no card prose should not pay at import."""
    return _Patterns(re.compile(_START), re.compile(_BEFORE), re.compile(_NEXT), re.compile(_FRACTION_OF))


class _Word(NamedTuple):
    """One word of a number (lower-cased, or a numeral) and where it stands."""

    text: str
    start: int
    end: int


class _Reader:
    """The lower-cased text and the words already looked up in it: the grammar asks for the
    word after the same offset several times, and each answer is one regex match."""

    __slots__ = ("_match", "_seen", "low")

    def __init__(self, low: str) -> None:
        self.low = low
        self._match = _patterns().next.match
        self._seen: dict[int, _Word | None] = {}

    def next(self, pos: int) -> _Word | None:
        """The word joined to ``pos`` by a separator, if any."""
        if pos in self._seen:
            return self._seen[pos]
        m = self._match(self.low, pos)
        word = _Word(m.group(1), m.start(1), m.end()) if m else None
        if len(self._seen) > 64:
            self._seen.clear()  # only the last few offsets are ever asked again
        self._seen[pos] = word
        return word


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


def _fraction_tail(rd: _Reader, pos: int) -> tuple[int, int] | None:
    """ "and a half", "and a quarter", "and three quarters" at ``pos``: (millionths, end)."""
    w = rd.next(pos)
    if w is None or w.text != "and":
        return None
    num = rd.next(w.end)
    if num is None or num.text not in _FRACTION_NUMERATORS:
        return None
    noun = rd.next(num.end)
    if noun is None or noun.text not in _FRACTION_NOUNS:
        return None
    if (noun.text == "quarters") != (num.text == "three"):
        return None
    if noun.text == "half" and num.text == "three":
        return None
    return _FRACTION_NUMERATORS[num.text] * _ONE // _FRACTION_NOUNS[noun.text], noun.end


def _decimals(rd: _Reader, pos: int) -> tuple[int, int] | None:
    """ "point five", "point zero five" at ``pos``: (millionths, end)."""
    w = rd.next(pos)
    if w is None or w.text != "point":
        return None
    digits: list[str] = []
    end = w.end
    while len(digits) < _MAX_DECIMALS:
        d = rd.next(end)
        if d is None or d.text not in _DECIMAL_DIGITS:
            break
        digits.append(str(_DECIMAL_DIGITS[d.text]))
        end = d.end
    if not digits:
        return None
    return int("".join(digits).ljust(6, "0")), end


def _below_hundred(rd: _Reader, word: _Word) -> tuple[int, int] | None:
    """A whole number below 100 starting with ``word``: (value, end)."""
    if word.text in _TENS:
        unit = rd.next(word.end)
        if unit is not None and unit.text in _UNITS:
            return _TENS[word.text] + _UNITS[unit.text], unit.end
        return _TENS[word.text], word.end
    if word.text in _SMALL:
        return _SMALL[word.text], word.end
    return None


def _group(rd: _Reader, first: _Word) -> _Group | None:
    """The number below a thousand that ``first`` starts: "twenty-three", "three hundred and
    five", "twelve hundred", "a hundred", "4 hundred", "two dozen", "one and a half"."""
    digits = first.text[0].isdigit()
    if digits:
        whole, _, part = first.text.partition(".")
        value, end = int(whole) * _ONE + int(part.ljust(6, "0") or 0), first.end
    elif first.text in ("a", "an"):
        value, end = _ONE, first.end
    else:
        small = _below_hundred(rd, first)
        if small is None:
            return None
        value, end = small[0] * _ONE, small[1]
    after = rd.next(end)
    if after is not None and after.text in _FOLDED and value < 100 * _ONE:
        value *= _FOLDED[after.text]
        end = after.end
        if after.text == "hundred":
            end, value = _hundred_tail(rd, end, value)
        return _Group(value, end, False)
    if first.text in ("a", "an"):
        return _Group(value, end, True)
    extra = _fraction_tail(rd, end)
    if extra is None and not digits and value < 100 * _ONE:
        extra = _decimals(rd, end)
    if extra is not None:
        value += extra[0]
        end = extra[1]
    return _Group(value, end, False)


def _hundred_tail(rd: _Reader, end: int, value: int) -> tuple[int, int]:
    """The part after "hundred": "and five", "twenty-three" (end, value)."""
    w = rd.next(end)
    if w is not None and w.text == "and":
        w = rd.next(w.end)
    if w is not None:
        rest = _below_hundred(rd, w)
        if rest is not None:
            return rest[1], value + rest[0] * _ONE
    return end, value


def _lead_fraction(rd: _Reader, first: _Word) -> tuple[int, int, _Word] | None:
    """ "half a", "a quarter of a", "three quarters of a" before a scale word:
    (fraction in millionths, end of the word before the scale word, the scale word)."""
    numerator = 1
    noun: _Word | None = first
    if first.text in _FRACTION_NUMERATORS:
        numerator = _FRACTION_NUMERATORS[first.text]
        noun = rd.next(first.end)
    if noun is None or noun.text not in _FRACTION_NOUNS or (noun.text == "quarters") != (numerator == 3):
        return None
    if noun.text == "half" and numerator != 1:
        return None
    before = noun.end  # end of the word before the scale word
    w = rd.next(before)
    if w is not None and w.text == "of":
        before, w = w.end, rd.next(w.end)
    if w is not None and w.text in ("a", "an"):
        before, w = w.end, rd.next(w.end)
    if w is None or (w.text not in _SCALES and w.text not in _FOLDED):
        return None
    return numerator * _ONE // _FRACTION_NOUNS[noun.text], before, w


class _Result(NamedTuple):
    """A number read from the text: the span replaced and its digits."""

    start: int
    end: int
    digits: str


def _first(rd: _Reader, m: re.Match[str]) -> _Word | None:
    """The word a number starts with, for a match of _START: the match itself, or the article
    or numeral before it ("a million", "4 hundred", "2 and a half", "2 and three quarters").
    None when a scale word has neither."""
    word = _Word(m.group(), m.start(), m.end())
    three_quarters = word.text == "three" and _is_next(rd, word.end, "quarters")
    if not (m.group("scale") or m.group("frac") or three_quarters):
        return word
    before = _patterns().before.search(rd.low, max(0, m.start() - _BEFORE_REACH), m.start())
    alone = None if m.group("scale") else word
    if before is None:
        return alone
    if before.group("lone"):
        start = before.start()
        if three_quarters or _patterns().fraction_of.search(rd.low, max(0, start - _FRACTION_OF_REACH), start):
            return alone
        return _Word(before.group("lone"), start, before.end("lone"))
    digits = _Word(before.group("digits"), before.start(), before.end("digits"))
    # A numeral counts before "hundred" or "dozen" ("4 hundred") and in "2 and a half",
    # "2 and three quarters"; "12 million" stays as written.
    if word.text in _FOLDED and not before.group("and") and not before.group("art"):
        return digits
    if before.group("and") and bool(before.group("art")) != three_quarters and not m.group("scale"):
        return digits
    return alone


def _is_next(rd: _Reader, pos: int, text: str) -> bool:
    w = rd.next(pos)
    return w is not None and w.text == text


def _read(rd: _Reader, text: str, first: _Word) -> _Result | None:
    """The whole number that ``first`` starts, or None when these words are not a number."""
    if first.text in _FRACTION_NUMERATORS or first.text in _FRACTION_NOUNS:
        lead = _lead_fraction(rd, first)
        if lead is not None:
            fraction, before, scale = lead
            if scale.text in _KEPT:
                return _Result(first.start, before, _format(fraction))
            multiplier = _FOLDED.get(scale.text) or _SCALES[scale.text]
            return _Result(first.start, scale.end, _format(fraction * multiplier))
        if first.text in _FRACTION_NOUNS:
            return None
    group = _group(rd, first)
    if group is None:
        return None
    return _scaled(rd, text, first.start, group)


def _scaled(rd: _Reader, text: str, start: int, group: _Group) -> _Result | None:
    """The groups and scale words that follow the first group."""
    total, coef, end = 0, group.value, group.end
    largest = 0  # largest scale read so far
    smallest = 0  # scale of the last group added
    kept: tuple[int, int] | None = None  # (multiplier, end before the scale word) while it stands
    scale_word: _Word | None = None
    while True:
        w = rd.next(end)
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
            tail = _fraction_tail(rd, end)  # "a million and a half"
            if tail is not None:
                return _Result(start, tail[1], f"{_format(kept[0] + tail[0])} {text[w.start : w.end]}")
        nxt = rd.next(end)
        joined = nxt is not None and nxt.text == "and"  # "one thousand and twenty-four"
        if joined and nxt is not None:
            nxt = rd.next(nxt.end)
        if nxt is None or nxt.text not in _SMALL:
            break
        follow = _tail_group(rd, nxt, scale, joined)
        if follow is None:
            break
        coef, end = follow
        kept = None
    if group.article and scale_word is None:
        return None
    if kept is not None:
        return _Result(start, kept[1], _format(kept[0]))
    return _Result(start, end, _format(total + coef))


def _tail_group(rd: _Reader, word: _Word, below: int, joined: bool) -> tuple[int, int] | None:
    """A group after a scale word ("two million *five hundred* thousand"): taken only when it
    is smaller than that scale and what follows it is a smaller scale or no scale at all. After
    "and" (``joined``) only a number below a hundred that ends the number is taken: "one
    thousand and twenty", not the second number of "one million and two million"."""
    small = _below_hundred(rd, word)
    if small is None:
        return None
    value, end = small[0] * _ONE, small[1]
    after = rd.next(end)
    if joined and after is not None and (after.text == "hundred" or after.text in _SCALES):
        return None
    if after is not None and after.text == "hundred":
        value *= 100
        end, value = _hundred_tail(rd, after.end, value)
        after = rd.next(end)
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
    result is never longer than ``text``. Past :data:`MAX_PHRASES` numbers of more than one word
    in one text, the rest of such numbers are left as written.
    """
    rd = _Reader(text.translate(_NORMAL))
    out: list[str] = []
    pos = 0
    budget = MAX_PHRASES
    for m in _patterns().start.finditer(rd.low):
        if m.start() < pos:
            continue  # inside a number already rewritten
        simple = m.group("simple")
        if simple:
            out.append(text[pos : m.start()])
            out.append(_DIGITS[simple])
            pos = m.end()
            continue
        if budget == 0:
            continue  # past the budget, only single number words are rewritten
        budget -= 1
        first = _first(rd, m)
        if first is None or first.start < pos:
            continue  # a scale word alone, or its article was part of the number before
        result = _read(rd, text, first)
        if result is None:
            continue
        after = rd.next(result.end)
        if after is not None and after.text in _FRACTION_AFTER:
            continue  # "two thirds", "three quarters of the data"
        out.append(text[pos : result.start])
        out.append(result.digits)
        pos = result.end
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)
