"""Generated tables whose header or row label carries the scale ("Tokens (T)", "GPU hours (k)") and whose
cells are bare figures: the figure read is the cell times that scale."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.facts.card import parse_card
from compliance.facts.card.table_units import header_unit, scaled_cell
from tests.compliance.facts.test_card_phrasings import EXAMPLES, MODEL_NAME

# (scale as written in a header, its value)
TOKEN_SCALES = [("(T)", 1e12), ("(B)", 1e9), ("(billions)", 1e9), ("[T]", 1e12), ("(in billions)", 1e9)]
HOUR_SCALES = [("(k)", 1e3), ("(K)", 1e3), ("(thousands)", 1e3), ("(M)", 1e6), ("(millions)", 1e6)]
TOKEN_LABELS = ["Training tokens", "Tokens", "Pretraining tokens", "Data seen (tokens,"]
HOUR_LABELS = ["GPU hours", "H100 hours", "Accelerator hours", "Compute (GPU hours,"]
LAYOUTS = ["key-value", "column", "row"]


def label_with(label: str, scale: str) -> str:
    """A label and its scale: "Tokens (T)"; a label with an open bracket takes the scale inside it."""
    if label.endswith(","):
        return f"{label} {scale.strip('()[]')})"
    return f"{label} {scale}"


def table(layout: str, label: str, figure: str) -> str:
    """A table with the labelled figure for this model (Heron-Base) and a distractor row or column."""
    if layout == "key-value":
        return (
            f"| Setting | Value |\n|---|---|\n| Layers | 32 |\n| {label} | {figure} |\n| Context length (K) | 128 |\n"
        )
    if layout == "column":
        return f"| Model | {label} | Context (K) |\n|---|---|---|\n| Heron-Base | {figure} | 8 |\n"
    return f"| | Heron-Base |\n|---|---|\n| {label} | {figure} |\n| Sequence length (tokens) | 4,096 |\n"


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, str, float]:
    """A card with one training figure in a table whose header carries its scale."""
    tokens = draw(st.booleans())
    scale, factor = draw(st.sampled_from(TOKEN_SCALES if tokens else HOUR_SCALES))
    label = draw(st.sampled_from(TOKEN_LABELS if tokens else HOUR_LABELS))
    target = draw(st.integers(min_value=20, max_value=300)) * (1e11 if tokens else 1e4)
    figure = target / factor
    text = f"{figure:,.3f}".rstrip("0").rstrip(".")
    body = table(draw(st.sampled_from(LAYOUTS)), label_with(label, scale), text)
    name = "training_tokens" if tokens else "training_gpu_hours"
    return "# Heron\n\n## Training\n\n" + body, name, target


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_header_scale_applies_to_bare_cells(case: tuple[str, str, float]) -> None:
    text, name, target = case
    fact = parse_card(text, model_name=MODEL_NAME).fact(name)
    assert fact is not None, f"no {name} read from:\n{text}"
    assert abs(fact.value - target) <= 0.03 * target, f"{name} {fact.value:.4g}, want {target:.4g}, from:\n{text}"


def test_cells_with_their_own_unit_and_sizes_in_labels_are_left_alone() -> None:
    assert scaled_cell("2T", "billion") == "2T"
    assert scaled_cell("n/a", "billion") == "n/a"
    assert header_unit("Heron (7 B)") == ("Heron (7 B)", None)
    assert header_unit("Batch size (M tokens)") == ("Batch size (M tokens)", None)
