"""The ENFORCE Act rule set (a lapsed bill) used for what-if checks with ``--rules`` and ``--as-of``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compliance.cli import main
from compliance.facts.names import FACT_SPECS, Kind
from compliance.report.findings import NOT_IN_FORCE_HEADING
from compliance.rules.loader import load_rulesets
from tests.factories import model_dir

CAPABILITIES = ("capability_cbrn_uplift", "capability_offensive_cyber", "capability_evades_oversight")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def check(model: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run(["check", str(model), "--rules", "us-enforce-act", "--format", "json", *flags], capsys)
    assert "Traceback" not in err
    return code, json.loads(out)


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return model_dir(tmp_path / "m")


def test_the_bill_is_proposed_capability_based_and_sourced() -> None:
    rules = [r for r in load_rulesets().rules if r.ruleset.id == "us-enforce-act"]
    assert {r.spec.id for r in rules} == {
        "us.enforce.cbrn_uplift",
        "us.enforce.offensive_cyber",
        "us.enforce.evades_oversight",
    }
    assert all(r.status.value == "proposed" and r.spec.effective_from is None for r in rules)
    # The third example of the interim definition is from memory, the first two from the bill text.
    assert {r.spec.id: r.spec.sourcing for r in rules}["us.enforce.evades_oversight"] == "M"
    assert all(FACT_SPECS[name].kind is Kind.BOOL for name in CAPABILITIES)


@pytest.mark.parametrize("as_of", ["2024-06-01", "2026-11-21"])
def test_a_declared_capability_gives_a_what_if_on_any_date(
    model: Path, capsys: pytest.CaptureFixture[str], as_of: str
) -> None:
    code, report = check(
        model, capsys, "--as-of", as_of, "--destination", "CN",
        "--fact", "capability_cbrn_uplift=yes", "--fact", "capability_offensive_cyber=no",
    )  # fmt: skip
    assert code == 0  # a bill never fails a check
    found = {f["rule_id"]: f for f in report["findings"]}
    assert {f["verdict"] for f in found.values()} == {"not_applicable"}
    assert found["us.enforce.cbrn_uplift"]["what_if"] == "triggered"
    assert found["us.enforce.offensive_cyber"]["what_if"] == "not_triggered"
    assert found["us.enforce.evades_oversight"]["what_if"] == "uncertain"  # not declared: unknown
    assert found["us.enforce.cbrn_uplift"]["reason"] == "proposed: never became law (what-if only)"


def test_the_text_report_says_what_the_bill_would_say(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["check", str(model), "--rules", "us-enforce-act", "--as-of", "2024-06-01", "--destination", "AE",
         "--fact", "capability_offensive_cyber=yes"],
        capsys,
    )  # fmt: skip
    assert code == 0
    section = out.split(NOT_IN_FORCE_HEADING, 1)[1]
    assert "WOULD TRIGGER" in section and "us.enforce.offensive_cyber" in section
    assert "https://www.congress.gov/bill/118th-congress/house-bill/8315" in section
    assert "(2 undecided; --verbose lists them)" in section


def test_a_release_within_the_us_is_not_an_export(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, report = check(model, capsys, "--destination", "US", "--fact", "capability_cbrn_uplift=yes")
    cbrn = next(f for f in report["findings"] if f["rule_id"] == "us.enforce.cbrn_uplift")
    assert cbrn["what_if"] == "triggered" and cbrn["scope_reason"]


def test_a_capability_is_declared_yes_or_no(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        ["check", str(model), "--rules", "us-enforce-act", "--fact", "capability_cbrn_uplift=maybe"], capsys
    )
    assert code == 4 and "capability_cbrn_uplift" in err
