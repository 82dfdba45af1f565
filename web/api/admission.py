"""What the API lets in: per-token submission limits and a ceiling on queued work.

Every operation that queues work (a check, a scan, a re-evaluation) calls :meth:`Admission.admit`
once its request is valid and before anything is stored or sent:

* **Rate, per token**: ``COMPLIANCE_API_BURST`` submissions in any 10 seconds and
  ``COMPLIANCE_API_PER_MINUTE`` in any minute (moving windows of the ``limits`` library, the
  engine under Flask-Limiter). Past either, 429 with ``Retry-After``: the whole seconds until
  the oldest counted submission leaves its window.
* **Depth, per queue**: once ``COMPLIANCE_QUEUE_DEPTH`` checks wait on the check's queue, or
  that many scans wait for the scan queue (status ``queued`` in the database, see
  :mod:`compliance.services.backlog`: the same on every broker), 503 with ``Retry-After``.

A refused submission is not counted against the token's rate. The counts live in the broker's
Redis when the broker (or the result backend) is Redis, so every server process shares them;
otherwise in the process's memory, so each process of ``serve --workers N`` counts on its own.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from compliance.settings import Settings
from web.api.endpoints import ApiError

BURST_SECONDS = 10
SCAN_QUEUE = "scan"  # web.worker.celery_app.SCAN_QUEUE, not imported here: it loads Celery
_NAMESPACE = "api-submit"
_REDIS_TIMEOUT_SECONDS = 2.0


@dataclass
class Admission:
    """Submission limits over a ``limits`` storage, and the queue-depth ceiling."""

    storage_uri: str
    burst: int
    per_minute: int
    depth: int
    _limiter: Any = field(default=None, init=False, repr=False)
    _windows: tuple[Any, ...] = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        options: dict[str, Any] = {}
        if not self.storage_uri.startswith("memory:"):
            # Redis is the broker too: a dead one fails the submission quickly, not in minutes.
            options = {"socket_connect_timeout": _REDIS_TIMEOUT_SECONDS, "socket_timeout": _REDIS_TIMEOUT_SECONDS}
        storage = storage_from_string(self.storage_uri, wrap_exceptions=True, **options)
        self._limiter = MovingWindowRateLimiter(storage)
        self._windows = (
            RateLimitItemPerSecond(self.burst, BURST_SECONDS),
            RateLimitItemPerMinute(self.per_minute),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Admission:
        """The limits the settings name, counted where :attr:`Settings.rate_limit_storage` says."""
        return cls(settings.rate_limit_storage, settings.api_burst, settings.api_per_minute, settings.queue_depth)

    def admit(self, session: Any, token_id: int, queue: str) -> None:
        """Count one submission by ``token_id`` of work for ``queue``, or raise a 429 or 503 ApiError."""
        from limits.errors import StorageError

        key = str(token_id)
        try:
            self._refuse_if_over(key)
            self._refuse_if_full(session, queue)
            if not all([self._limiter.hit(window, _NAMESPACE, key) for window in self._windows]):
                # Another request of the same token got in between the test and the hit.
                self._refuse_if_over(key)
        except StorageError as exc:
            raise ApiError.unavailable(f"cannot count submissions: {exc}") from None

    def _refuse_if_over(self, key: str) -> None:
        for window in self._windows:
            if not self._limiter.test(window, _NAMESPACE, key):
                stats = self._limiter.get_window_stats(window, _NAMESPACE, key)
                wait = max(1, math.ceil(stats.reset_time - time.time()))
                raise ApiError(
                    429,
                    f"too many submissions for this token: at most {window.amount} per "
                    f"{_span(window)}; retry in {wait} s",
                    headers={"Retry-After": str(wait)},
                )

    def _refuse_if_full(self, session: Any, queue: str) -> None:
        from compliance.services.backlog import queued_checks, queued_scans

        waiting = queued_scans(session) if queue == SCAN_QUEUE else queued_checks(session, queue)
        if waiting >= self.depth:
            raise ApiError.unavailable(f"the {queue} queue is full: {waiting} waiting, at most {self.depth}")


def _span(window: Any) -> str:
    seconds = window.get_expiry()
    return "minute" if seconds == 60 else f"{seconds} seconds"
