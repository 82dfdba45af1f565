"""``compliance hardware check``: a chip question's exit codes, formats and usage errors."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from compliance.cli import main
from compliance.report.findings import blocking, importance

AS_OF = "2026-11-21"
HERE = Path(__file__).resolve().parents[1] / "report"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(["hardware", "check", *args, "--as-of", AS_OF])
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def report_of(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code, out, _ = run([*args, "--format", "json"], capsys)
    return code, json.loads(out)


@pytest.mark.parametrize(
    ("args", "code", "outcome"),
    [
        (["H100x8", "--destination", "CN"], 1, "fail"),
        (["H100x8", "--destination", "DE"], 0, "pass"),
        # MI210: the catalog lacks its die area, so its performance density is unknown.
        (["mi210", "--destination", "CN"], 2, "inconclusive"),
        (["mi210", "--destination", "CN", "--allow-uncertain"], 0, "inconclusive"),
        (["mi210", "--destination", "CN", "--fact", "hardware_performance_density=20"], 1, "fail"),
        (["H100x8", "--destination", "CN", "--fail-on", "critical"], 0, "pass"),
    ],
)
def test_exit_codes_follow_the_outcome(
    args: list[str], code: int, outcome: str, capsys: pytest.CaptureFixture[str]
) -> None:
    got, report = report_of(args, capsys)
    assert (got, report["summary"]["outcome"], report["summary"]["exit_code"]) == (code, outcome, code)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Z999", "--destination", "CN"], "unknown hardware"),
        (["H100x0", "--destination", "CN"], "count"),
        (["H100xmany", "--destination", "CN"], "malformed hardware count"),
        (["H100", "--destination", "XX"], "unknown country"),
        (["H100"], "--destination"),
        (["H100", "--destination", "CN", "--rules", "eu-ai-act-gpai"], "no rule about chips"),
        (["H100", "--destination", "CN", "--rules", "nosuchset"], "no loaded rule set"),
        (["H100", "--destination", "CN", "--output", "pdf=x.pdf"], "--output"),
        (["H100", "--destination", "CN", "--fact", "nonsense"], "--fact"),
    ],
)
def test_usage_errors_exit_4_with_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(args, capsys)
    assert code == 4 and out == ""
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_json_keeps_the_report_contract(capsys: pytest.CaptureFixture[str]) -> None:
    _, report = report_of(["H100x8", "--destination", "CN"], capsys)
    assert report["schema"] == "compliance-report/1"
    assert set(report) >= {"model", "facts", "findings", "summary", "rulesets", "context", "as_of"}
    assert report["model"]["source"] == "hardware" and report["as_of"] == AS_OF
    for fact in report["facts"].values():
        assert set(fact) >= {"value", "low", "high", "confidence", "method", "evidence"}
    summary = report["summary"]
    assert summary["deciding"] == [f["rule_id"] for f in report["findings"] if blocking(f, summary) == "fail"]
    keys = [importance(f["verdict"], f["severity"], f["rule_id"]) for f in report["findings"]]
    assert keys == sorted(keys)
    assert sum(summary["counts"].values()) == len(report["findings"])
    assert {rs["id"] for rs in report["rulesets"]} >= {"us-bis-advanced-computing"}


def test_every_format_and_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "sarif", "junit", "markdown", "text")}
    args = ["H100x8", "--destination", "CN", *[a for f, p in outputs.items() for a in ("--output", f"{f}={p}")]]
    code, out, _ = run(args, capsys)
    assert code == 1 and out.startswith("FAIL (exit 1)")
    assert out == outputs["text"].read_text(encoding="utf-8")
    deciding = json.loads(outputs["json"].read_text(encoding="utf-8"))["summary"]["deciding"]
    sarif = json.loads(outputs["sarif"].read_text(encoding="utf-8"))
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= set(deciding)
    suites = ET.fromstring(outputs["junit"].read_text(encoding="utf-8"))
    assert int(suites.get("failures") or 0) == len(deciding)
    markdown = outputs["markdown"].read_text(encoding="utf-8")
    assert "**FAIL**" in markdown and "hardware" in markdown


def test_sarif_validates_against_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    _, out, _ = run(["H100x8", "--destination", "CN", "--format", "sarif"], capsys)
    schema = json.loads((HERE / "sarif-2.1.0-subset.schema.json").read_text(encoding="utf-8"))
    assert not list(jsonschema.Draft4Validator(schema).iter_errors(json.loads(out)))


def test_a_check_without_a_model_points_to_the_chip_question(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", "--hardware", "H100x8", "--destination", "CN"])
    assert info.value.code == 4
    assert "compliance hardware check" in capsys.readouterr().err
