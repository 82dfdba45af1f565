"""Generated phrasings of training facts: the parser must read the figure however it is written.

Each example states one figure (training tokens, accelerator-hours or the parameter count) in a
random form (digits with a suffix, digits with a scale word, full integers with commas, words,
words with the digits in brackets), with or without a quantifier, in one of several sentence or
table frames, optionally next to a distractor sentence carrying other figures. The extracted
value must fall inside the interval the wording allows: a bare figure to within 3%, "about" to
within 15%, "over" from the figure up to 1.5 times it.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.facts.card import parse_card
from tests.compliance.facts.spelling import ONES, words

# About a second per test against a parser that reads them all; each run draws new phrasings.
EXAMPLES = 150
MODEL_NAME = "acme/Heron-Base"


def decimal(x: float) -> str:
    """A decimal without trailing zeros: 2.0 -> "2", 2.50 -> "2.5"."""
    return f"{x:.3f}".rstrip("0").rstrip(".")


def tenths_in_words(tenths: int, scale: str) -> str:
    """A figure given in tenths of ``scale``, in words as people write it.

    "twelve trillion", "two and a half trillion", "half a trillion", "one point two billion";
    past ten, an odd tenth is written in digits ("33.4 trillion"): nobody spells that out.
    """
    whole, frac = divmod(tenths, 10)
    if frac == 0:
        return f"{words(whole)} {scale}"
    if frac == 5:
        return f"{words(whole)} and a half {scale}" if whole else f"half a {scale}"
    if whole < 10:
        return f"{words(whole)} point {ONES[frac]} {scale}"
    return f"{decimal(tenths / 10)} {scale}"


def article(phrase: str) -> str:
    """ "a" or "an" before ``phrase`` (by how it is read aloud)."""
    spoken_vowel = phrase[:1] in "aeiou" or phrase.startswith(("8", "11", "18"))
    return "an" if spoken_vowel else "a"


@dataclass(frozen=True)
class Stated:
    """A generated card fragment and the interval its wording allows."""

    text: str
    low: float
    high: float

    def check(self, value: object, what: str) -> None:
        """Assert that the extracted ``value`` lies in the allowed interval."""
        assert isinstance(value, int | float), f"no {what} read from:\n{self.text}"
        assert self.low <= value <= self.high, (
            f"{what} {value:.4g} outside [{self.low:.4g}, {self.high:.4g}] for:\n{self.text}"
        )


QUANTIFIERS = {
    "": (0.97, 1.03),
    "about ": (0.85, 1.15),
    "roughly ": (0.85, 1.15),
    "approximately ": (0.85, 1.15),
    "around ": (0.85, 1.15),
    "over ": (0.999, 1.5),
    "more than ": (0.999, 1.5),
}
quantifiers = st.sampled_from(sorted(QUANTIFIERS))


def assemble(draw: st.DrawFn, statement: str, table: bool, distractors: list[str]) -> str:
    """The statement with an optional distractor before or after it (its own paragraph for tables)."""
    heading = "# Heron\n\n"
    distractor = draw(st.none() | st.sampled_from(distractors))
    if distractor is None:
        return heading + statement + "\n"
    before = draw(st.booleans())
    if table:
        parts = [distractor, statement] if before else [statement, distractor]
        return heading + "\n\n".join(parts) + "\n"
    return heading + (f"{distractor} {statement}" if before else f"{statement} {distractor}") + "\n"


def table_row(key: str, value: str) -> str:
    """A two-column property table with one row of interest among others."""
    return f"| Property | Value |\n|---|---|\n| Architecture | decoder-only |\n| {key} | {value} |\n"


def fill_frame(draw: st.DrawFn, frame: str, q: str, figure: str) -> str:
    """The statement a frame makes of a figure: a table row for "TABLE:<key>", else the sentence filled in."""
    if frame.startswith("TABLE:"):
        return table_row(frame.removeprefix("TABLE:"), f"{q}{figure}")
    return frame.format(q=q, n=figure, u=draw(st.sampled_from(HOUR_UNITS)) if "{u}" in frame else "")


# --------------------------------------------------------------------------------------------
# Training tokens: 0.1T to 40T


def token_figure(draw: st.DrawFn, tenths: int) -> str:
    """The figure (without "tokens") for ``tenths`` tenths of a trillion, in a random form."""
    trillions = tenths / 10
    billions = tenths * 100
    form = draw(st.sampled_from(["T", "B", "billion", "trillion", "words", "words+digits"]))
    if form == "T":
        return f"{decimal(trillions)}T"
    if form == "B":
        return f"{billions:,}B"
    if form == "billion":
        return f"{billions:,} billion"
    if form == "trillion":
        return f"{decimal(trillions)} trillion"
    spoken = (
        f"{words(billions, with_and=draw(st.booleans()))} billion"
        if tenths < 10
        else tenths_in_words(tenths, "trillion")
    )
    return spoken if form == "words" else f"{spoken} ({billions:,}B)"


TOKEN_FRAMES = [
    ("Heron was pretrained on {q}{n} tokens of web text, code and books.", False),
    ("We trained the model from scratch on {q}{n} tokens.", False),
    ("Pre-training consumed {q}{n} tokens in total.", False),
    ("In total, {q}{n} tokens were seen during pretraining.", False),
    ("The pretraining set holds {q}{n} tokens, and the model made one pass over it.", False),
    ("- Training tokens: {q}{n}", True),
    ("TABLE:Training tokens", True),
]
TOKEN_DISTRACTORS = [
    "The context length is 8,192 tokens.",
    "The learning rate was warmed up over the first 2B tokens.",
    "A 70B variant is also available.",
    "The vocabulary has 151,000 tokens.",
    "The global batch size was 4M tokens.",
]


@st.composite
def token_statements(draw: st.DrawFn) -> Stated:
    """A card fragment stating a training-token total."""
    tenths = draw(st.integers(min_value=1, max_value=400))
    q = draw(quantifiers)
    figure = token_figure(draw, tenths)
    frame, table = draw(st.sampled_from(TOKEN_FRAMES))
    statement = fill_frame(draw, frame, q, figure)
    low, high = QUANTIFIERS[q]
    value = tenths * 1e11
    return Stated(assemble(draw, statement, table, TOKEN_DISTRACTORS), low * value, high * value)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(token_statements())
def test_training_tokens_however_stated(stated: Stated) -> None:
    fact = parse_card(stated.text, model_name=MODEL_NAME).fact("training_tokens")
    stated.check(None if fact is None else fact.value, "training_tokens")


# --------------------------------------------------------------------------------------------
# Accelerator-hours: 10 thousand to 50 million


def hours_figure(draw: st.DrawFn) -> tuple[str, float]:
    """A number of hours in a random form, with its value."""
    if draw(st.booleans()):
        thousands = draw(st.integers(min_value=10, max_value=999))
        form = draw(st.sampled_from(["K", "integer", "words"]))
        value = thousands * 1000.0
        if form == "K":
            return f"{thousands}K", value
        if form == "integer":
            return f"{thousands * 1000:,}", value
        return f"{words(thousands, with_and=draw(st.booleans()))} thousand", value
    tenths = draw(st.integers(min_value=10, max_value=500))
    value = tenths * 1e5
    form = draw(st.sampled_from(["M", "million", "integer", "words"]))
    if form == "M":
        return f"{decimal(tenths / 10)}M", value
    if form == "million":
        return f"{decimal(tenths / 10)} million", value
    if form == "integer":
        return f"{tenths * 100_000:,}", value
    return tenths_in_words(tenths, "million"), value


HOUR_UNITS = ["GPU hours", "GPU-hours", "H100 GPU hours", "A100-hours", "accelerator hours"]
HOUR_FRAMES = [
    ("Training took {q}{n} {u}.", False),
    ("Pre-training used {q}{n} {u} in total.", False),
    ("The model required {q}{n} {u} of computation to train.", False),
    ("Our cluster spent {q}{n} {u} on this model.", False),
    ("- GPU hours: {q}{n}", True),
    ("TABLE:Training time (GPU hours)", True),
]
HOUR_DISTRACTORS = [
    "Each node holds 8 GPUs.",
    "The context length is 8,192 tokens.",
    "It was trained on 2T tokens.",
    "Inference needs a single 80 GB GPU.",
]


@st.composite
def hour_statements(draw: st.DrawFn) -> Stated:
    """A card fragment stating the accelerator-hours of training."""
    figure, value = hours_figure(draw)
    q = draw(quantifiers)
    frame, table = draw(st.sampled_from(HOUR_FRAMES))
    statement = fill_frame(draw, frame, q, figure)
    low, high = QUANTIFIERS[q]
    return Stated(assemble(draw, statement, table, HOUR_DISTRACTORS), low * value, high * value)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hour_statements())
def test_gpu_hours_however_stated(stated: Stated) -> None:
    fact = parse_card(stated.text, model_name=MODEL_NAME).fact("training_gpu_hours")
    stated.check(None if fact is None else fact.value, "training_gpu_hours")


# --------------------------------------------------------------------------------------------
# Parameter count: 100 million to 500 billion


def parameter_figure(draw: st.DrawFn) -> tuple[str, str, float]:
    """A parameter count as a bare figure ("7B"), a noun-ready scale ("7 billion") and its value.

    Returns (figure, hyphen_form, value): the figure goes before "parameters"; the hyphen form
    goes before "-parameter" in an adjective ("a 7-billion-parameter model").
    """
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        millions = draw(st.integers(min_value=100, max_value=999))
        value = millions * 1e6
        form = draw(st.sampled_from(["M", "million", "integer", "words"]))
        if form == "M":
            return f"{millions}M", f"{millions}M", value
        if form == "million":
            return f"{millions} million", f"{millions}-million", value
        if form == "integer":
            return f"{millions * 1_000_000:,}", f"{millions}M", value
        # A spelt-out count of millions has several words: the adjective keeps digits.
        return f"{words(millions)} million", f"{millions}-million", value
    # Up to 100B a size has one decimal ("6.7B"); above it, whole billions ("235B").
    tenths = draw(
        st.integers(min_value=10, max_value=999) | st.integers(min_value=100, max_value=500).map(lambda b: b * 10)
    )
    value = tenths * 1e8
    form = draw(st.sampled_from(["B", "billion", "integer", "words"]))
    if form == "B":
        return f"{decimal(tenths / 10)}B", f"{decimal(tenths / 10)}B", value
    if form == "billion":
        return f"{decimal(tenths / 10)} billion", f"{decimal(tenths / 10)}-billion", value
    if form == "integer":
        return f"{tenths * 100_000_000:,}", f"{decimal(tenths / 10)}B", value
    spoken = tenths_in_words(tenths, "billion")
    # Only a whole number of billions under a hundred is spelt out in an adjective ("seventy-billion").
    whole = tenths % 10 == 0 and tenths < 1000
    hyphen = f"{words(tenths // 10)}-billion" if whole else f"{decimal(tenths / 10)}-billion"
    return spoken, hyphen, value


PARAM_NOUN_FRAMES = [
    ("Heron has {q}{n} parameters.", False),
    ("The model contains {q}{n} parameters in total.", False),
    ("With {q}{n} parameters, Heron fits on a single accelerator.", False),
    ("- Parameters: {q}{n}", True),
    ("TABLE:Parameters", True),
]
PARAM_ADJECTIVE_FRAMES = [
    "Heron is {a} {h}-parameter decoder-only language model.",
    "We release {a} {h}-parameter model trained on public data.",
]
PARAM_DISTRACTORS = [
    "It was trained on 2 trillion tokens.",
    "The context window is 8,192 tokens.",
    "It is released alongside a 70B sibling.",
]


@st.composite
def parameter_statements(draw: st.DrawFn) -> Stated:
    """A card fragment stating the parameter count, as a noun phrase or an adjective."""
    figure, hyphen_form, value = parameter_figure(draw)
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        frame = draw(st.sampled_from(PARAM_ADJECTIVE_FRAMES))
        statement = frame.format(a=article(hyphen_form), h=hyphen_form)
        low, high = QUANTIFIERS[""]
        return Stated(assemble(draw, statement, False, PARAM_DISTRACTORS), low * value, high * value)
    q = draw(quantifiers)
    frame, table = draw(st.sampled_from(PARAM_NOUN_FRAMES))
    statement = fill_frame(draw, frame, q, figure)
    low, high = QUANTIFIERS[q]
    return Stated(assemble(draw, statement, table, PARAM_DISTRACTORS), low * value, high * value)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parameter_statements())
def test_parameters_however_stated(stated: Stated) -> None:
    fact = parse_card(stated.text, model_name=MODEL_NAME).fact("parameters")
    stated.check(None if fact is None else fact.value, "parameters")


# --------------------------------------------------------------------------------------------
# The generators themselves (a wrong generator would make every failure above meaningless)


def test_number_words_are_english() -> None:
    assert words(7) == "seven"
    assert words(42) == "forty-two"
    assert words(250, with_and=True) == "two hundred and fifty"
    assert words(2048, with_and=True) == "two thousand and forty-eight"
    assert words(32000) == "thirty-two thousand"
    assert tenths_in_words(25, "trillion") == "two and a half trillion"
    assert tenths_in_words(5, "trillion") == "half a trillion"
    assert tenths_in_words(12, "billion") == "one point two billion"
    assert tenths_in_words(120, "trillion") == "twelve trillion"
    assert tenths_in_words(334, "trillion") == "33.4 trillion"
    assert article("8B") == "an"
    assert article("eleven-billion") == "an"
    assert article("7-billion") == "a"
