"""The shipped index of known models is what the build script makes of the demo registry."""

from __future__ import annotations

import json
from pathlib import Path

from bench.known_index import build, registry_records
from compliance.provenance.known import KNOWN_PATH, SCHEMA, parse_known


def test_shipped_index_matches_the_demo_registry() -> None:
    shipped = json.loads(KNOWN_PATH.read_text("utf-8"))
    from_registry = [m for m in shipped["models"] if m["source"] == "demo-registry"]
    records, families = registry_records()
    assert shipped["families"] == families
    assert from_registry == sorted(records, key=lambda r: r["id"]), (
        "compliance/data/known_models.json is stale: run python -m bench.known_index --shared ../shared"
    )


def test_build_without_shared_holds_only_the_registry(tmp_path: Path) -> None:
    doc = build(tmp_path)  # no bench/configs there
    assert doc["schema"] == SCHEMA
    assert {m["source"] for m in doc["models"]} == {"demo-registry"}
    assert len(parse_known(doc).models) == len(doc["models"])


def test_shared_configs_are_read_at_build_time_only(tmp_path: Path) -> None:
    configs = tmp_path / "bench" / "configs"
    configs.mkdir(parents=True)
    config = {"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "intermediate_size": 128}
    (configs / "acme__tiny.json").write_text(json.dumps(config))
    (configs / "_provenance.json").write_text("{}")
    (tmp_path / "bench" / "models.csv").write_text("model_id,epoch_publication_date\nacme/tiny,2024-01-02\n")
    doc = build(tmp_path)
    added = [m for m in doc["models"] if m["source"] == "shared-bench"]
    assert [(m["id"], m["since"], m["dims"]["hidden_size"]) for m in added] == [("acme/tiny", "2024-01-02", 64)]
    assert added[0]["weights"] == [] and added[0]["shapes"] is None
