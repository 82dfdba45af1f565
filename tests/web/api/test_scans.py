"""Scans through the API: start (queued for the runners after commit), watch, items and changes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.support import ApiClient, RecordingCelery


def test_start_a_scan_of_an_author_queues_two_runners(api: ApiClient, celery: RecordingCelery) -> None:
    response = api.post("/api/v1/scans", json={"author": "acme", "options": {"markets": ["EU"]}})
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "queued" and body["url"] == f"/api/v1/scans/{body['id']}"
    assert celery.sent == [{"name": "compliance.scans.run", "args": [body["id"]], "queue": "scan"}] * 2
    scan = api.get(body["url"]).get_json()
    assert scan["status"] == "queued" and scan["total"] == 0 and scan["changes"] == []
    target = api.get(f"/api/v1/targets/{body['target_id']}").get_json()
    assert target["kind"] == "author" and target["value"] == "acme" and target["options"] == {"markets": ["EU"]}


def test_the_same_scan_twice_returns_the_unfinished_one(api: ApiClient, celery: RecordingCelery) -> None:
    first = api.post("/api/v1/scans", json={"models": ["acme/a", "acme/b"]}).get_json()
    second = api.post("/api/v1/scans", json={"models": ["acme/a", "acme/b"]}).get_json()
    assert first["id"] == second["id"] and first["target_id"] == second["target_id"]
    assert len(api.get("/api/v1/targets").get_json()["items"]) == 1


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "exactly one"),
        ({"author": "acme", "search": "llama"}, "exactly one"),
        ({"author": "bad name!"}, "author"),
        ({"models": ["not-an-id"]}, "model ID"),
        ({"models": []}, "models"),
        ({"author": "acme", "options": {"colour": "red"}}, "unknown option"),
        ({"author": "acme", "extra": True}, "extra"),
    ],
)
def test_bad_scan_bodies(api: ApiClient, celery: RecordingCelery, body: dict[str, Any], words: str) -> None:
    response = api.post("/api/v1/scans", json=body)
    assert response.status_code == 422
    assert words in response.get_json()["error"].lower() or words in response.get_json()["error"]
    assert celery.sent == []


def test_a_finished_scan_shows_progress_items_and_changes(app: Any, api: ApiClient, hub: Any, tmp_path: Any) -> None:
    from compliance.services.scans import run_scan
    from web.worker.listing import HubLister

    services = app.extensions["compliance"]
    settings = services.settings.with_overrides(hf_endpoint=hub.url)
    scan_id = api.post("/api/v1/scans", json={"author": "demo-labs"}).get_json()["id"]
    run_scan(services.database.session_factory, scan_id, settings=settings, lister=HubLister.from_settings(settings))
    scan = api.get(f"/api/v1/scans/{scan_id}").get_json()
    assert scan["status"] == "done" and scan["listing_finished"]
    assert scan["total"] == scan["done"] + scan["errors"] + scan["skipped"] > 0
    assert scan["changes_total"] == len(scan["changes"]) > 0
    assert {c["kind"] for c in scan["changes"]} >= {"new_model"}
    items = api.get(f"/api/v1/scans/{scan_id}/items").get_json()
    assert items["total"] == scan["total"]
    changes = api.get(f"/api/v1/changes?scan_id={scan_id}&kind=new_model").get_json()
    assert changes["total"] == scan["done"]
    assert api.get("/api/v1/scans?kind=registry").get_json()["total"] == 1
    current = api.get("/api/v1/findings?current=true").get_json()
    assert current["total"] > 0


def test_reevaluation_and_target_scan(api: ApiClient, celery: RecordingCelery) -> None:
    response = api.post("/api/v1/reevaluations")
    assert response.status_code == 202
    target = api.post("/api/v1/targets", json={"kind": "search", "value": "llama", "schedule": False}).get_json()
    response = api.post(f"/api/v1/targets/{target['id']}/scans")
    assert response.status_code == 202
    assert [s["name"] for s in celery.sent] == ["compliance.scans.run"] * 4
    assert api.post("/api/v1/targets/999/scans").status_code == 404


def test_unknown_scan_is_404(api: ApiClient) -> None:
    assert api.get("/api/v1/scans/12345").status_code == 404
    assert api.get("/api/v1/scans/12345/items").status_code == 404


def test_a_failed_scan_says_why_and_how_many_models_it_left_unchecked(app: Any, api: ApiClient) -> None:
    from tests.web.failed_scan import OWN_ERROR, WHY, store_failed_scan

    scan = store_failed_scan(app.extensions["compliance"].database.session_factory)
    body = api.get(f"/api/v1/scans/{scan.id}").get_json()
    assert (body["status"], body["error"], body["unchecked"], body["errors"]) == ("failed", WHY, 3, 4)
    listed = api.get("/api/v1/scans").get_json()["items"]
    assert [(s["id"], s["unchecked"]) for s in listed] == [(scan.id, 3)]
    failed = api.get(f"/api/v1/scans/{scan.id}/items?status=failed").get_json()
    assert failed["total"] == scan.failed
    errors = sorted(i["error"] for i in failed["items"])
    assert errors == [OWN_ERROR] + [f"not checked: the scan failed: {WHY}"] * 3


def test_a_scan_that_did_not_fail_has_no_unchecked_count(api: ApiClient, celery: RecordingCelery) -> None:
    scan_id = api.post("/api/v1/scans", json={"author": "acme"}).get_json()["id"]
    assert api.get(f"/api/v1/scans/{scan_id}").get_json()["unchecked"] is None
