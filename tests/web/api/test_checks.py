"""Checks through the API: submission, validation, enqueue after commit, reports, lists and pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.web.support import ApiClient, RecordingCelery


@pytest.fixture(scope="module")
def upload(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The metadata ``compliance check --server`` uploads for the demo model directory."""
    from compliance.demo import build
    from compliance.remote import upload_payload

    directory = build(tmp_path_factory.mktemp("demo") / "assistant-8b")
    return upload_payload(Path(directory))


def run_checks(app: Any) -> None:
    """Run every queued check in this process, as a worker would."""
    from sqlmodel import col, select

    from compliance.services.checks import run_check
    from compliance.storage.tables import CheckRow

    services = app.extensions["compliance"]
    with services.database.session() as session:
        ids = session.exec(select(CheckRow.id).where(col(CheckRow.status) == "queued")).all()
    for check_id in ids:
        run_check(services.database.session_factory, check_id, settings=services.settings)


def test_submit_stores_a_queued_check_and_sends_it_after_the_commit(
    api: ApiClient, celery: RecordingCelery, upload: dict[str, Any]
) -> None:
    response = api.post("/api/v1/checks", json={"upload": upload, "markets": ["EU"], "open_weights": True})
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "queued" and body["queue"] == "ci"
    assert response.headers["Location"] == f"/api/v1/checks/{body['id']}"
    assert celery.sent == [{"name": "compliance.checks.run", "args": [body["id"]], "queue": "ci"}]
    stored = api.get(body["url"]).get_json()
    assert stored["model"] == "assistant-8b" and stored["source"] == "ci" and stored["report"] is None
    assert stored["requested_by"] == "token:test-admin"


def test_interactive_queue_and_hub_model(api: ApiClient, celery: RecordingCelery) -> None:
    body = {
        "model": "meta-llama/Llama-3.1-8B",
        "revision": "main",
        "queue": "interactive",
        "facts": {"parameters": 8e9},
    }
    response = api.post("/api/v1/checks", json=body)
    assert response.status_code == 202
    assert celery.sent[-1]["queue"] == "interactive"
    assert api.get(response.get_json()["url"]).get_json()["source"] == "api"


def test_a_done_check_carries_its_report(app: Any, api: ApiClient, upload: dict[str, Any]) -> None:
    check_id = api.post("/api/v1/checks", json={"upload": upload, "markets": ["EU"]}).get_json()["id"]
    run_checks(app)
    body = api.get(f"/api/v1/checks/{check_id}").get_json()
    assert body["status"] == "done"
    report = body["report"]
    assert report["schema"] == "compliance-report/1"
    assert report["summary"]["exit_code"] == body["exit_code"]
    assert report["model"]["id"] == "assistant-8b"
    findings = api.get(f"/api/v1/findings?check_id={check_id}").get_json()
    assert findings["total"] == len(report["findings"]) > 0
    triggered = api.get(f"/api/v1/findings?check_id={check_id}&verdict=triggered").get_json()
    assert 0 < triggered["total"] < findings["total"]
    assert {f["verdict"] for f in triggered["items"]} == {"triggered"}


def test_idempotency_key_returns_the_first_check(api: ApiClient, celery: RecordingCelery) -> None:
    headers = {"Idempotency-Key": "build-42"}
    first = api.post("/api/v1/checks", json={"model": "acme/model"}, headers=headers).get_json()
    second = api.post("/api/v1/checks", json={"model": "acme/other"}, headers=headers).get_json()
    assert first["id"] == second["id"]
    assert api.get("/api/v1/checks").get_json()["total"] == 1


def test_a_dead_broker_gives_503_and_a_failed_check(api: ApiClient, celery: RecordingCelery) -> None:
    celery.fail = True
    response = api.post("/api/v1/checks", json={"model": "acme/model"})
    assert response.status_code == 503
    listed = api.get("/api/v1/checks").get_json()
    assert listed["total"] == 1 and listed["items"][0]["status"] == "failed"
    assert listed["items"][0]["failure"] == "service"  # the check never ran: not a verdict, not the model's fault
    assert api.get(f"/api/v1/checks/{listed['items'][0]['id']}").get_json()["failure"] == "service"


def test_nothing_is_sent_when_the_transaction_rolls_back(app: Any, celery: RecordingCelery) -> None:
    from compliance.services.checks import submit_check
    from web.worker.enqueue import after_commit, send_check

    with app.extensions["compliance"].database.session() as session:
        row = submit_check(session, model_ref="acme/model", source="api")
        after_commit(session, send_check, celery, row.id, "ci")
        session.rollback()
    assert celery.sent == []


BAD_BODIES = [
    ({"model": 5}, 422, "model"),
    ({"model": "acme/x", "markets": "EU"}, 422, "markets"),
    ({"model": "acme/x", "unknown": 1}, 422, "unknown"),
    ({"model": "acme/x", "upload": {"name": "x", "card": "hi"}}, 422, "exactly one"),
    ({}, 422, "exactly one"),
    ({"model": "not a model id"}, 422, "model ID"),
    ({"model": "../../etc/passwd"}, 422, "model ID"),
    ({"model": "acme/x", "destination": "Narnia"}, 422, "unknown country"),
    ({"model": "acme/x", "hardware": "Foo9000x8"}, 422, "unknown hardware"),
    ({"model": "acme/x", "markets": ["Mars"]}, 422, "unknown market"),
    ({"model": "acme/x", "fail_on": "sometimes"}, 422, "fail_on"),
    ({"model": "acme/x", "revenue": -1}, 422, "revenue"),
    ({"model": "acme/x", "revenue": "lots"}, 422, "revenue"),
    ({"model": "acme/x", "open_weights": "yes"}, 422, "open_weights"),
    ({"model": "acme/x", "as_of": "yesterday"}, 422, "as_of"),
    ({"model": "acme/x", "facts": ["no-equals-sign"]}, 422, "KEY=VALUE"),
    ({"model": "acme/x", "facts": ["bogus_fact=1"]}, 422, "bogus_fact"),
    ({"model": "acme/x", "rules": ["../secrets.yaml"]}, 422, "rule-set id"),
    ({"upload": {"name": "x"}}, 422, "card, a config or safetensors"),
    ({"upload": {"name": "x", "safetensors": [{"file": "a", "header": []}]}}, 422, "header"),
    ({"upload": {"name": "../x", "card": "hi"}}, 422, "model name"),
]


@pytest.mark.parametrize(("body", "status", "words"), BAD_BODIES)
def test_bad_bodies_are_refused_with_a_json_error(
    api: ApiClient, celery: RecordingCelery, body: dict[str, Any], status: int, words: str
) -> None:
    response = api.post("/api/v1/checks", json=body)
    assert response.status_code == status, response.get_json()
    assert words in response.get_json()["error"]
    assert celery.sent == []


@pytest.mark.parametrize("raw", [b"", b"[1,", b"[1, 2]", b'"text"', b"{" * 5000 + b"}" * 5000, b"\xff\xfe"])
def test_bodies_that_are_not_json_objects_get_400(api: ApiClient, raw: bytes) -> None:
    response = api.post("/api/v1/checks", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.get_json()["error"]


def test_a_huge_body_gets_413_before_it_is_read(api: ApiClient) -> None:
    from web.app import MAX_BODY_BYTES

    blob = json.dumps({"upload": {"name": "x", "card": "a" * (MAX_BODY_BYTES + 10)}})
    response = api.post("/api/v1/checks", data=blob, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "larger" in response.get_json()["error"]


def test_list_checks_filters_and_pages(api: ApiClient) -> None:
    for name in ("acme/a", "acme/b", "acme/c", "other/d"):
        assert api.post("/api/v1/checks", json={"model": name}).status_code == 202
    page = api.get("/api/v1/checks?per_page=2").get_json()
    assert page["total"] == 4 and page["pages"] == 2 and len(page["items"]) == 2
    assert page["items"][0]["model"] == "other/d"  # newest first
    second = api.get("/api/v1/checks?per_page=2&page=2").get_json()
    assert {i["model"] for i in page["items"] + second["items"]} == {"acme/a", "acme/b", "acme/c", "other/d"}
    assert api.get("/api/v1/checks?model_prefix=acme/").get_json()["total"] == 3
    assert api.get("/api/v1/checks?model=other/d&status=queued").get_json()["total"] == 1
    assert api.get("/api/v1/checks?status=done").get_json()["total"] == 0


@pytest.mark.parametrize(
    "query",
    ["per_page=0", "per_page=501", "page=x", "status=bogus", "since=never", "colour=red", "verdict=maybe",
     # a date-time is RFC 3339's, as the document says: not a Unix time, a bare date or without offset
     "until=0.5", "since=1700000000", "since=2025-01-31", "since=2025-01-31T00:00:00"],
)  # fmt: skip
def test_bad_query_strings_get_422(api: ApiClient, query: str) -> None:
    path = "/api/v1/findings" if query.startswith("verdict") else "/api/v1/checks"
    response = api.get(f"{path}?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]


@pytest.mark.parametrize("moment", ["2025-01-31T00:00:00Z", "2025-01-31t10:20:30.123456789+02:00"])
def test_rfc_3339_date_times_filter_checks(api: ApiClient, moment: str) -> None:
    from urllib.parse import quote

    assert api.get(f"/api/v1/checks?since={quote(moment)}").status_code == 200


def test_a_check_of_a_missing_model_says_not_found(app: Any, api: ApiClient) -> None:
    from compliance.errors import ModelNotFound
    from compliance.services.checks import run_check
    from tests.compliance.services.fakes import FakeInspector

    check_id = api.post("/api/v1/checks", json={"model": "nobody/nothing"}).get_json()["id"]
    services = app.extensions["compliance"]
    missing = FakeInspector(fail={"nobody/nothing": ModelNotFound("model nobody/nothing not found", source="hub")})
    run_check(services.database.session_factory, check_id, settings=services.settings, inspector=missing)
    body = api.get(f"/api/v1/checks/{check_id}").get_json()
    assert (body["status"], body["failure"], body["exit_code"], body["report"]) == ("failed", "not_found", 3, None)


def test_unknown_check_is_404(api: ApiClient) -> None:
    assert api.get("/api/v1/checks/doesnotexist0000").status_code == 404
    assert api.get("/api/v1/checks/" + "x" * 300).status_code == 404
