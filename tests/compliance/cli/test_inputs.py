"""Hostile and careless input on the command line: every case is exit 4 with one line naming it.

Each test here would have failed before: ``--facts /dev/zero`` grew until killed, a FIFO hung,
an impossible date or 100,000 levels of JSON were "internal error" (exit 2), a ``file:``
endpoint was "model not found" (exit 3), a negative compute was "not a number".
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest

from compliance.cli import main
from tests.factories import model_dir, tiny_llama_tensors

ROOT = Path(__file__).resolve().parents[3]
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
needs_dev_zero = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
DEEP = 100_000


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    _, err = capsys.readouterr()
    return int(info.value.code or 0), err


def assert_input_error(code: int, err: str, *needles: str) -> None:
    assert code == 4, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, err


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return model_dir(tmp_path / "m", tensors=tiny_llama_tensors())


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _oversized(path: Path, size: int) -> Path:
    with path.open("wb") as fh:
        fh.truncate(size)  # sparse: nothing is written
    return path


# -- 7: only regular files, bounded -------------------------------------------------------------

OPTIONS = [
    ("inspect", "--facts"),
    ("check", "--facts"),
    ("check", "--waivers"),
    ("check", "--rules"),
]


@needs_dev_zero
@pytest.mark.timeout(30)
@pytest.mark.parametrize(("command", "option"), OPTIONS)
def test_a_device_is_refused(command: str, option: str, model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run([command, str(model), option, "/dev/zero"], capsys)
    assert_input_error(code, err, "/dev/zero", "not a regular file")


@needs_fifo
@pytest.mark.timeout(30)
@pytest.mark.parametrize(("command", "option"), OPTIONS)
def test_a_fifo_is_refused_without_waiting(
    command: str, option: str, model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = _fifo(tmp_path / "input.yaml")
    code, err = run([command, str(model), option, str(fifo)], capsys)
    assert_input_error(code, err, str(fifo), "not a regular file")


@pytest.mark.parametrize(("command", "option"), OPTIONS[:3])
def test_a_directory_is_refused(
    command: str, option: str, model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "input.yaml"
    folder.mkdir()
    code, err = run([command, str(model), option, str(folder)], capsys)
    assert_input_error(code, err, str(folder), "a directory, not a regular file")


@pytest.mark.parametrize(
    ("command", "option", "size"),
    [("inspect", "--facts", 2 << 20), ("check", "--waivers", 5 << 20), ("check", "--rules", 5 << 20)],
)
def test_an_oversized_file_is_refused(
    command: str, option: str, size: int, model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = _oversized(tmp_path / "big.yaml", size)
    code, err = run([command, str(model), option, str(big)], capsys)
    assert_input_error(code, err, str(big), "larger than the")


@needs_fifo
@pytest.mark.timeout(30)
def test_rules_validate_refuses_a_fifo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = _fifo(tmp_path / "set.yaml")
    code, err = run(["rules", "validate", str(fifo)], capsys)
    assert_input_error(code, err, str(fifo), "not a regular file")


@needs_fifo
@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", ["config.json", "README.md"])
def test_a_fifo_inside_the_model_directory_is_refused(
    name: str, model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (model / name).unlink()
    _fifo(model / name)
    code, err = run(["inspect", str(model)], capsys)
    assert_input_error(code, err, name, "a FIFO")


@needs_dev_zero
@pytest.mark.timeout(30)
def test_a_config_linked_to_a_device_is_refused(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (model / "config.json").unlink()
    (model / "config.json").symlink_to("/dev/zero")
    code, err = run(["inspect", str(model)], capsys)
    assert_input_error(code, err, "config.json", "a device")


# -- 8: impossible dates in YAML ---------------------------------------------------------------


def test_an_impossible_date_in_a_card_names_the_card_and_line(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A bad date is malformed front matter, like a duplicate key: a local check stops with exit 4
    # (a hub check ignores the card with a warning, as it does any malformed front matter).
    (model / "README.md").write_text("---\nlicense: mit\nrelease_date: 2025-13-45\n---\n# Tiny\n")
    code, err = run(["inspect", str(model)], capsys)
    assert_input_error(code, err, "README.md: line 3", "not a valid date '2025-13-45'")


def test_an_impossible_date_in_a_facts_file(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text("open_weights: yes\nlicense: 2025-13-45\n")
    code, err = run(["check", str(model), "--facts", str(facts)], capsys)
    assert_input_error(code, err, f"{facts}: line 2", "not a valid date")


def test_an_impossible_date_in_a_waiver_file(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("- rule: eu.gpai.provider_obligations\n  model: '*'\n  reason: r\n  owner: o\n"
                       "  expires: 2025-13-45\n")  # fmt: skip
    code, err = run(["check", str(model), "--waivers", str(waivers)], capsys)
    assert_input_error(code, err, f"{waivers}: line 5", "not a valid date")


@pytest.mark.parametrize("command", [["rules", "validate"], ["check", "MODEL", "--rules"]])
def test_an_impossible_date_in_a_rule_set(
    command: list[str], model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = (ROOT / "rules" / "us-ca-sb1047.yaml").read_text(encoding="utf-8")
    assert "    effective_from: null\n" in shipped
    path = tmp_path / "us-ca-sb1047.yaml"
    path.write_text(shipped.replace("    effective_from: null\n", "    effective_from: 2024-02-30\n", 1))
    line = path.read_text().splitlines().index("    effective_from: 2024-02-30") + 1
    code, err = run([str(model) if part == "MODEL" else part for part in command] + [str(path)], capsys)
    assert_input_error(code, err, f"{path}: line {line}", "not a valid date '2024-02-30'")


# -- 9: deeply nested JSON ---------------------------------------------------------------------


def _deep(prefix: str = "") -> str:
    return prefix + "[" * DEEP + "]" * DEEP + ("}" if prefix else "")


def test_deeply_nested_config(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (model / "config.json").write_text(_deep('{"model_type": "llama", "x": '))
    code, err = run(["inspect", str(model)], capsys)
    assert_input_error(code, err, "config.json", "nested too deeply")


def test_deeply_nested_safetensors_header(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = _deep('{"x": ').encode()
    (model / "model.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw)
    code, err = run(["inspect", str(model)], capsys)
    assert_input_error(code, err, "model.safetensors", "nests too deeply")


def test_deeply_nested_shard_index(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (model / "model.safetensors.index.json").write_text(_deep('{"weight_map": '))
    code, err = run(["inspect", str(model)], capsys)
    assert_input_error(code, err, "model.safetensors.index.json", "nested too deeply")


def test_deeply_nested_yaml_facts(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text("datasets: " + "[" * DEEP + "]" * DEEP + "\n")
    code, err = run(["inspect", str(model), "--facts", str(facts)], capsys)
    assert_input_error(code, err, str(facts), "nesting deeper")


def test_nesting_the_decoder_accepts_does_not_break_the_check(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = json.loads((model / "config.json").read_text())
    config["extra"] = json.loads("[" * 800 + "]" * 800)
    (model / "config.json").write_text(json.dumps(config))
    code, err = run(["check", str(model), "--format", "sarif"], capsys)
    assert code in (0, 1, 2) and "internal error" not in err, err


# -- 10: endpoints and declared values ---------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    ["file:///etc/passwd", "huggingface.co", "ftp://example.org", "https://exa mple.org", "https://example.org:99999",
     "https://user:pw@example.org", "http://"],
)  # fmt: skip
@pytest.mark.parametrize("target", ["MODEL", "acme/tiny"])
def test_a_malformed_endpoint_is_a_usage_error(
    endpoint: str, target: str, model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(["inspect", str(model) if target == "MODEL" else target, "--endpoint", endpoint], capsys)
    assert_input_error(code, err, "--endpoint must be an http(s) URL")


@pytest.mark.parametrize("variable", ["COMPLIANCE_HF_ENDPOINT", "HF_ENDPOINT"])
def test_a_malformed_endpoint_in_the_environment_is_a_usage_error(
    variable: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("COMPLIANCE_HF_ENDPOINT", raising=False)
    monkeypatch.setenv(variable, "file:///etc/passwd")
    code, err = run(["inspect", "acme/tiny"], capsys)
    assert_input_error(code, err, f"{variable} must be an http(s) URL")


def test_a_malformed_server_is_a_usage_error(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["check", str(model), "--server", "https://ci:secret@compliance.example"], capsys)
    assert_input_error(code, err, "--server must be an http(s) URL", "user name or password")


@pytest.mark.parametrize(
    ("fact", "message"),
    [
        ("training_compute_flop=-1", "must be positive"),
        ("training_utilization=2", "must be at most 1"),
        ("destination_groups=ZZ9", "unknown country group 'ZZ9'"),
        ("destination_country=Atlantis", "unknown country"),
    ],
)
def test_a_declared_value_outside_what_the_fact_allows(
    fact: str, message: str, model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(["check", str(model), "--fact", fact], capsys)
    assert_input_error(code, err, "--fact", message)
