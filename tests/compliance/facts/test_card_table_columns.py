"""Generated size tables with accelerator-count and duration columns: this model's row is read."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.facts.card import parse_card
from tests.compliance.facts.test_card_phrasings import EXAMPLES

SIZES = ["1B", "3B", "8B", "34B", "70B"]
COUNT_HEADERS = ["GPUs", "Accelerators", "Chips", "Hardware"]
# (header, hours per unit) for bare cells; None: each cell states its unit.
DURATION_HEADERS = [("Days", 24), ("Training time (days)", 24), ("Weeks", 168), ("Duration", None)]
DISTRACTOR_COLUMNS = [("GPU memory (GB)", "80"), ("GPU type", "H100"), ("Context", "8K")]


@st.composite
def size_tables(draw: st.DrawFn) -> tuple[str, str, int, float]:
    """A family table, the model it is read for, and that row's accelerator count and hours."""
    sizes = draw(st.lists(st.sampled_from(SIZES), min_size=2, max_size=4, unique=True))
    this = draw(st.sampled_from(sizes))
    count_header = draw(st.sampled_from(COUNT_HEADERS))
    duration_header, per = draw(st.sampled_from(DURATION_HEADERS))
    extra_header, extra_value = draw(st.sampled_from(DISTRACTOR_COLUMNS))
    lines = [f"| Model | {count_header} | {duration_header} | {extra_header} |", "|---|---|---|---|"]
    want: tuple[int, float] = (0, 0.0)
    for size in sizes:
        count = draw(st.sampled_from([8, 16, 64, 256, 1024, 2048]))
        n = draw(st.integers(min_value=2, max_value=60))
        count_cell = f"{count:,}" if draw(st.booleans()) else f"{count} × A100"
        duration_cell = str(n) if per is not None else f"{n} days"
        lines.append(f"| Kite-{size} | {count_cell} | {duration_cell} | {extra_value} |")
        if size == this:
            want = (count, n * (per or 24))
    return "# Kite\n\n" + "\n".join(lines) + "\n", f"acme/Kite-{this}", *want


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size_tables())
def test_this_models_row_gives_count_and_duration(case: tuple[str, str, int, float]) -> None:
    text, name, count, hours = case
    info = parse_card(text, model_name=name)
    found_count = info.fact("training_hardware_count")
    found_hours = info.fact("training_duration_hours")
    assert found_count is not None and found_count.value == count, f"count {found_count} for {name}:\n{text}"
    assert found_hours is not None and found_hours.value == hours, f"hours {found_hours} for {name}:\n{text}"
