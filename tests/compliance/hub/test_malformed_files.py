"""A hub repo with malformed files is inspected with warnings, never an internal error.

An impossible date in the card, and JSON nested 100,000 levels deep in ``config.json``, a
safetensors header or the shard index, each ended a hub check as "internal error" (or the
test hub's 500). The card is ignored as any malformed front matter is; what cannot be decoded
is not used, and the warnings say why.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.compliance.hub.conftest import make_run
from tests.hubfixtures import HubServer
from tests.web.hubserver.test_malformed_files import write_repos


@pytest.mark.parametrize(
    ("name", "warning"),
    [
        ("bad-date", "the model card was ignored"),
        ("deep-config", "config.json: JSON nested too deeply to decode; ignored"),
        ("deep-header", "safetensors headers of acme/deep-header not read: safetensors header nests too deeply"),
        ("deep-index", "model.safetensors.index.json: JSON nested too deeply to decode"),
    ],
)
def test_what_cannot_be_read_is_a_warning(
    start_folder_hub: Callable[[Path], HubServer], tmp_path: Path, name: str, warning: str
) -> None:
    hub = start_folder_hub(write_repos(tmp_path / "repos"))
    inspection = make_run(hub.url, tmp_path).inspect(f"acme/{name}", thorough=True)
    assert any(warning in w for w in inspection.warnings), inspection.warnings


def test_the_ignored_cards_warning_names_the_line_and_the_date(
    start_folder_hub: Callable[[Path], HubServer], tmp_path: Path
) -> None:
    hub = start_folder_hub(write_repos(tmp_path / "repos"))
    inspection = make_run(hub.url, tmp_path).inspect("acme/bad-date")
    [ignored] = [w for w in inspection.warnings if "the model card was ignored" in w]
    assert "README.md: line 3: front matter: invalid YAML: not a valid date '2025-13-45'" in ignored
    assert inspection.facts.get("license") is None


def test_a_card_with_real_dates_is_read(start_folder_hub: Callable[[Path], HubServer], tmp_path: Path) -> None:
    hub = start_folder_hub(write_repos(tmp_path / "repos"))
    inspection = make_run(hub.url, tmp_path).inspect("acme/dates")
    license_fact = inspection.facts.get("license")
    assert license_fact is not None and license_fact.value == "mit"
