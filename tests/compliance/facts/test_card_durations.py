"""Generated training durations in words, fractions, vague counts and ranges; a month is 30 days."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.facts.card import parse_card
from tests.compliance.facts.spelling import words
from tests.compliance.facts.test_card_phrasings import EXAMPLES, MODEL_NAME

HOURS = {"day": 24, "week": 168, "fortnight": 336, "month": 720}
FRAMES = [
    "Pre-training took {d}.",
    "The training run lasted {d} on 256 H100 GPUs.",
    "We trained the model for {d}, using 2T tokens.",
    "Training {verb} {d} of wall-clock time.",
]
VERBS = ["took", "required", "ran for"]
DISTRACTORS = [
    "The learning rate was decayed over the last 10% of steps.",
    "Checkpoints were saved every 2 hours.",
    "The model was released 3 months ago.",
    "Inference takes a few seconds per request.",
]


@st.composite
def durations(draw: st.DrawFn) -> tuple[str, float, float]:
    """A duration phrase and the span of hours its wording allows (the low end above 0 when vague)."""
    unit = draw(st.sampled_from(sorted(HOURS)))
    per = HOURS[unit]
    form = draw(st.sampled_from(["one", "words", "half", "a-and-a-half", "couple", "range"]))
    if form == "one":
        return f"{draw(st.sampled_from(['a', 'one']))} {unit}", 0.75 * per, 1.25 * per
    if form == "a-and-a-half":
        return f"a {unit} and a half", 1.1 * per, 1.9 * per
    if form == "couple":
        return f"a couple of {unit}s", 2 * per, 3 * per
    n = draw(st.integers(min_value=2, max_value=9))
    if form == "words":
        return f"{words(n)} {unit}s", n * per, n * per
    if form == "half":
        return f"{words(n)} and a half {unit}s", (n + 0.5) * per * 0.97, (n + 0.5) * per * 1.03
    return f"{words(n)} to {words(n + 1)} {unit}s", n * per, (n + 1) * per


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(durations(), st.sampled_from(FRAMES), st.sampled_from(VERBS), st.none() | st.sampled_from(DISTRACTORS))
def test_training_duration_in_words(case: tuple[str, float, float], frame: str, verb: str, other: str | None) -> None:
    phrase, low, high = case
    statement = frame.format(d=phrase, verb=verb)
    text = "# Heron\n\n" + (statement if other is None else f"{other} {statement}") + "\n"
    fact = parse_card(text, model_name=MODEL_NAME).fact("training_duration_hours")
    assert fact is not None, f"no duration read from:\n{text}"
    assert low <= fact.value <= high, f"{fact.value} hours outside [{low}, {high}] for:\n{text}"
    if "couple" in phrase or " to " in phrase:
        # A vague or ranged duration keeps the whole span in its interval, not one end of it.
        assert fact.low is not None and fact.high is not None
        assert fact.low <= low and fact.high >= high, f"interval [{fact.low}, {fact.high}] for:\n{text}"
