"""Byte-level fuzz targets for coverage-guided fuzzing: one per parser, with seeds.

Each target turns the fuzzer's bytes into the input its parser reads (a file in a scratch
directory, text, JSON) and hands the parser to :func:`tests.fuzzing.feed`, the same oracle as
the property-based tests, run with ``FUZZ_KEEP_GOING=1`` so that every internal error is
counted and the fuzzer carries on. Seeds are real inputs (the demo model, the card test
suite's passages, the shipped rule sets) for the fuzzer to mutate.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.fuzzing import feed


@dataclass(frozen=True)
class Target:
    """A parser as a function of bytes, and the seeds to start from."""

    parser: str  # the name the figures use, as in the property-based tests
    run: Callable[[bytes, Path], None]  # (input, scratch directory)
    seeds: Callable[[Path], list[bytes]]  # (scratch directory) -> seed inputs


def _safetensors(data: bytes, scratch: Path) -> None:
    # The first 8 bytes say how large the data section after the header is (sparse on disk).
    from compliance.facts.safetensors import SafetensorsSummary, summarize_file

    extra = int.from_bytes(data[:8].ljust(8, b"\0"), "little") % (1 << 41)
    path = scratch / "model.safetensors"
    with open(path, "wb") as handle:
        handle.write(data[8:])
        handle.truncate(max(0, len(data) - 8) + extra)
    feed("safetensors header", lambda: summarize_file(path, SafetensorsSummary()), size=len(data))


def _safetensors_seeds(scratch: Path) -> list[bytes]:
    from compliance.demo import build

    path = build(scratch / "demo") / "model.safetensors"
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = handle.read(length)
    data_size = path.stat().st_size - 8 - length
    return [struct.pack("<Q", data_size) + struct.pack("<Q", length) + header]


def _card(data: bytes, scratch: Path) -> None:
    from compliance.facts.card import parse_card

    text = data.decode("utf-8", "replace")
    feed("model card", lambda: parse_card(text, model_name="org/model-7B"), size=len(data))


def _card_seeds(scratch: Path) -> list[bytes]:
    from compliance.demo import build
    from tests.compliance.facts.passages import load_passages

    readme = (build(scratch / "demo") / "README.md").read_bytes()
    return [readme, *(p.text.encode() for p in load_passages())]


def _in_file(name: str, parser: str, load: Callable[[Path], object]) -> Callable[[bytes, Path], None]:
    def run(data: bytes, scratch: Path) -> None:
        path = scratch / name
        path.write_bytes(data)
        feed(parser, lambda: load(path), size=len(data))

    return run


def _config(path: Path) -> object:
    from compliance.inspection import inspect_local

    return inspect_local(path.parent, model_id="org/model")


def _config_seeds(scratch: Path) -> list[bytes]:
    from compliance.demo import CONFIG

    return [json.dumps(CONFIG).encode(), b'{"model_type": "mixtral", "hidden_size": 64, "num_hidden_layers": 2}']


def _facts(path: Path) -> object:
    from compliance.facts.declared import load_facts_file

    return load_facts_file(path)


FACTS_SEED = b"""parameters: 7e9
training_compute_flop: "8e24..2e25"
open_weights: yes
markets: [EU, US-CA]
training_tokens: {value: 2T, low: 1.8T, high: 2.2T, note: from the paper, source: arXiv}
"""


def _rules(data: bytes, scratch: Path) -> None:
    # A rule set must be named after its id: name the file after whatever id the input gives.
    from compliance.hardware.destinations import group_members
    from compliance.rules import load_rulesets

    found = re.search(rb"\bid:\s*([A-Za-z0-9_.-]{1,60})", data)
    path = scratch / f"{found.group(1).decode() if found else 'x'}.yaml"
    path.write_bytes(data)
    try:
        feed("rule set", lambda: load_rulesets([path], group_resolver=group_members), size=len(data))
    finally:
        path.unlink()


def _rules_seeds(scratch: Path) -> list[bytes]:
    from compliance.rules.loader import default_rules_dir

    return [p.read_bytes() for p in sorted(default_rules_dir().glob("*.yaml")) if not p.name.endswith(".cases.yaml")]


def _waivers(path: Path) -> object:
    from datetime import date

    from compliance.rules import apply_waivers, load_waivers

    return apply_waivers([], "acme/model-7b", load_waivers(path), date(2026, 1, 1))


WAIVERS_SEED = b"""- rule: eu.ai_act.gpai.systemic_risk
  model: acme/*
  reason: reviewed with counsel
  owner: legal@example.com
  expires: 2026-12-31
"""


def _target(data: bytes, scratch: Path) -> None:
    from compliance.targets import parse_target

    text = data.decode("utf-8", "replace")
    feed("model id and revision", lambda: parse_target(text), size=len(data))


def _upload(data: bytes, scratch: Path) -> None:
    from compliance.services.uploads import inspect_uploaded, validate_uploaded

    try:
        raw = json.loads(data)
    except (ValueError, RecursionError):
        return  # the API answers 400 before the upload parser sees it
    if not isinstance(raw, dict):
        return
    name = str(raw.pop("name", "org/model"))[:200] or "org/model"
    feed(
        "upload body",
        lambda: inspect_uploaded(name, validate_uploaded(raw), declared=[], use_exact=False, settings=None),
        size=len(data),
    )


def _upload_seeds(scratch: Path) -> list[bytes]:
    from compliance.demo import build
    from compliance.remote import upload_payload

    return [json.dumps(upload_payload(build(scratch / "demo-upload"))).encode()]


TARGETS: dict[str, Target] = {
    "safetensors": Target("safetensors header", _safetensors, _safetensors_seeds),
    "card": Target("model card", _card, _card_seeds),
    "config": Target("config.json", _in_file("config.json", "config.json", _config), _config_seeds),
    "facts": Target("facts file", _in_file("facts.yaml", "facts file", _facts), lambda _: [FACTS_SEED]),
    "rules": Target("rule set", _rules, _rules_seeds),
    "waivers": Target("waivers file", _in_file("waivers.yaml", "waivers file", _waivers), lambda _: [WAIVERS_SEED]),
    "target": Target("model id and revision", _target, lambda _: [b"meta-llama/Llama-3.1-8B@main", b"./model"]),
    "upload": Target("upload body", _upload, _upload_seeds),
}
