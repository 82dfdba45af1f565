"""The JSON contract's decision fields: summary.deciding and caveats, finding order, settle, deciding marks."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from compliance.check import CheckOptions, run_check
from compliance.demo import build
from compliance.facts.declared import parse_fact_option
from compliance.inspection import catalog_peak_lookup, inspect_local
from compliance.report.caveats import caveat_kind
from compliance.report.findings import blocking, importance
from compliance.report.model import SCHEMA
from compliance.rules.waivers import Waiver

TODAY = date(2026, 11, 21)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("demo") / "assistant-8b")


def check(path: Path, *flags: str, **options: Any) -> dict[str, Any]:
    declared = [parse_fact_option(f) for f in flags]
    inspection = inspect_local(path, declared=declared, peak_lookup=catalog_peak_lookup())
    return run_check(inspection, CheckOptions(as_of=TODAY, **options)).to_dict()


def by_id(report: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["rule_id"] == rule_id)


def test_the_schema_version_is_unchanged_by_added_fields(demo: Path) -> None:
    report = check(demo, markets=["EU"])
    assert report["schema"] == SCHEMA == "compliance-report/1"
    assert {"deciding", "caveats"} <= set(report["summary"])
    assert all("settle" in f for f in report["findings"])
    assert all(isinstance(c["deciding"], bool) for f in report["findings"] for c in f["comparisons"])


@pytest.mark.parametrize(
    ("flags", "options", "outcome"),
    [
        ((), {"markets": ["EU"]}, "inconclusive"),
        (("training_compute_flop=2e24", "finetune_compute_flop=1e21"), {"markets": ["EU"], "open_weights": True},
         "fail"),
        (("training_compute_flop=2e24", "finetune_compute_flop=1e21"), {"markets": ["EU"], "open_weights": False},
         "pass"),
        (("training_compute_flop=2e24", "finetune_compute_flop=1e21"), {"markets": ["EU"], "fail_on": "medium"},
         "fail"),
    ],
)  # fmt: skip
def test_deciding_lists_exactly_the_findings_that_block(
    demo: Path, flags: tuple[str, ...], options: dict[str, Any], outcome: str
) -> None:
    report = check(demo, *flags, **options)
    summary = report["summary"]
    assert summary["outcome"] == outcome
    blocking_ids = [f["rule_id"] for f in report["findings"] if blocking(f, summary) == outcome]
    assert summary["deciding"] == blocking_ids
    assert bool(summary["deciding"]) == (outcome != "pass")


def test_a_waived_finding_never_decides(demo: Path) -> None:
    flags = ("training_compute_flop=2e24", "finetune_compute_flop=1e21")
    failing = check(demo, *flags, markets=["EU"], open_weights=True)
    waivers = [
        Waiver(rule_id, "*", "reviewed", "legal", date(2027, 1, 1), "test", 0)
        for rule_id in failing["summary"]["deciding"]
    ]
    waived = check(demo, *flags, markets=["EU"], open_weights=True, waivers=waivers, today=TODAY)
    assert waived["summary"]["outcome"] == "pass" and waived["summary"]["deciding"] == []


def test_findings_are_ordered_by_verdict_then_severity_then_rule(demo: Path) -> None:
    findings = check(demo)["findings"]
    keys = [importance(f["verdict"], f["severity"], f["rule_id"]) for f in findings]
    assert keys == sorted(keys)
    verdicts = [f["verdict"] for f in findings]
    assert verdicts.index("triggered") < verdicts.index("uncertain") < verdicts.index("not_triggered")


def test_every_uncertain_finding_can_be_settled_with_the_flags_it_lists(demo: Path) -> None:
    report = check(demo)
    uncertain = [f for f in report["findings"] if f["verdict"] == "uncertain"]
    assert uncertain
    for finding in uncertain:
        assert finding["settle"], finding["rule_id"]
        for entry in finding["settle"]:
            assert set(entry) == {"fact", "question", "answers"}
            assert all(isinstance(a, str) for a in entry["answers"])
        flags = [f"{e['fact']}={e['answers'][0]}" for e in finding["settle"]]
        settled = by_id(check(demo, *flags), finding["rule_id"])
        assert settled["verdict"] in ("triggered", "not_triggered"), (finding["rule_id"], flags)
        assert settled["settle"] == []
    assert all(f["settle"] == [] for f in report["findings"] if f["verdict"] != "uncertain")


def test_the_deciding_comparisons_of_an_uncertain_finding_are_its_undecided_ones(demo: Path) -> None:
    finding = by_id(check(demo, markets=["EU"]), "eu.gpai.downstream_modifier")
    assert finding["verdict"] == "uncertain"
    assert [c["fact"] for c in finding["comparisons"] if c["deciding"]] == ["finetune_compute_flop"]
    assert finding["settle"][0]["fact"] == "finetune_compute_flop"


def test_caveats_name_an_unread_base_model(demo: Path) -> None:
    # inspect_local without a hub look-up cannot read the base's compute: the total is unknown.
    caveats = check(demo, markets=["EU"])["summary"]["caveats"]
    assert caveats and all(set(c) == {"kind", "message"} for c in caveats)
    assert "facts_unknown" in {c["kind"] for c in caveats}


def test_declaring_the_facts_clears_the_caveat_about_them(demo: Path) -> None:
    caveats = check(demo, "training_compute_flop=7e23", markets=["EU"])["summary"]["caveats"]
    assert not any("training_compute_flop is unknown" in c["message"] for c in caveats)


@pytest.mark.parametrize(
    ("warning", "kind"),
    [
        ("acme/m is gated and no token was given: facts come from the hub's description only "
         "(card prose, config and headers unknown)", "gated"),
        ("config.json of acme/m not readable: acme/m is not accessible", "files_unread"),
        ("README.md of acme/m is not in the local cache (offline)", "files_unread"),
        ("acme/m: cumulative training compute unknown: the base could not be read", "facts_unknown"),
        ("parameter counts disagree: 7B (headers) and 8B (config)", "sources_disagree"),
        ("acme/m: the hub's safetensors total 7,000 differs from the headers' 8,000", "sources_disagree"),
        ("several licences declared (mit, apache-2.0); using the first", "sources_disagree"),
        ("accelerator-hour figures: only later training stages are stated", None),
    ],
)  # fmt: skip
def test_warnings_that_limit_trust_become_caveats(warning: str, kind: str | None) -> None:
    assert caveat_kind(warning) == kind
