from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from compliance.check import CheckOptions, run_check
from compliance.demo import build
from compliance.errors import UsageError
from compliance.facts.declared import parse_fact_option
from compliance.inspection import catalog_peak_lookup, inspect_local

TODAY = date(2026, 11, 21)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("demo") / "assistant-8b")


def _check(path: Path, **kw: object) -> dict:  # type: ignore[type-arg]
    declared = kw.pop("declared", [])
    inspection = inspect_local(path, declared=declared, peak_lookup=catalog_peak_lookup())  # type: ignore[arg-type]
    return run_check(inspection, CheckOptions(as_of=kw.pop("as_of", TODAY), **kw)).to_dict()  # type: ignore[arg-type]


def _finding(report: dict, rule_id: str) -> dict:  # type: ignore[type-arg]
    return next(f for f in report["findings"] if f["rule_id"] == rule_id)


def test_demo_model_facts(demo: Path) -> None:
    facts = inspect_local(demo).facts
    assert facts.value("parameters") == 8_030_261_248
    assert facts.value("base_model") == "meta-llama/Llama-3.1-8B"


def test_a_gpai_model_triggers_the_eu_duties_but_not_the_systemic_risk_presumption(demo: Path) -> None:
    report = _check(demo, markets=["EU"])
    assert _finding(report, "eu.gpai.documentation")["verdict"] == "triggered"
    assert _finding(report, "eu.gpai.systemic_risk_notification")["verdict"] == "not_triggered"
    assert {r["id"] for r in report["rulesets"]} >= {"eu-ai-act-gpai", "us-bis-advanced-computing"}
    assert all(len(r["sha256"]) == 64 for r in report["rulesets"])


def test_declared_interval_across_a_threshold_is_uncertain(demo: Path) -> None:
    report = _check(demo, markets=["EU"], declared=[parse_fact_option("training_compute_flop=8e24..2e25")])
    finding = _finding(report, "eu.gpai.systemic_risk_notification")
    assert finding["verdict"] == "uncertain"
    [comparison] = [c for c in finding["comparisons"] if c["fact"] == "training_compute_flop"]
    assert (comparison["op"], comparison["threshold"], comparison["low"], comparison["high"]) == (
        "gt",
        1e25,
        8e24,
        2e25,
    )
    assert report["summary"]["exit_code"] == 2
    allowed = _check(demo, markets=["EU"], declared=[parse_fact_option("training_compute_flop=8e24..2e25")],
                     fail_on_uncertain=False)  # fmt: skip
    assert allowed["summary"]["exit_code"] == 0


def test_fail_on_severity_decides_exit_1(demo: Path) -> None:
    big = [parse_fact_option("training_compute_flop=3e25")]
    assert _check(demo, markets=["EU"], declared=big, fail_on="high")["summary"]["exit_code"] == 1
    assert (
        _check(demo, markets=["EU"], declared=big, fail_on="critical", fail_on_uncertain=False)["summary"]["exit_code"]
        == 0
    )


def test_law_as_of_a_past_day(demo: Path) -> None:
    facts = [parse_fact_option("training_compute_flop=2e26"), parse_fact_option("open_weights=no")]
    then = _check(demo, declared=facts, destination="CN", as_of=date(2025, 3, 1))
    now = _check(demo, declared=facts, destination="CN")
    rule = "us.bis.4e091.tier3_denial"
    assert _finding(then, rule)["verdict"] == "triggered"
    assert _finding(now, rule)["verdict"] == "not_applicable"
    assert _finding(now, rule)["what_if"] == "triggered"


def test_hardware_and_destination_context(demo: Path) -> None:
    report = _check(demo, destination="China", hardware="H100x8")
    assert report["facts"]["destination_country"]["value"] == "CN"
    assert report["facts"]["hardware_tpp"]["value"] == pytest.approx(15832)
    assert any(f["verdict"] == "triggered" and f["jurisdiction"] == "US" for f in report["findings"])


def test_waivers_from_a_file(demo: Path, tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "- {rule: eu.gpai.systemic_risk_notification, model: 'assistant-*', reason: notified on 2026-11-01,"
        " owner: legal@example.com, expires: 2027-01-01}\n"
    )
    big = [parse_fact_option("training_compute_flop=3e25")]
    report = _check(demo, markets=["EU"], declared=big, waivers_path=waivers, fail_on_uncertain=False)
    finding = _finding(report, "eu.gpai.systemic_risk_notification")
    assert finding["verdict"] == "triggered" and finding["waived"]["owner"] == "legal@example.com"
    assert report["summary"]["counts"]["waived"] >= 1
    audit = _check(demo, markets=["EU"], declared=big, waivers_path=waivers, use_waivers=False, fail_on_uncertain=False)
    assert _finding(audit, "eu.gpai.systemic_risk_notification")["waived"] is None
    assert audit["summary"]["exit_code"] == 1


@pytest.mark.parametrize(("option", "value"), [("destination", "Atlantis"), ("hardware", "H9000")])
def test_unknown_context_is_a_usage_error(demo: Path, option: str, value: str) -> None:
    with pytest.raises(UsageError):
        _check(demo, **{option: value})
