"""SARIF output: schema-valid, GitHub-shaped, with stable fingerprints and real file locations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compliance.report import sarif
from compliance.report.render import render
from tests.compliance.report import factories as F

HERE = Path(__file__).parent
SCENARIOS = {
    "pass": F.passing,
    "fail": F.failing,
    "inconclusive": F.inconclusive,
    "waived": F.waived,
    "hostile": F.hostile,
}


def _run(report: dict[str, Any]) -> dict[str, Any]:
    log = json.loads(render(report, "sarif"))
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run: dict[str, Any] = log["runs"][0]
    return run


def _by_rule(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["ruleId"]: r for r in run["results"]}


def _uri(result: dict[str, Any]) -> str:
    return str(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_output_validates_against_sarif_schema(name: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    log = json.loads(render(SCENARIOS[name](), "sarif"))
    schemas = [HERE / "sarif-2.1.0-subset.schema.json"]
    # The full OASIS schema is used as well when a copy is placed beside this test.
    official = HERE / "sarif-schema-2.1.0.json"
    if official.exists():
        schemas.append(official)
    for path in schemas:
        schema = json.loads(path.read_text(encoding="utf-8"))
        validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
        assert not errors, f"{path.name}: {errors[0].message} at {list(errors[0].path)}"


def test_the_subset_schema_rejects_what_github_would() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((HERE / "sarif-2.1.0-subset.schema.json").read_text(encoding="utf-8"))
    log = json.loads(render(F.failing(), "sarif"))
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert list(jsonschema.Draft4Validator(schema).iter_errors(log))
    log = json.loads(render(F.failing(), "sarif"))
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"] = {"startLine": 0}
    assert list(jsonschema.Draft4Validator(schema).iter_errors(log))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_github_requirements_hold(name: str) -> None:
    run = _run(SCENARIOS[name]())
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    for rule in rules:
        props = rule["properties"]
        assert len(props["tags"]) <= 20 and len(props["tags"]) == len(set(props["tags"]))
        assert 0.0 <= float(props["security-severity"]) <= 10.0
        assert props["precision"] in ("very-high", "high", "medium", "low")
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")
    assert len(run["results"]) <= sarif.MAX_RESULTS
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert len(result["locations"]) == 1
        uri = _uri(result)
        # Repository-relative, except a hub model's file, which lives at its URL on the hub.
        assert "://" not in uri or (run["properties"]["model"].get("source") == "hub" and uri.startswith("http"))
        assert not uri.startswith("/")
        assert len(result["message"]["text"]) <= sarif.MAX_MESSAGE
        assert result["partialFingerprints"]["primaryLocationLineHash"]
    assert run["invocations"][0]["executionSuccessful"] is True


def test_failing_report_levels_and_rules() -> None:
    run = _run(F.failing())
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
        "eu-gpai-systemic-risk",
        "eu-transparency",
        "eu-prohibited",
        "us-ear-4e091",
    ]
    results = _by_rule(run)
    # Only triggered and uncertain findings are results.
    assert set(results) == {"eu-gpai-systemic-risk", "eu-transparency"}
    assert results["eu-gpai-systemic-risk"]["level"] == "error"
    assert results["eu-transparency"]["level"] == "warning"  # low is below --fail-on high
    assert "suppressions" not in results["eu-gpai-systemic-risk"]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    gpai = rules["eu-gpai-systemic-risk"]
    assert gpai["properties"]["security-severity"] == "8.0"
    assert rules["eu-prohibited"]["properties"]["security-severity"] == "9.5"
    assert rules["eu-transparency"]["properties"]["security-severity"] == "3.0"
    assert {"EU", "eu-ai-act"} <= set(gpai["properties"]["tags"])
    assert gpai["helpUri"] == "https://eur-lex.europa.eu/eli/reg/2024/1689/oj"
    assert gpai["shortDescription"]["text"] == "General-purpose AI model presumed to have systemic risk"
    assert "Regulation (EU) 2024/1689" in gpai["help"]["text"] and "2025-08-02" in gpai["help"]["text"]
    assert gpai["defaultConfiguration"]["level"] == "error"
    assert rules["eu-transparency"]["defaultConfiguration"]["level"] == "warning"
    # Compute is an estimate ("likely"): GitHub shows the rule as less precise than an exact count.
    assert gpai["properties"]["precision"] == "high"


def test_message_states_the_comparison_in_numbers() -> None:
    result = _by_rule(_run(F.failing()))["eu-gpai-systemic-risk"]
    text = result["message"]["text"]
    assert "training_compute_flop 3.8e25 [3e25 – 4.9e25] > 1e25" in text
    assert result["properties"]["verdict"] == "triggered"
    assert result["properties"]["comparisons"][0]["threshold"] == 1e25


def test_uncertain_is_a_warning_when_it_blocks_and_a_note_when_allowed() -> None:
    result = _by_rule(_run(F.inconclusive()))["eu-gpai-systemic-risk"]
    assert result["level"] == "warning"
    assert "Uncertain: the compute interval straddles the threshold." in result["message"]["text"]
    allowed = F.inconclusive()
    allowed["summary"]["fail_on_uncertain"] = False
    assert _by_rule(_run(allowed))["eu-gpai-systemic-risk"]["level"] == "note"


def test_waived_finding_is_reported_as_suppressed() -> None:
    result = _by_rule(_run(F.waived()))["eu-gpai-systemic-risk"]
    assert result["level"] == "error"  # what it would have been; the suppression dismisses it
    assert result["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "notified the AI Office (legal@acme.example, until 2026-06-30)",
        }
    ]


def test_location_is_the_file_the_deciding_evidence_came_from() -> None:
    results = _by_rule(_run(F.failing()))
    gpai = results["eu-gpai-systemic-risk"]["locations"][0]["physicalLocation"]
    # Compute derives from config.json and the card; the card sentence with a line is the claim.
    assert gpai == {"artifactLocation": {"uri": "models/llama-70b/README.md"}, "region": {"startLine": 42}}
    lic = results["eu-transparency"]["locations"][0]["physicalLocation"]
    assert lic["artifactLocation"]["uri"] == "models/llama-70b/README.md"
    assert lic["region"] == {"startLine": 3}


def test_location_for_safetensors_evidence_is_the_first_shard() -> None:
    report = F.report(
        [F.finding("big", "triggered", comparisons=[F.comparison("parameters", "gt", 1e10, 7e10, True)])],
        outcome="fail",
        model={"id": "acme/m", "source": "local", "path": "./models/m/"},
    )
    assert _uri(run_result(report)) == "models/m/model-00001-of-00030.safetensors"


def run_result(report: dict[str, Any]) -> dict[str, Any]:
    results = _run(report)["results"]
    assert len(results) == 1
    return results[0]


def _hub_report(evidence: list[dict[str, Any]], fact: str = "training_tokens") -> dict[str, Any]:
    facts = F.default_facts()
    facts[fact]["evidence"] = evidence
    return F.report(
        [F.finding("t", "triggered", comparisons=[F.comparison(fact, "gt", 1e12, 15e12, True)])],
        outcome="fail",
        facts=facts,
        model={"id": "acme/m", "source": "hub", "revision": "main", "sha": F.SHA},
    )


def test_hub_model_locations_are_the_file_at_the_checked_commit() -> None:
    card = F.evidence("card-text", "https://hub.example/acme/m/blob/main/README.md", "15T tokens", line=9)
    physical = run_result(_hub_report([card]))["locations"][0]["physicalLocation"]
    uri = f"https://hub.example/acme/m/blob/{F.SHA}/README.md"
    assert physical == {"artifactLocation": {"uri": uri}, "region": {"startLine": 9}}


def test_a_hub_model_without_a_cited_file_points_at_its_card_on_the_hub() -> None:
    api = F.evidence("hub-api", "https://hub.example/api/models/acme/m", "safetensors.total 7e10")
    declared = F.evidence("declared", "command line", "--fact training_tokens=15T")
    report = _hub_report([declared])
    report["facts"]["parameters"]["evidence"] = [api]
    assert _uri(run_result(report)) == f"https://hub.example/acme/m/blob/{F.SHA}/README.md"


def test_a_hub_model_whose_evidence_names_no_hub_keeps_a_relative_path() -> None:
    declared = F.evidence("declared", "command line", "--fact training_tokens=15T")
    report = _hub_report([declared])
    for body in report["facts"].values():
        body["evidence"] = [e for e in body.get("evidence") or [] if "://" not in str(e.get("source"))]
    assert _uri(run_result(report)) == "hub/acme/m/README.md"


def test_location_falls_back_to_the_card_or_config_when_no_file_is_cited() -> None:
    facts = F.default_facts()
    facts["markets"] = F.fact(["EU"], ev=[F.evidence("declared", "command line", "--market EU")])
    finding = F.finding("m", "triggered", comparisons=[F.comparison("markets", "in", ["EU"], ["EU"], True)])
    report = F.report([finding], outcome="fail", facts=facts)
    assert _uri(run_result(report)) == "models/llama-70b/README.md"
    no_card = F.report([finding], outcome="fail", facts=facts, files_read=["config.json"])
    assert _uri(run_result(no_card)) == "models/llama-70b/config.json"
    bare = F.report([finding], outcome="fail", facts=facts, files_read=[], model={"id": "x", "source": "declared"})
    assert _uri(run_result(bare)) == "README.md"


def test_declared_facts_file_is_located_relative_to_the_repository_not_the_model() -> None:
    facts = F.default_facts()
    facts["training_compute_flop"] = F.fact(
        2e25, ev=[F.evidence("declared", "release/facts.yaml", "training_compute_flop=2e25", line=4)]
    )
    report = F.report([F.gpai_finding("triggered")], outcome="fail", facts=facts)
    physical = run_result(report)["locations"][0]["physicalLocation"]
    assert physical == {"artifactLocation": {"uri": "release/facts.yaml"}, "region": {"startLine": 4}}


def test_finding_evidence_takes_precedence_and_odd_paths_are_encoded() -> None:
    finding = F.gpai_finding("triggered")
    finding["evidence"] = {"training_compute_flop": [F.evidence("card-text", "docs/MODEL CARD.md", "x", line=2)]}
    report = F.report([finding], outcome="fail", model={"id": "m", "source": "local", "path": "/abs/models/m"})
    assert _uri(run_result(report)) == "file:///abs/models/m/docs/MODEL%20CARD.md"


def test_fingerprints_track_rule_and_model_not_revision() -> None:
    first = F.failing()
    second = F.failing()
    second["model"] = {**second["model"], "sha": "f" * 40, "revision": "v2"}
    second["generated_at"] = "2026-03-01T00:00:00Z"
    a = _by_rule(_run(first))["eu-gpai-systemic-risk"]["partialFingerprints"]
    b = _by_rule(_run(second))["eu-gpai-systemic-risk"]["partialFingerprints"]
    assert a == b
    other = F.failing()
    other["model"] = {**other["model"], "id": "acme/other"}
    c = _by_rule(_run(other))["eu-gpai-systemic-risk"]["partialFingerprints"]
    assert c != a
    assert _by_rule(_run(first))["eu-transparency"]["partialFingerprints"] != a


def test_run_properties_carry_summary_and_rulesets() -> None:
    run = _run(F.failing())
    props = run["properties"]
    assert props["summary"]["outcome"] == "fail" and props["summary"]["exit_code"] == 1
    assert props["rulesets"] == [
        {"id": "eu-ai-act", "version": "2025.08", "sha256": F.SHA},
        {"id": "us-bis", "version": "2025.08", "sha256": F.SHA},
    ]
    assert run["invocations"][0] == {
        "executionSuccessful": True,
        "exitCode": 1,
        "exitCodeDescription": "fail: a triggered finding at or above the fail-on severity",
    }
    assert run["automationDetails"]["id"] == "compliance/acme/llama-70b/"
    assert run["tool"]["driver"]["name"] == "compliance" and run["tool"]["driver"]["version"] == "0.1.0"


def test_passing_report_has_rules_but_no_results() -> None:
    run = _run(F.passing())
    assert run["results"] == []
    assert len(run["tool"]["driver"]["rules"]) == 2


def test_results_are_capped_keeping_the_most_severe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sarif, "MAX_RESULTS", 3)
    findings = [F.finding(f"low-{i}", "triggered", severity="low") for i in range(4)]
    findings.append(F.finding("blocker", "triggered", severity="critical"))
    run = _run(F.report(findings, outcome="fail"))
    assert len(run["results"]) == 3
    assert run["results"][0]["ruleId"] == "blocker"
    assert run["properties"]["results_dropped"] == 2


def test_non_finite_numbers_still_give_strict_json() -> None:
    finding = F.gpai_finding("triggered")
    finding["comparisons"][0]["high"] = float("inf")
    text = render(F.report([finding], outcome="fail"), "sarif")

    def refuse(token: str) -> None:
        raise AssertionError(f"non-standard JSON constant {token}")

    log = json.loads(text, parse_constant=refuse)
    comp = log["runs"][0]["results"][0]["properties"]["comparisons"][0]
    assert comp["high"] is None


def test_hostile_text_stays_inside_json_strings() -> None:
    run = _run(F.hostile())
    results = _by_rule(run)
    assert "<script>" in results["eu-license-check"]["message"]["text"]  # JSON needs no escaping beyond quoting
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "eu-license-check")
    assert "<script>" not in rule["help"]["markdown"]
    assert "helpUri" not in rule  # the link has whitespace in it: not a valid URI
    waived = results["eu-waived"]
    assert waived["level"] == "warning" and waived["suppressions"][0]["kind"] == "external"


def test_rule_ids_shared_by_two_rule_sets_are_qualified() -> None:
    findings = [
        F.finding("threshold", "triggered", ruleset="us-ca-sb53", jurisdiction="US-CA"),
        F.finding("threshold", "triggered", ruleset="us-ny-raise", jurisdiction="US-NY"),
        F.finding("only-here", "triggered", ruleset="us-ny-raise", jurisdiction="US-NY"),
    ]
    run = _run(F.report(findings, outcome="fail"))
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
        "us-ca-sb53/threshold",
        "us-ny-raise/threshold",
        "only-here",
    ]
    assert sorted(r["ruleId"] for r in run["results"]) == ["only-here", "us-ca-sb53/threshold", "us-ny-raise/threshold"]
    assert all("_clash" not in r["properties"] for r in run["results"])


def test_output_is_writable_as_utf8() -> None:
    text = render(F.hostile(), "sarif")
    assert "\ud800" not in text
    assert json.loads(text.encode("utf-8"))["version"] == "2.1.0"


def test_evidence_that_already_names_the_model_path_is_not_joined_twice() -> None:
    facts = F.default_facts()
    facts["training_tokens"]["evidence"] = [F.evidence("card-text", "models/llama-70b/README.md", "15T", line=5)]
    finding = F.finding("t", "triggered", comparisons=[F.comparison("training_tokens", "gt", 1e12, 15e12, True)])
    report = F.report(
        [finding], outcome="fail", facts=facts, model={"id": "m", "source": "local", "path": "./models/llama-70b"}
    )
    assert _uri(run_result(report)) == "models/llama-70b/README.md"
    facts["training_tokens"]["evidence"] = [F.evidence("card-text", "/work/m/README.md", "15T", line=5)]
    report = F.report([finding], outcome="fail", facts=facts, model={"id": "m", "source": "local", "path": "/work/m"})
    assert _uri(run_result(report)) == "file:///work/m/README.md"


def test_facts_only_report_has_an_empty_run() -> None:
    run = _run(F.report([], outcome="not_checked", rulesets=[]))
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    assert run["invocations"][0] == {"executionSuccessful": True, "exitCode": 0}


def test_an_uncertain_result_says_how_to_settle_it() -> None:
    report = F.inconclusive()
    report["findings"][0]["settle"] = [
        {"fact": "training_compute_flop", "question": "What is the training compute?", "answers": ["5e24", "2e25"]}
    ]
    text = run_result(report)["message"]["text"]
    assert "Settle it with --fact training_compute_flop=5e24 or --fact training_compute_flop=2e25." in text
