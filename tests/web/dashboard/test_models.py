"""The models table (filters, sorting, paging), a model's page with its diff, and the exposure overview."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.dashboard.data import known_only_by_bounds, registry_model, stored_check

# model id -> declared training compute (None: leave it to the card's 15T tokens, about 7.2e23)
MODELS = {"acme/small": "4e21", "acme/mid": None, "acme/big": "3e25", "beta/huge": "2e26", "beta/unknown": "skip"}


@pytest.fixture
def registry(app: Flask) -> dict[str, str]:
    """Five registry models across the bands; returns their latest check ids."""
    ids = {}
    for model_id, compute in MODELS.items():
        if compute == "skip":
            registry_model(app, model_id, None)
            continue
        options = {"markets": ["EU"], "open_weights": False}
        if compute:
            options["facts"] = {"training_compute_flop": compute}
        ids[model_id] = stored_check(app, model_id, options=options)
        registry_model(app, model_id, ids[model_id])
    return ids


def _models(client: FlaskClient, query: str) -> list[str]:
    html = client.get("/models" + query).get_data(as_text=True)
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return re.findall(r'<tr><td><a href="/models/([^"]+)">', body)


def test_table_lists_the_registry_with_compute_and_band(
    registry: dict[str, str], client_as: Callable[..., FlaskClient]
) -> None:
    client = client_as("viewer")
    assert _models(client, "") == sorted(MODELS)
    html = client.get("/models").get_data(as_text=True)
    assert "3e25" in html and "1e25 to 1e26 FLOP" in html and "compute unknown" in html


def test_filters(registry: dict[str, str], client_as: Callable[..., FlaskClient]) -> None:
    client = client_as("viewer")
    assert _models(client, "?q=BIG") == ["acme/big"]
    assert _models(client, "?q=%25") == []  # a LIKE wildcard is searched for literally
    assert _models(client, "?org=beta") == ["beta/huge", "beta/unknown"]
    assert _models(client, "?verdict=unchecked") == ["beta/unknown"]
    assert _models(client, "?band=ge1e26") == ["beta/huge"]
    assert _models(client, "?band=1e23-1e24") == ["acme/mid"]
    assert _models(client, "?band=unknown") == ["beta/unknown"]
    # Closed weights above 1e23 FLOP trigger the EU's GPAI documentation duty; 4e21 does not.
    assert _models(client, "?regime=eu-ai-act-gpai") == ["acme/big", "acme/mid", "beta/huge"]
    failing = set(_models(client, "?verdict=fail")) | set(_models(client, "?verdict=inconclusive"))
    passing = set(_models(client, "?verdict=pass"))
    assert failing | passing == set(registry) and not failing & passing
    assert _models(client, "?band=nonsense") == sorted(MODELS)  # unknown values are ignored


def test_sorting_and_paging(registry: dict[str, str], client_as: Callable[..., FlaskClient]) -> None:
    client = client_as("viewer")
    assert _models(client, "?sort=-compute") == ["beta/huge", "acme/big", "acme/mid", "acme/small", "beta/unknown"]
    assert _models(client, "?sort=compute")[:4] == ["acme/small", "acme/mid", "acme/big", "beta/huge"]
    nearest = _models(client, "?sort=distance")
    assert nearest[-2:] == ["beta/huge", "beta/unknown"]  # nothing above 1e26 to approach; unknown last
    from web.dashboard.registry import ComputeIndex, ModelFilters, list_models
    from web.dashboard.state import db

    with client.application.test_request_context():
        page = list_models(db(), ModelFilters(per_page=2, page=2), index=ComputeIndex(), values=[1e23, 1e25, 1e26])
        assert [e.id for e in page.items] == ["acme/small", "beta/huge"] and page.total == 5 and page.pages == 3
        banded = list_models(
            db(), ModelFilters(band="lt1e23", per_page=1), index=ComputeIndex(), values=[1e23, 1e25, 1e26]
        )
        assert banded.total == 1 and banded.items[0].id == "acme/small"


def test_model_page_lists_checks_and_compares_two(app: Flask, client_as: Callable[..., FlaskClient]) -> None:
    before = stored_check(app, "acme/m", options={"markets": ["EU"], "open_weights": False})
    after = stored_check(app, "acme/m", options={"markets": ["EU"], "open_weights": False,
                                                  "facts": {"training_compute_flop": "3e25"}})  # fmt: skip
    client = client_as("viewer")
    html = client.get("/models/acme/m").get_data(as_text=True)
    assert f'href="/checks/{before}"' in html and f'href="/checks/{after}"' in html
    assert "Not in the registry" in html
    diff = client.get(f"/models/acme/m?a={after}&b={before}").get_data(as_text=True)  # either order
    assert "the check&#39;s options changed" in diff and "Primary cause: <strong>context</strong>" in diff
    assert "training compute" in diff and "3e25" in diff
    assert "eu.gpai.systemic_risk_notification" in diff  # 3e25 > 1e25: a new finding
    other = stored_check(app, "acme/other")
    assert "Pick two finished checks" in client.get(f"/models/acme/m?a={before}&b={other}").get_data(as_text=True)
    assert client.get("/models/nobody/nothing").status_code == 404


def test_overview_counts_bands_and_distances(registry: dict[str, str], client_as: Callable[..., FlaskClient]) -> None:
    html = client_as("viewer").get("/").get_data(as_text=True)
    assert "<strong>5</strong> models in the registry" in html
    rows = dict(re.findall(r'<a href="/models\?band=([^"]+)">[^<]+</a></th><td>(\d+)</td>', html))
    assert rows["lt1e23"] == "1" and rows["1e23-1e24"] == "1" and rows["1e25-1e26"] == "1"
    assert rows["ge1e26"] == "1" and rows["unknown"] == "1"
    nearest = html[html.index('id="near-h"') :]
    assert nearest.index("acme/big") < nearest.index("acme/small")  # 3e25 is x3.3 from 1e26; 4e21 is x25 from 1e23


def test_a_model_known_only_by_an_upper_bound_counts_as_unknown(
    app: Flask, client_as: Callable[..., FlaskClient]
) -> None:
    for model_id, high in (("acme/bounded", 1e25), ("acme/tiny", 1.6e20)):
        check_id = stored_check(app, model_id)
        known_only_by_bounds(app, check_id, high=high)
        registry_model(app, model_id, check_id)
    client = client_as("viewer")
    html = client.get("/").get_data(as_text=True)
    rows = dict(re.findall(r'<a href="/models\?band=([^"]+)">[^<]+</a></th><td>(\d+)</td>', html))
    # "at most 1e25" could lie in any band below 1e25; "at most 1.6e20" lies wholly below 1e23.
    assert rows["unknown"] == "1" and rows["lt1e23"] == "1" and rows.get("1e24-1e25", "0") == "0"
    assert "acme/tiny" in html[html.index('id="near-h"') :] and "unknown, at most 1.6e20" in html
    assert _models(client, "?band=unknown") == ["acme/bounded"] and _models(client, "?band=lt1e23") == ["acme/tiny"]
    table = client.get("/models").get_data(as_text=True)
    assert "unknown, at most 1e25" in table and "≤" not in table
    assert _models(client, "?sort=distance") == ["acme/tiny", "acme/bounded"]  # an unknown band has no distance
