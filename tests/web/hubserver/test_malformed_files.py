"""Repos whose files are malformed: the hub serves the repo and leaves out what it cannot derive.

A card with an impossible date (``2025-13-45``) or any date at all, and JSON nested 100,000
levels deep in ``config.json``, a safetensors header or the shard index, each answered the
model description with a 500.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from web.hubserver import FolderRegistry, create_hub_app

CONFIG = json.dumps({"architectures": ["LlamaForCausalLM"], "model_type": "llama"})
DEEP = "[" * 100_000 + "]" * 100_000
CARD = "---\nlicense: mit\n---\n# Model\n"


def _header_file(raw: bytes) -> bytes:
    return struct.pack("<Q", len(raw)) + raw


DATES = "---\nlicense: mit\nreleased: 2025-01-02\nat: 2025-01-02 03:04:05\n---\n"
REPOS: dict[str, dict[str, str | bytes]] = {
    "bad-date": {"README.md": "---\nlicense: mit\nrelease_date: 2025-13-45\n---\n# Model\n", "config.json": CONFIG},
    "dates": {"README.md": DATES, "config.json": CONFIG},
    "deep-config": {"README.md": CARD, "config.json": '{"x": ' + DEEP + "}"},
    "deep-header": {
        "README.md": CARD,
        "config.json": CONFIG,
        "model.safetensors": _header_file(b'{"x": ' + DEEP.encode() + b"}"),
    },
    "deep-index": {
        "README.md": CARD,
        "config.json": CONFIG,
        "model.safetensors.index.json": '{"weight_map": ' + DEEP + "}",
        "model-00001-of-00001.safetensors": _header_file(b"{}"),
    },
}


def write_repos(root: Path) -> Path:
    """The repos above as ``acme/<name>`` folders under ``root``."""
    for name, files in REPOS.items():
        folder = root / "acme" / name
        folder.mkdir(parents=True)
        for filename, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            (folder / filename).write_bytes(data)
    return root


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    root = write_repos(tmp_path_factory.mktemp("repos"))
    return create_hub_app(FolderRegistry(root)).test_client()


EXPAND = "?expand[]=cardData&expand[]=config&expand[]=safetensors"


@pytest.mark.parametrize("name", sorted(REPOS))
@pytest.mark.parametrize(
    "path", ["/api/models/acme/{}", "/api/models/acme/{}" + EXPAND, "/api/models/acme/{}/revision/main"]
)
def test_the_description_is_served(client: FlaskClient, name: str, path: str) -> None:
    response = client.get(path.format(name))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["id"] == f"acme/{name}"


def test_a_card_with_an_impossible_date_has_no_card_data(client: FlaskClient) -> None:
    body = client.get(f"/api/models/acme/bad-date{EXPAND}").get_json()
    assert body.get("cardData") is None
    assert client.get("/acme/bad-date/resolve/main/README.md").status_code == 200


def test_card_dates_are_served_as_the_hubs_iso_text(client: FlaskClient) -> None:
    card = client.get(f"/api/models/acme/dates{EXPAND}").get_json()["cardData"]
    assert card["released"] == "2025-01-02T00:00:00.000Z"
    assert card["at"] == "2025-01-02T03:04:05.000Z"


@pytest.mark.parametrize(("name", "missing"), [("deep-config", "config"), ("deep-header", "safetensors")])
def test_what_cannot_be_decoded_is_left_out(client: FlaskClient, name: str, missing: str) -> None:
    body = client.get(f"/api/models/acme/{name}{EXPAND}").get_json()
    assert body.get(missing) is None


def test_an_index_that_cannot_be_decoded_is_not_an_index(client: FlaskClient) -> None:
    response = client.get("/api/models/acme/deep-index/safetensors-metadata/model.safetensors.index.json")
    assert response.status_code == 400
    assert "not a safetensors index" in response.get_json()["error"]
