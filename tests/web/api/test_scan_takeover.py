"""A scan requested again while its runners are dead is taken over at once; a live one is left alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from compliance.storage.db import session_scope
from compliance.storage.tables import ScanRow, ScanRunnerRow, utcnow
from tests.web.support import ApiClient, RecordingCelery

RUN = {"name": "compliance.scans.run", "queue": "scan"}


def _started(app: Any, scan_id: int, *, lease_left: float) -> None:
    """The scan's runners took it up; their lease has ``lease_left`` seconds to go (negative: ran out)."""
    factory = app.extensions["compliance"].database.session_factory
    with session_scope(factory) as session:
        session.execute(sa.update(ScanRow).where(ScanRow.id == scan_id).values(status="running"))
        for n in range(2):
            session.add(ScanRunnerRow(scan_id=scan_id, task_id=f"t{scan_id}-{n}", role="lead" if n == 0 else "follow",
                                      lease_until=utcnow() + timedelta(seconds=lease_left)))  # fmt: skip


def test_requesting_a_scan_whose_runners_died_sends_new_ones(app: Any, api: ApiClient, celery: RecordingCelery) -> None:
    first = api.post("/api/v1/scans", json={"author": "acme"}).get_json()
    assert len(celery.sent) == 2
    _started(app, first["id"], lease_left=-1)  # the worker was killed; nothing renews the leases
    again = api.post("/api/v1/scans", json={"author": "acme"})
    assert again.status_code == 202 and again.get_json()["id"] == first["id"]
    assert again.get_json()["status"] == "running"
    assert [{"name": m["name"], "queue": m["queue"]} for m in celery.sent[2:]] == [RUN, RUN]
    assert [m["args"] for m in celery.sent[2:]] == [[first["id"]]] * 2
    # The runners just sent have not started yet: asking a third time sends no more.
    api.post("/api/v1/scans", json={"author": "acme"})
    assert len(celery.sent) == 4


def test_requesting_a_scan_whose_runners_are_alive_sends_nothing(
    app: Any, api: ApiClient, celery: RecordingCelery
) -> None:
    first = api.post("/api/v1/scans", json={"author": "acme"}).get_json()
    _started(app, first["id"], lease_left=30)
    assert api.post("/api/v1/scans", json={"author": "acme"}).status_code == 202
    assert len(celery.sent) == 2
