"""Scanning a target again from the dashboard while its scan's runners are dead takes the scan over."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from compliance.services.scans import start_scan
from compliance.services.targets import create_target
from compliance.storage.db import session_factory, session_scope
from compliance.storage.tables import ScanRunnerRow, utcnow
from tests.web.dashboard.conftest import csrf_from
from tests.web.support import RecordingCelery


def _running_scan(app: Flask, *, lease_left: float) -> tuple[int, int]:
    factory = session_factory(app.extensions["dashboard"].engine)
    with session_scope(factory) as session:
        target = create_target(session, kind="author", value="acme", name="Acme", actor="admin@example.com")
        assert target.id is not None
        scan = start_scan(session, target_id=target.id, trigger="api")
        scan.status = "running"
        session.add(scan)
        session.flush()
        assert scan.id is not None
        session.add(ScanRunnerRow(scan_id=scan.id, task_id="t1", lease_until=utcnow() + timedelta(seconds=lease_left)))
        return target.id, scan.id


def test_scan_now_on_a_scan_whose_runners_died_sends_new_ones(
    app: Flask, client_as: Callable[[str], FlaskClient], celery: RecordingCelery
) -> None:
    target_id, scan_id = _running_scan(app, lease_left=-1)
    client = client_as("submitter")
    html = client.get(f"/scans/{scan_id}").get_data(as_text=True)
    again = client.post(f"/targets/{target_id}/scan", data={"csrf_token": csrf_from(html)})
    assert again.status_code == 302 and again.headers["Location"] == f"/scans/{scan_id}"
    assert [t["name"] for t in celery.sent] == ["compliance.scans.run"] * 2


def test_scan_now_on_a_scan_with_live_runners_sends_nothing(
    app: Flask, client_as: Callable[[str], FlaskClient], celery: RecordingCelery
) -> None:
    target_id, scan_id = _running_scan(app, lease_left=30)
    client = client_as("submitter")
    html = client.get(f"/scans/{scan_id}").get_data(as_text=True)
    again = client.post(f"/targets/{target_id}/scan", data={"csrf_token": csrf_from(html)})
    assert again.headers["Location"] == f"/scans/{scan_id}" and celery.sent == []
