"""``check --server``'s submission: a busy server (429, 503 with Retry-After) is waited out within the deadline."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from compliance.errors import ServiceError
from compliance.remote import ServerBusy, submit

ACCEPTED = {"id": "c1", "status": "queued", "queue": "ci", "url": "/api/v1/checks/c1"}


class Answers:
    """What the stub server answers to each POST, in order, and when each POST came."""

    def __init__(self, *answers: tuple[int, dict[str, str], dict[str, Any]]) -> None:
        self.queue = list(answers)
        self.times: list[float] = []


@pytest.fixture
def server() -> Iterator[tuple[str, Answers]]:
    """A stub compliance server on loopback; set ``answers.queue`` before posting."""
    answers = Answers()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answers.times.append(time.monotonic())
            status, headers, body = answers.queue.pop(0)
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {**headers, "Content-Type": "application/json"}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/api/v1/checks", answers
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_busy_server_is_tried_again_after_retry_after(server: tuple[str, Answers]) -> None:
    url, answers = server
    answers.queue = [
        (429, {"Retry-After": "1"}, {"error": "too many submissions for this token"}),
        (503, {"Retry-After": "1"}, {"error": "the ci queue is full"}),
        (202, {}, ACCEPTED),
    ]
    assert submit(url, "cmp_x", {"model": "acme/m"}, time.monotonic() + 30) == ACCEPTED
    assert [round(b - a) for a, b in zip(answers.times, answers.times[1:], strict=False)] == [1, 1]


def test_a_wait_past_the_deadline_is_not_taken(server: tuple[str, Answers]) -> None:
    url, answers = server
    answers.queue = [(429, {"Retry-After": "30"}, {"error": "too many submissions for this token"})]
    started = time.monotonic()
    with pytest.raises(ServerBusy, match="429: too many submissions") as info:
        submit(url, "cmp_x", {"model": "acme/m"}, started + 5)
    assert info.value.retry_after == 30 and time.monotonic() - started < 5
    assert info.value.exit_code == ServiceError.exit_code


def test_a_503_without_retry_after_fails_at_once(server: tuple[str, Answers]) -> None:
    url, answers = server
    answers.queue = [(503, {}, {"error": "database error"})]
    with pytest.raises(ServiceError, match="503: database error") as info:
        submit(url, None, {"model": "acme/m"}, time.monotonic() + 30)
    assert not isinstance(info.value, ServerBusy) and len(answers.times) == 1
