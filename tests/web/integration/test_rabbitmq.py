"""RabbitMQ as the broker: a check submitted through the API is run by a real worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.integration.conftest import RABBIT_URL, Stack, make_stack, require_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.services]


@pytest.fixture
def rabbit(tmp_path: Path, hub_server: Any) -> Iterator[Stack]:
    """SQLite for data, RabbitMQ for tasks (the queues purged first)."""
    require_port("RabbitMQ", "127.0.0.1", 5672)
    stack = make_stack("rabbitmq", tmp_path, hub_server.url, broker_url=RABBIT_URL)
    from web.worker.celery_app import create_celery

    app = create_celery(stack.settings, register_tasks=False)
    with app.connection_for_write() as connection:
        for queue in app.amqp.queues.values():  # left over from an earlier run: start empty
            bound = queue(connection.default_channel)
            bound.declare()
            bound.purge()
    yield stack
    stack.stop()


def test_a_check_runs_through_rabbitmq(rabbit: Stack) -> None:
    rabbit.start_worker("--queues", "ci,interactive", "--concurrency", "1")
    client = rabbit.app().test_client()
    headers = {"Authorization": f"Bearer {rabbit.token('submitter')}"}
    response = client.post("/api/v1/checks", json={"model": "meta-llama/Llama-3.1-8B-Instruct", "markets": ["EU"]},
                           headers=headers)  # fmt: skip
    assert response.status_code == 202
    url = response.get_json()["url"]
    check = wait_for(lambda: (c := client.get(url, headers=headers).get_json())["status"] in ("done", "failed") and c,
                     timeout=60, what="the check")  # fmt: skip
    assert check["status"] == "done" and check["report"]["model"]["id"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert client.get("/healthz").status_code == 200
