"""Submission limits: per-token rate (429), queue depth (503), both with Retry-After, both documented."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from compliance.settings import Settings
from tests.web.support import ApiClient, RecordingCelery

CHECK = {"model": "acme/model-7b", "markets": ["EU"]}
QUEUEING = {
    ("post", "/api/v1/checks"),
    ("post", "/api/v1/scans"),
    ("post", "/api/v1/targets/{target_id}/scans"),
    ("post", "/api/v1/reevaluations"),
}

MakeApi = Callable[..., ApiClient]


@pytest.fixture
def make_api(settings: Settings, celery: RecordingCelery, tokens: dict[str, str]) -> Iterator[MakeApi]:
    """A validating client (submitter token) on an app whose settings carry the given changes."""
    from web.app import create_app

    apps: list[Any] = []

    def make(**changes: Any) -> ApiClient:
        app = create_app(replace(settings, **changes), celery=celery, config={"TESTING": True})
        apps.append(app)
        document = app.test_client().get("/api/v1/openapi.json").get_json()
        return ApiClient(app, document, tokens["submitter"])

    yield make
    for app in apps:
        app.extensions["compliance"].database.dispose()


def stored(api: ApiClient, table: str) -> int:
    """Rows in ``checks`` or ``scans``."""
    import sqlalchemy as sa

    with api.client.application.extensions["compliance"].database.engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def retry_after(response: Any) -> int:
    """The Retry-After header, which must be whole seconds."""
    value = response.headers["Retry-After"]
    assert value.isdigit(), value
    return int(value)


def test_a_burst_past_the_limit_is_429_with_retry_after_and_other_tokens_go_on(
    make_api: MakeApi, celery: RecordingCelery, tokens: dict[str, str]
) -> None:
    api = make_api(api_burst=3, api_per_minute=100)
    assert [api.post("/api/v1/checks", json=CHECK).status_code for _ in range(3)] == [202] * 3
    refused = api.post("/api/v1/checks", json=CHECK)
    assert refused.status_code == 429
    assert 1 <= retry_after(refused) <= 10
    assert "too many submissions" in refused.get_json()["error"]
    assert stored(api, "checks") == 3 and len(celery.sent) == 3
    assert api.as_(tokens["admin"]).post("/api/v1/checks", json=CHECK).status_code == 202
    assert api.post("/api/v1/checks", json=CHECK).status_code == 429


def test_the_per_minute_rate_holds_after_the_burst_allowance(make_api: MakeApi) -> None:
    api = make_api(api_burst=100, api_per_minute=4)
    assert [api.post("/api/v1/checks", json=CHECK).status_code for _ in range(4)] == [202] * 4
    refused = api.post("/api/v1/checks", json=CHECK)
    assert refused.status_code == 429
    assert 50 <= retry_after(refused) <= 60  # the first of the four leaves the minute's window
    assert "per minute" in refused.get_json()["error"]


def test_scans_and_reevaluations_count_against_the_same_limit(
    make_api: MakeApi, celery: RecordingCelery, tokens: dict[str, str]
) -> None:
    api = make_api(api_burst=3, api_per_minute=100)
    admin = api.as_(tokens["admin"])
    target = admin.post("/api/v1/targets", json={"kind": "search", "value": "llama", "schedule": False}).get_json()
    assert api.post("/api/v1/reevaluations").status_code == 202
    assert api.post("/api/v1/scans", json={"author": "acme"}).status_code == 202
    assert api.post(f"/api/v1/targets/{target['id']}/scans").status_code == 202
    sent = len(celery.sent)
    for path, body in [("/api/v1/reevaluations", None), ("/api/v1/scans", {"author": "other"}),
                       (f"/api/v1/targets/{target['id']}/scans", None), ("/api/v1/checks", CHECK)]:  # fmt: skip
        refused = api.post(path, json=body)
        assert refused.status_code == 429, path
        assert retry_after(refused) >= 1
    assert len(celery.sent) == sent and stored(api, "scans") == 3


def test_a_full_check_queue_is_503_and_nothing_is_stored_or_sent(make_api: MakeApi, celery: RecordingCelery) -> None:
    api = make_api(api_burst=3, api_per_minute=100, queue_depth=2)
    assert [api.post("/api/v1/checks", json=CHECK).status_code for _ in range(2)] == [202] * 2
    refused = api.post("/api/v1/checks", json={**CHECK, "queue": "ci"})
    assert refused.status_code == 503
    assert retry_after(refused) >= 1
    assert "ci queue is full" in refused.get_json()["error"]
    assert stored(api, "checks") == 2 and len(celery.sent) == 2
    # The depth is per queue, and the refused submission did not use the token's third slot.
    assert api.post("/api/v1/checks", json={**CHECK, "queue": "interactive"}).status_code == 202


def test_a_started_check_leaves_the_queue(make_api: MakeApi) -> None:
    import sqlalchemy as sa

    api = make_api(queue_depth=1)
    first = api.post("/api/v1/checks", json=CHECK).get_json()
    assert api.post("/api/v1/checks", json=CHECK).status_code == 503
    with api.client.application.extensions["compliance"].database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE checks SET status = 'running' WHERE id = :id"), {"id": first["id"]})
    assert api.post("/api/v1/checks", json=CHECK).status_code == 202


def test_a_full_scan_queue_refuses_scans_and_reevaluations(make_api: MakeApi, celery: RecordingCelery) -> None:
    api = make_api(queue_depth=1)
    assert api.post("/api/v1/scans", json={"author": "acme"}).status_code == 202
    for path, body in [("/api/v1/reevaluations", None), ("/api/v1/scans", {"author": "other"})]:
        refused = api.post(path, json=body)
        assert refused.status_code == 503, path
        assert "scan queue is full" in refused.get_json()["error"] and retry_after(refused) >= 1
    assert stored(api, "scans") == 1 and len(celery.sent) == 2  # the first scan's two runners


def test_an_unreachable_counter_store_is_503(make_api: MakeApi, celery: RecordingCelery) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    api = make_api(broker_url=f"redis://127.0.0.1:{port}/0")
    refused = api.post("/api/v1/checks", json=CHECK)
    assert refused.status_code == 503 and retry_after(refused) >= 1
    assert "cannot count submissions" in refused.get_json()["error"]
    assert stored(api, "checks") == 0 and celery.sent == []


def test_the_limits_are_declared_on_every_operation_that_queues_work(document: dict[str, Any]) -> None:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            responses = operation["responses"]
            if (method, path) not in QUEUEING:
                assert "429" not in responses, (method, path)
                continue
            for status in ("429", "503"):
                header = responses[status]["headers"]["Retry-After"]
                assert header["required"] and header["schema"]["type"] == "integer", (method, path, status)
                assert responses[status]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorPublic")


def test_the_default_limits_refuse_a_burst_of_35(api: ApiClient) -> None:
    codes = [api.post("/api/v1/checks", json=CHECK).status_code for _ in range(35)]
    assert codes.count(202) == Settings().api_burst and set(codes[Settings().api_burst :]) == {429}


@pytest.mark.services
def test_redis_counts_are_shared_between_processes(make_api: MakeApi) -> None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
    except OSError as exc:
        pytest.skip(f"Redis not reachable at 127.0.0.1:6379: {exc}")
    import redis

    url = "redis://127.0.0.1:6379/1"  # a database no other test uses; only the counts are removed
    client = redis.Redis.from_url(url)

    def forget() -> None:
        for key in client.scan_iter("LIMITS*"):
            client.delete(key)

    forget()
    try:
        one, two = make_api(broker_url=url, api_burst=2), make_api(broker_url=url, api_burst=2)
        assert one.post("/api/v1/checks", json=CHECK).status_code == 202
        assert two.post("/api/v1/checks", json=CHECK).status_code == 202
        assert one.post("/api/v1/checks", json=CHECK).status_code == 429
        assert two.post("/api/v1/checks", json=CHECK).status_code == 429
    finally:
        forget()
        client.close()
