"""The derivation-match figures: the demo registry's one documented copy, and no false match."""

from __future__ import annotations

import json
from pathlib import Path

from bench.derivation_matches import EXPECTED, demo_registry, shared_configs
from web.hubserver.demo import DemoRegistry


def test_the_demo_registry_has_its_copy_found_and_no_false_match() -> None:
    figures = demo_registry()
    assert set(figures["found"]) == EXPECTED and figures["missed"] == [] and figures["false"] == []


def test_shared_configs_figures_from_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "bench" / "configs"
    folder.mkdir(parents=True)
    repo = DemoRegistry().get("openbmb/MiniCPM-Llama3-V-2_5")
    assert repo is not None
    (folder / "openbmb__MiniCPM-Llama3-V-2_5.json").write_text(json.dumps(repo.main.config()))
    figures = shared_configs(tmp_path)
    assert figures is not None
    assert figures["originals_flagged"] == [] and figures["tunes_flagged"] == []
    assert figures["copies"] == 1 and figures["copies_missed"] == []
    assert shared_configs(tmp_path / "nowhere") is None
