"""Check options: validated into JSON at submission, resolved into CheckOptions at run time."""

from __future__ import annotations

from datetime import date

import pytest

from compliance.errors import UsageError
from compliance.services.options import normalise_options, resolve_options


def test_normalise_options_validates_and_normalises() -> None:
    stored = normalise_options(
        {
            "as_of": "2026-03-01",
            "rules": "eu-ai-act-gpai, us-eo-14110",
            "destination": "china",
            "markets": ["eu", "US-CA"],
            "hardware": "H100x1024",
            "open_weights": True,
            "developer_revenue_usd": 5e8,
            "fail_on": "Critical",
            "fail_on_uncertain": False,
            "use_waivers": False,
            "exact": False,
            "facts": {"training_compute_flop": "3e24..8e24", "open_weights": True, "training_tokens": 1.5e13},
        }
    )
    assert stored["rules"] == ["eu-ai-act-gpai", "us-eo-14110"]
    assert (stored["destination"], stored["markets"], stored["fail_on"]) == ("CN", ["EU", "US-CA"], "critical")
    assert normalise_options(None) == {} and normalise_options({"rules": [], "facts": {}}) == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("markets", "must be an object"),
        ({"as_of": "yesterday"}, "as_of expects a date"),
        ({"hardware": "H100x0"}, "hardware count"),
        ({"open_weights": "yes"}, "open_weights must be true or false"),
        ({"developer_revenue_usd": -1}, "non-negative"),
        ({"fail_on": "severe"}, "fail_on must be one of"),
        ({"facts": {"parameters": {"value": 1}}}, "must be a number, text"),
        ({"facts": {"parameters": "lots"}}, "parameters"),
        ({"markets": ["EU"] * 51}, "at most 50"),
    ],
)
def test_normalise_options_rejects_bad_values(raw: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        normalise_options(raw)  # type: ignore[arg-type]


def test_resolve_options_fills_defaults_and_declares_facts() -> None:
    resolved = resolve_options({"facts": {"parameters": "7B"}, "exact": True}, today=date(2026, 5, 1), origin="api")
    options = resolved.options
    assert (options.as_of, options.today, options.fail_on, options.fail_on_uncertain) == (
        date(2026, 5, 1), date(2026, 5, 1), "high", True,
    )  # fmt: skip
    assert options.use_waivers is True and options.waivers_path is None  # stored waivers are passed in as a list
    assert (resolved.use_exact, resolved.use_waivers) == (True, True)
    (fact,) = resolved.declared
    assert (fact.name, fact.value, fact.method, fact.evidence[0].source) == ("parameters", 7e9, "declared", "api")
    pinned = resolve_options({"as_of": "2024-12-31"}, today=date(2026, 5, 1), origin="api").options
    assert pinned.as_of == date(2024, 12, 31)


def test_declared_by_names_who_declared_each_fact_in_its_evidence() -> None:
    stored = normalise_options({
        "facts": {"public_service_cn": False, "parameters": "7B"},
        "declared_by": {"public_service_cn": "  ana@example.com\nin the dashboard "},
    })  # fmt: skip
    assert stored["declared_by"] == {"public_service_cn": "ana@example.com in the dashboard"}
    facts = {f.name: f for f in resolve_options(stored, today=date(2026, 5, 1), origin="check inputs").declared}
    assert facts["public_service_cn"].evidence[0].source == "declared by ana@example.com in the dashboard"
    assert facts["parameters"].evidence[0].source == "check inputs"
    for bad in ({"public_service_cn": "x" * 201}, {"training_tokens": "ana"}, "ana"):
        with pytest.raises(UsageError, match="declared_by"):
            normalise_options({"facts": {"public_service_cn": True}, "declared_by": bad})
