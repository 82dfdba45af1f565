from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from compliance.cli import main
from tests.factories import model_dir, tiny_llama_tensors

ROOT = Path(__file__).resolve().parents[3]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_inspect_json_is_the_report_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = model_dir(tmp_path / "m", tensors=tiny_llama_tensors())
    code, out, _ = run(["inspect", str(target), "--format", "json"], capsys)
    assert code == 0
    report = json.loads(out)
    assert report["schema"] == "compliance-report/1"
    assert set(report) >= {"model", "facts", "findings", "summary"}
    for name in ("parameters", "active_parameters", "training_tokens", "training_compute_flop"):
        fact = report["facts"][name]
        assert set(fact) >= {"value", "low", "high", "confidence", "method", "evidence"}
    assert report["summary"] == {**report["summary"], "outcome": "not_checked", "exit_code": 0}


def test_inspect_text_shows_facts_and_evidence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["inspect", str(model_dir(tmp_path / "m"))], capsys)
    assert code == 0
    assert "training_compute_flop" in out and "README.md:" in out


@pytest.mark.parametrize(
    "args",
    [
        ["inspect"],
        ["inspect", "x", "--bogus"],
        ["check", ".", "--fail-on", "extreme"],
        ["inspect", ".", "--fact", "nonsense=1"],
        ["nosuchcommand"],
        [],
    ],
)
def test_usage_errors_exit_4(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(args, capsys)
    assert code == 4
    assert "Traceback" not in err


def test_missing_directory_exits_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["inspect", str(tmp_path / "nope")], capsys)
    assert code == 4
    assert err.startswith("error: ") and "no such directory" in err


@pytest.mark.parametrize("bad_id", ["../../etc/passwd", "https://huggingface.co/org/name", "a b/c", "x" * 500,
                                    "оrg/name", "org/name@../../x", "org//name"])  # fmt: skip
def test_bad_model_ids_exit_4_before_any_request(bad_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["inspect", bad_id], capsys)
    assert code == 4, err
    assert "Traceback" not in err


def test_console_script_never_prints_a_traceback(tmp_path: Path) -> None:
    target = model_dir(tmp_path / "m", config=None, card=None)
    (target / "model.safetensors").write_bytes(b"\xff" * 20)
    env = {k: v for k, v in os.environ.items() if k != "COMPLIANCE_DEBUG"}
    proc = subprocess.run([sys.executable, "-m", "compliance", "inspect", str(target)], capture_output=True,
                          text=True, env=env, cwd=ROOT, check=False)  # fmt: skip
    assert proc.returncode == 4
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def _loaded_after_inspect(target: Path, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has loaded after ``compliance inspect target``."""
    return _loaded_after(["inspect", str(target), "--format", "json"], modules)


def _loaded_after(args: list[str], modules: tuple[str, ...], env: dict[str, str] | None = None) -> list[str]:
    """Which of ``modules`` a fresh interpreter has loaded after ``compliance ARGS``."""
    code = (
        "import sys\nfrom compliance.cli import run\n"
        f"run({args!r})\n"
        f"print('LOADED', [m for m in {modules!r} if m in sys.modules])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                          env={**os.environ, **(env or {})})  # fmt: skip
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("LOADED ")
    return list(ast.literal_eval(last.removeprefix("LOADED ")))


def test_local_inspection_does_not_load_heavy_libraries(tmp_path: Path) -> None:
    target = model_dir(tmp_path / "m", tensors=tiny_llama_tensors())
    heavy = ("huggingface_hub", "sqlmodel", "sqlalchemy", "flask", "celery", "torch", "pydantic")
    assert _loaded_after_inspect(target, heavy) == []


def test_local_inspection_start_up_path_stays_lean(tmp_path: Path) -> None:
    # The start-up budget of `compliance inspect` (bench/inspect_speed.py) depends on these
    # standard-library modules staying off the path: each costs milliseconds to import.
    target = model_dir(tmp_path / "m", tensors=tiny_llama_tensors(), card=None)
    slow = ("dataclasses", "inspect", "typing", "shutil", "datetime", "yaml", "compliance.settings")
    assert _loaded_after_inspect(target, slow) == []


# The default CI gate, ``compliance check DIR --format json`` with every shipped rule set: with the
# compiled rule sets cached (any run but the first), it must not pay for these.
CHECK_HEAVY = (
    "pydantic",
    "yaml",
    "huggingface_hub",
    "sqlmodel",
    "sqlalchemy",
    "flask",
    "celery",
    "compliance.rules.schema",
    "compliance.rules.cases",
    "compliance.rules.waivers",
    "compliance.report.sarif",
    "compliance.report.junit",
    "compliance.report.markdown",
    "compliance.hardware.catalog",
    "compliance.hardware.destinations",
    "hashlib",
    "tempfile",
    "shutil",
    "fractions",
)


def test_check_with_a_warm_rule_cache_does_not_load_heavy_libraries(tmp_path: Path) -> None:
    target = model_dir(tmp_path / "m", tensors=tiny_llama_tensors(), card=None)
    env = {"COMPLIANCE_CACHE_DIR": str(tmp_path / "cache")}
    check = ["check", str(target), "--format", "json"]
    cold = _loaded_after(check, ("pydantic", "yaml", "tempfile"), env)
    assert cold == ["pydantic", "yaml", "tempfile"]  # the first run validates and writes the cache
    assert _loaded_after(check, CHECK_HEAVY, env) == []


def test_check_imports_an_output_format_only_when_asked(tmp_path: Path) -> None:
    target = model_dir(tmp_path / "m", tensors=tiny_llama_tensors(), card=None)
    env = {"COMPLIANCE_CACHE_DIR": str(tmp_path / "cache")}
    sarif, junit = tmp_path / "r.sarif", tmp_path / "r.xml"
    check = ["check", str(target), "--format", "json"]
    formats = ("compliance.report.sarif", "compliance.report.junit", "compliance.report.markdown")
    assert _loaded_after([*check, "--output", f"junit={junit}"], formats, env) == ["compliance.report.junit"]
    both = _loaded_after([*check, "--output", f"sarif={sarif}", "--output", f"junit={junit}"], formats, env)
    assert {"compliance.report.sarif", "compliance.report.junit"} <= set(both)
    assert sarif.stat().st_size and junit.stat().st_size
