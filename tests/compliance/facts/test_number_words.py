"""Number words in card prose rewritten as digits (compliance.facts.number_words)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.facts import number_words
from compliance.facts.number_words import spell_to_digits
from tests.compliance.facts.spelling import ONES, TENS, words

# ---------------------------------------------------------------------------------------------
# Stated behaviour, one case each


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # scale words kept after the digits
        ("twelve trillion tokens", "12 trillion tokens"),
        ("more than fifteen trillion", "more than 15 trillion"),
        ("three hundred billion", "300 billion"),
        ("four hundred and five billion tokens", "405 billion tokens"),
        ("ninety-nine quadrillion", "99 quadrillion"),
        ("a trillion tokens", "1 trillion tokens"),
        ("a million GPU hours", "1 million GPU hours"),
        ("A trillion tokens", "1 trillion tokens"),
        ("an additional a billion", "an additional 1 billion"),
        ("Twelve trillion", "12 trillion"),
        ("TWELVE TRILLION TOKENS", "12 TRILLION TOKENS"),
        ("Twelve Trillion Tokens", "12 Trillion Tokens"),
        ("twelve  trillion", "12  trillion"),
        # fractions
        ("one and a half trillion tokens (1,500B)", "1.5 trillion tokens (1,500B)"),
        ("two and a half million GPU hours", "2.5 million GPU hours"),
        ("half a trillion tokens", "0.5 trillion tokens"),
        ("a quarter of a million", "0.25 million"),
        ("a quarter million GPU hours", "0.25 million GPU hours"),
        ("three quarters of a billion", "0.75 billion"),
        ("three-quarters of a trillion tokens", "0.75 trillion tokens"),
        ("a half million", "0.5 million"),
        ("one-and-a-half trillion", "1.5 trillion"),
        ("One and a half trillion", "1.5 trillion"),
        ("two and a quarter trillion", "2.25 trillion"),
        ("seven and three quarters billion", "7.75 billion"),
        ("one and three quarters billion", "1.75 billion"),
        ("2 and three quarters million", "2.75 million"),
        ("a million and a half GPU hours", "1.5 million GPU hours"),
        ("one and a half days", "1.5 days"),
        ("one point eight trillion tokens", "1.8 trillion tokens"),
        ("two point zero five", "2.05"),
        # hyphens and dashes
        ("a seven-billion-parameter model", "a 7-billion-parameter model"),
        ("twenty-three days", "23 days"),
        ("twenty three days", "23 days"),
        ("twenty–three days", "23 days"),
        ("twenty\u2011three days", "23 days"),
        ("Twenty-Three days", "23 days"),
        ("twenty-three-day run", "23-day run"),
        ("a sixteen-expert layer", "a 16-expert layer"),
        ("twenty\nthree days", "23 days"),
        ("twenty\r\nthree days", "23 days"),
        ("twelve\u00a0trillion\ttokens", "12\u00a0trillion\ttokens"),
        ("twenty\tthree", "23"),
        # Markdown emphasis
        ("**Twelve trillion** tokens", "**12 trillion** tokens"),
        ("_twelve trillion_ tokens", "_12 trillion_ tokens"),
        ("_sixteen_ experts", "_16_ experts"),
        # hundred, thousand and dozen folded into the numeral
        ("one hundred and twenty thousand", "120000"),
        ("one hundred twenty thousand GPU hours", "120000 GPU hours"),
        ("twelve hundred GPUs", "1200 GPUs"),
        ("a hundred GPUs", "100 GPUs"),
        ("a hundred billion tokens", "100 billion tokens"),
        ("a thousand GPUs", "1000 GPUs"),
        ("sixteen thousand H100 GPUs", "16000 H100 GPUs"),
        ("a dozen nodes", "12 nodes"),
        ("two dozen nodes", "24 nodes"),
        ("half a dozen runs", "6 runs"),
        ("two and a half thousand GPUs", "2500 GPUs"),
        # several scale groups become one integer
        ("two million five hundred thousand GPU hours", "2500000 GPU hours"),
        ("one thousand and twenty-four GPUs", "1024 GPUs"),
        ("a thousand million", "1000 million"),
        ("one hundred and twenty thousand million", "120000 million"),
        # plain counts
        ("sixteen experts", "16 experts"),
        ("eight H100 GPUs", "8 H100 GPUs"),
        ("two months", "2 months"),
        ("Sixteen experts", "16 experts"),
        ("forty-two layers", "42 layers"),
        ("ninety nine", "99"),
        ("an eight-GPU node", "an 8-GPU node"),
        ("two-stage training", "2-stage training"),
        # a lone "one": before a unit-like noun or in a range only
        ("one epoch", "1 epoch"),
        ("on one node", "on 1 node"),
        ("One H100 GPU", "1 H100 GPU"),
        ("one or two GPUs", "1 or 2 GPUs"),
        ("one to three weeks", "1 to 3 weeks"),
        ("one–3 days", "1–3 days"),
        ("one hundred GPUs", "100 GPUs"),
        ("one million tokens", "1 million tokens"),
        ("twenty-one days", "21 days"),
        # numerals mixed with words
        ("4 hundred billion", "400 billion"),
        ("4 hundred and twenty billion", "420 billion"),
        ("2 and a half million GPU hours", "2.5 million GPU hours"),
        ("2 dozen", "24"),
        # ranges and neighbours stay separate numbers
        ("between one million and two million", "between 1 million and 2 million"),
        ("two million–three million", "2 million–3 million"),
        ("two–three days", "2–3 days"),
        ("two, three", "2, 3"),
        ("twenty\n\nthree", "20\n\n3"),
        ("twenty—three", "20—3"),
        ("nineteen ninety", "19 90"),
    ],
)
def test_number_words_become_digits(text: str, expected: str) -> None:
    assert spell_to_digits(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "one of the models",
        "One of the models in this family",
        "no one",
        "someone once said",
        "tension often arises in the network",
        "weighted sampling",
        "alone, phones, bones, tone, ones",
        "the model's own one-shot results and a one-to-one mapping",
        "Llama 3.1 8B",
        "a 7-billion-parameter model",
        "1.5 trillion tokens",
        "15T tokens",
        "12 million GPU hours",
        "12 thousand GPUs",
        "1,500B tokens",
        "the first stage, the second stage and the third",
        "a twelfth of the data",
        "a few GPUs",
        "several hundred billion tokens",
        "dozens of models",
        "hundreds of GPUs and thousands of nodes",
        "millions of tokens, billions of parameters",
        "zero-shot and few-shot",
        "two thirds of the data",
        "two thirds of a million",
        "3 quarters of a million",
        "three quarters of the tokens",
        "a quarter of the data",
        "half of the tokens",
        "half the GPUs",
        "a half-day workshop",
        "a model, an epoch, a hundredth",
        "sevenfold, eighteenth, tenfold",
        "https://example.org/seven-models/twelve.md and user@two",
        "num_two",
        "",
    ],
)
def test_text_without_a_number_stays_as_it_was(text: str) -> None:
    assert spell_to_digits(text) == text


def test_a_card_paragraph() -> None:
    paragraph = (
        "The model was pretrained on more than fifteen trillion tokens of public data, followed by a\n"
        "two-stage annealing run of one hundred billion tokens. Training took twenty-three days on\n"
        "sixteen thousand H100 GPUs, about two and a half million GPU hours in total. One of the models\n"
        "in this family, a seven-billion-parameter variant, was distilled from Llama 3.1 8B and 70B."
    )
    assert spell_to_digits(paragraph) == (
        "The model was pretrained on more than 15 trillion tokens of public data, followed by a\n"
        "2-stage annealing run of 100 billion tokens. Training took 23 days on\n"
        "16000 H100 GPUs, about 2.5 million GPU hours in total. One of the models\n"
        "in this family, a 7-billion-parameter variant, was distilled from Llama 3.1 8B and 70B."
    )


def test_past_the_phrase_budget_only_single_words_are_rewritten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(number_words, "MAX_PHRASES", 2)
    text = "a million, a million, a million, sixteen experts"
    assert spell_to_digits(text) == "1 million, 1 million, a million, 16 experts"


# ---------------------------------------------------------------------------------------------
# Generated phrasings

_UNITS = ["tokens", "GPU hours", "days", "GPUs", "parameters"]
_KEPT_SCALES = {"million": 10**6, "billion": 10**9, "trillion": 10**12}


@st.composite
def _spelled(draw: st.DrawFn, n: int) -> str:
    """``n`` (1..999) in words, with a random choice of joiners, "and" and capitalisation."""
    hundreds, rest = divmod(n, 100)
    words: list[str] = []
    if hundreds:
        words += [ONES[hundreds], "hundred"]
        if rest and draw(st.booleans()):
            words.append("and")
    if rest >= 20 and rest % 10:
        joiner = draw(st.sampled_from(["-", " ", "–"]))
        words.append(TENS[rest // 10] + joiner + ONES[rest % 10])
    elif rest >= 20:
        words.append(TENS[rest // 10])
    elif rest:
        words.append(ONES[rest])
    between = draw(st.sampled_from([" ", "-"]))
    return _cased(draw, between.join(words))


def _cased(draw: st.DrawFn, text: str) -> str:
    style = draw(st.sampled_from(["lower", "first", "title", "upper"]))
    if style == "first":
        return text[:1].upper() + text[1:]
    if style == "title":
        return re.sub(r"[a-z]+", lambda m: m.group().capitalize(), text)
    if style == "upper":
        return text.upper()
    return text


def _value(digits: str) -> float:
    return float(digits)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n=st.integers(min_value=1, max_value=999), unit=st.sampled_from(_UNITS))
def test_spelled_integer_with_scale_comes_back(data: st.DataObject, n: int, unit: str) -> None:
    words = data.draw(_spelled(n))
    scale = data.draw(st.sampled_from(sorted(_KEPT_SCALES)))
    scale_text = _cased(data.draw, scale)
    joiner = data.draw(st.sampled_from([" ", "-"]))
    text = f"{words}{joiner}{scale_text} {unit}"
    assert spell_to_digits(text) == f"{n}{joiner}{scale_text} {unit}"


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n=st.integers(min_value=1, max_value=999), unit=st.sampled_from(_UNITS))
def test_spelled_integer_alone_or_with_thousand_comes_back(data: st.DataObject, n: int, unit: str) -> None:
    words = data.draw(_spelled(n))
    thousand = data.draw(st.booleans())
    text = f"{words} thousand {unit}" if thousand else f"{words} {unit}"
    expected = n * 1000 if thousand else n
    assert spell_to_digits(text) == f"{expected} {unit}"


_FRACTIONS = {"and a half": 0.5, "and a quarter": 0.25, "and three quarters": 0.75}
_LEADS = {"half a": 0.5, "a half": 0.5, "a quarter of a": 0.25, "three quarters of a": 0.75, "a quarter": 0.25}


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    n=st.integers(min_value=0, max_value=99),
    fraction=st.sampled_from(sorted(_FRACTIONS)),
    lead=st.sampled_from(sorted(_LEADS)),
    scale=st.sampled_from(sorted(_KEPT_SCALES)),
    unit=st.sampled_from(_UNITS),
)
def test_spelled_fraction_comes_back(
    data: st.DataObject, n: int, fraction: str, lead: str, scale: str, unit: str
) -> None:
    if n:
        hyphenate = data.draw(st.booleans())
        words = data.draw(_spelled(n)) + " " + fraction
        if hyphenate:
            words = words.replace(" ", "-")
        expected = n + _FRACTIONS[fraction]
    else:
        words = lead
        expected = _LEADS[lead]
    text = _cased(data.draw, words) + f" {scale} {unit}"
    out = spell_to_digits(text)
    m = re.fullmatch(rf"(\d+(?:\.\d+)?) {scale} {unit}", out)
    assert m is not None, out
    assert _value(m.group(1)) == expected


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=99),
    decimals=st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=6),
    scale=st.sampled_from(sorted(_KEPT_SCALES)),
)
def test_point_decimals_come_back(n: int, decimals: list[int], scale: str) -> None:
    digit_words = ONES[:10]
    text = f"{words(n)} point {' '.join(digit_words[d] for d in decimals)} {scale} tokens"
    m = re.fullmatch(rf"(\d+(?:\.\d+)?) {scale} tokens", spell_to_digits(text))
    assert m is not None, text
    assert _value(m.group(1)) == float(f"{n}." + "".join(map(str, decimals)))


# Words that hold number words inside them, and numerals, but are no number words themselves.
_FILLER = [
    "the",
    "model",
    "someone",
    "often",
    "network",
    "tension",
    "weighted",
    "alone",
    "phones",
    "Llama",
    "3.1",
    "8B",
    "70B",
    "1.5",
    "15T",
    "1,500B",
    "first",
    "third",
    "dozens",
    "hundreds",
    "several",
    "few",
    "of",
    "and",
    "a",
    "an",
    "tokens",
    "GPU",
]
_NUMBERISH = [
    "one",
    "two",
    "twenty",
    "three",
    "hundred",
    "thousand",
    "million",
    "trillion",
    "half",
    "quarter",
    "quarters",
    "and",
    "a",
    "point",
    "dozen",
    "4",
    "2.5",
    "H100",
    "zero",
]
_SEPARATORS = [" ", "-", "–", "\n", ", ", "  ", "\n\n", "—"]


def _joined(words: list[str], seps: list[str]) -> str:
    return "".join(w + s for w, s in zip(words, seps, strict=False))


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(_FILLER), max_size=30),
    seps=st.lists(st.sampled_from(_SEPARATORS), min_size=30, max_size=30),
)
def test_text_of_no_number_words_is_unchanged(words: list[str], seps: list[str]) -> None:
    text = _joined(words, seps)
    assert spell_to_digits(text) == text


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(_FILLER + _NUMBERISH), max_size=40),
    seps=st.lists(st.sampled_from(_SEPARATORS), min_size=40, max_size=40),
)
def test_rewriting_is_idempotent_and_never_longer(words: list[str], seps: list[str]) -> None:
    text = _joined(words, seps)
    once = spell_to_digits(text)
    assert len(once) <= len(text)
    # A numeral before "hundred"/"dozen" is read as one number, so garbage such as "two hundred
    # two hundred" (-> "202 hundred") is rewritten again on a second pass; nothing else is.
    if not re.search(r"\d\s*[-–]?\s*(?:hundred|dozen)", once, re.IGNORECASE):
        assert spell_to_digits(once) == once


@settings(max_examples=200, deadline=None)
@given(
    before=st.lists(st.sampled_from(_FILLER), max_size=8),
    after=st.lists(st.sampled_from(_FILLER), max_size=8),
)
def test_text_around_a_number_is_kept(before: list[str], after: list[str]) -> None:
    head, tail = " ".join([*before, ""]), " ".join(["", *after])
    assert spell_to_digits(f"{head}twelve trillion{tail}") == f"{head}12 trillion{tail}"


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=200),
    words=st.lists(st.sampled_from(_NUMBERISH), max_size=6),
)
def test_any_text_is_accepted(text: str, words: list[str]) -> None:
    mixed = " ".join([text, *words, text])
    out = spell_to_digits(mixed)
    assert len(out) <= len(mixed)
    if not any(ch.isalpha() for ch in mixed):
        assert out == mixed


# ---------------------------------------------------------------------------------------------
# Hostile input: linear, bounded output (5 MB, the card size limit)

_BIG = 5 * 1024 * 1024


@pytest.mark.parametrize(
    ("unit", "kept"),
    [
        ("one ", True),  # lone "one": never a number
        ("-", True),
        ("one-", True),
        ("two ", False),
        ("twenty-", False),
        ("a million and a half ", False),
        ("one and a and a ", True),
        ("half a ", True),
        ("4 hundred ", False),
    ],
)
def test_megabytes_of_repeated_words_finish_with_bounded_output(unit: str, kept: bool) -> None:
    text = unit * (_BIG // len(unit))
    out = spell_to_digits(text)
    assert len(out) <= len(text)
    if kept:
        assert out == text
    else:
        assert out != text
