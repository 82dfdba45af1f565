"""Geometry of the compute chart: a model's compute interval against every regime's thresholds.

The chart is inline SVG drawn by a template from these numbers, on a log-10 axis, so it needs
no script, no external library and no inline style (colours come from the stylesheet's
classes). One row per regime; ticks mark thresholds; a shaded band is the model's interval
and a line its central value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from compliance.rules.describe import format_number
from web.dashboard.thresholds import Compute, Regime

WIDTH = 760
LABEL_WIDTH = 200
RIGHT_PAD = 20
ROW_HEIGHT = 28
TOP = 24
AXIS_HEIGHT = 34


@dataclass(frozen=True, slots=True)
class Tick:
    """A threshold mark on a regime's row."""

    x: float
    label: str
    title: str
    crossed: bool


@dataclass(frozen=True, slots=True)
class Row:
    """One regime."""

    y: float
    label: str
    title: str
    ticks: tuple[Tick, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """Everything the SVG template draws."""

    width: int
    height: int
    plot_left: int
    plot_right: int
    top: int
    bottom: int
    rows: tuple[Row, ...]
    axis: tuple[tuple[float, str], ...]  # (x, "1e23")
    band: tuple[float, float] | None  # the model's interval, x from and to
    open_left: bool
    open_right: bool
    value_x: float | None
    summary: str  # the chart in words, for screen readers and the print view


def build_chart(compute: Compute, found: Sequence[Regime]) -> Chart:
    """Lay out the chart for ``compute`` against the regimes' thresholds."""
    values = [t.value for r in found for t in r.thresholds]
    known = [x for x in (compute.low, compute.value, compute.high) if x is not None and x > 0]
    lo_exp = math.floor(math.log10(min([*values, *known, 1e22]))) - 1
    hi_exp = math.ceil(math.log10(max([*values, *known, 1e27])))
    plot_left, plot_right = LABEL_WIDTH, WIDTH - RIGHT_PAD

    def x(v: float) -> float:
        share = (math.log10(v) - lo_exp) / (hi_exp - lo_exp)
        return round(plot_left + min(max(share, 0.0), 1.0) * (plot_right - plot_left), 1)

    low = compute.low if compute.low is not None and compute.low > 0 else None
    high = compute.high if compute.high is not None and compute.high > 0 else None
    rows = []
    for index, regime in enumerate(found):
        y = TOP + index * ROW_HEIGHT + ROW_HEIGHT / 2
        ticks = tuple(
            Tick(
                x(t.value),
                format_number(t.value),
                f"{regime.title}: {format_number(t.value)} FLOP ({', '.join(t.rule_ids)})",
                (low or 0) <= t.value < (high or math.inf) if (low or high) else False,
            )
            for t in regime.thresholds
        )
        rows.append(Row(y, regime.id, regime.title, ticks))
    bottom = TOP + len(rows) * ROW_HEIGHT
    band = None
    if low is not None or high is not None:
        band = (x(low) if low else plot_left, x(high) if high else plot_right)
    value_x = x(compute.value) if compute.value is not None and compute.value > 0 else None
    axis = tuple((x(10.0**e), f"1e{e}") for e in range(lo_exp, hi_exp + 1))
    return Chart(
        width=WIDTH,
        height=bottom + AXIS_HEIGHT,
        plot_left=plot_left,
        plot_right=plot_right,
        top=TOP,
        bottom=bottom,
        rows=tuple(rows),
        axis=axis,
        band=band,
        open_left=low is None and band is not None,
        open_right=high is None and band is not None,
        value_x=value_x,
        summary=_summary(compute, found),
    )


def _summary(compute: Compute, found: Sequence[Regime]) -> str:
    if compute.point is None:
        head = "Training compute is unknown."
    elif compute.value is None:
        head = f"Training compute is at most {format_number(compute.point)} FLOP."
    else:
        span = ""
        if compute.low is not None and compute.high is not None and compute.low != compute.high:
            span = f" (between {format_number(compute.low)} and {format_number(compute.high)})"
        head = f"Training compute is about {format_number(compute.value)} FLOP{span}."
    parts = [f"{r.id}: {', '.join(format_number(t.value) for t in r.thresholds)}" for r in found]
    return head + (" Thresholds — " + "; ".join(parts) + "." if parts else "")
