"""Compute thresholds from the rule sets, bands, positions and the chart's geometry."""

from __future__ import annotations

import pytest

from compliance.check import load_rulebook
from web.dashboard.chart import build_chart
from web.dashboard.thresholds import Compute, bands, position, regimes, threshold_values


@pytest.fixture(scope="module")
def found() -> list:
    return regimes(load_rulebook())


def test_thresholds_come_from_the_shipped_rule_sets(found: list) -> None:
    by_id = {r.id: r for r in found}
    assert [t.value for t in by_id["eu-ai-act-gpai"].thresholds] == [1e23, 1e25]
    assert 1e26 in [t.value for t in by_id["us-bis-ai-diffusion"].thresholds]
    assert "us-bis-advanced-computing" not in by_id  # chip rules compare hardware, not compute
    eu = by_id["eu-ai-act-gpai"].thresholds[1]
    assert "eu.gpai.systemic_risk_notification" in eu.rule_ids and "in_force" in eu.statuses
    assert threshold_values(found)[:2] == [1e23, 1e24]


def test_bands_cut_the_axis_at_each_threshold() -> None:
    out = bands([1e23, 1e25])
    assert [b.label for b in out] == ["below 1e23 FLOP", "1e23 to 1e25 FLOP", "1e25 FLOP or more", "compute unknown"]
    assert len({b.key for b in out}) == 4


@pytest.mark.parametrize(
    ("compute", "band", "upcoming", "factor", "crosses"),
    [
        (Compute(3.8e25, 3e25, 4.9e25), "1e25 FLOP or more", None, None, ()),
        (Compute(7.2e23, 5.2e23, 1.03e24), "1e23 to 1e25 FLOP", 1e25, 1e25 / 7.2e23, ()),
        (Compute(9e24, 8e24, 2e25), "1e23 to 1e25 FLOP", 1e25, 1e25 / 9e24, (1e25,)),
        (Compute(None, None, 1.6e20), "below 1e23 FLOP", 1e23, 1e23 / 1.6e20, ()),  # a bound inside one band
        (Compute(None, None, 1e25), "compute unknown", None, None, (1e23,)),  # "at most 1e25": any band below
        (Compute(None, 2e23, 9e24), "1e23 to 1e25 FLOP", 1e25, 1e25 / 9e24, ()),  # bounds inside one band
        (Compute(None, 5e22, 9e24), "compute unknown", None, None, (1e23,)),
        (Compute(None, None, None), "compute unknown", None, None, ()),
        (Compute(1e23, 1e23, 1e23), "below 1e23 FLOP", 1e23, 1.0, ()),  # "> 1e23" is not met at 1e23
    ],
)
def test_position(compute: Compute, band: str, upcoming: float | None, factor: float | None, crosses: tuple) -> None:
    where = position(compute, [1e23, 1e25])
    assert where.band.label == band and where.next_threshold == upcoming and where.crosses == crosses
    assert where.factor == pytest.approx(factor) if factor is not None else where.factor is None


@pytest.mark.parametrize(
    ("compute", "text"),
    [
        (Compute(3.8e25, 3e25, 4.9e25), "3.8e25"),
        (Compute(None, None, 1e25), "unknown, at most 1e25"),
        (Compute(None, 0.0, 1e25), "unknown, at most 1e25"),
        (Compute(None, 2e23, 9e24), "unknown, 2e23 to 9e24"),
        (Compute(None, 2e23, None), "unknown, at least 2e23"),
        (Compute(None, None, None), "unknown"),
    ],
)
def test_compute_in_words(compute: Compute, text: str) -> None:
    assert compute.text() == text


def test_compute_from_a_report_fact() -> None:
    fact = {"value": 7.2e23, "low": 5.2e23, "high": 1.03e24, "confidence": "likely"}
    assert Compute.from_fact(fact) == Compute(7.2e23, 5.2e23, 1.03e24, "likely")
    assert Compute.from_fact(None).point is None
    assert Compute.from_fact({"value": True, "low": None, "high": "x"}).point is None


def test_chart_places_interval_and_ticks_on_a_log_axis(found: list) -> None:
    chart = build_chart(Compute(1e24, 1e23, 1e25), found)
    xs = dict((label, x) for x, label in chart.axis)
    assert xs["1e24"] - xs["1e23"] == pytest.approx(xs["1e25"] - xs["1e24"], abs=0.2)  # equal decades
    assert chart.band == (xs["1e23"], xs["1e25"]) and chart.value_x == xs["1e24"]
    eu = next(r for r in chart.rows if r.label == "eu-ai-act-gpai")
    assert [t.label for t in eu.ticks] == ["1e23", "1e25"]
    assert [t.crossed for t in eu.ticks] == [True, False]  # "> 1e23" undecided on [1e23, 1e25]; "> 1e25" false
    assert "Training compute is about 1e24 FLOP" in chart.summary and "eu-ai-act-gpai: 1e23, 1e25" in chart.summary


def test_chart_of_an_unknown_or_unbounded_compute(found: list) -> None:
    unknown = build_chart(Compute(None, None, None), found)
    assert (
        unknown.band is None and unknown.value_x is None and unknown.summary.startswith("Training compute is unknown")
    )
    bound = build_chart(Compute(None, None, 1.6e20), found)
    assert bound.band is not None and bound.open_left and bound.value_x is None
    assert bound.summary.startswith("Training compute is at most 1.6e20 FLOP")
