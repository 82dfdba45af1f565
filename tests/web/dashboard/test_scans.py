"""A scan's page: a failed scan says why at the top, how many models it left unchecked, and each one's error."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from compliance.services.targets import create_target
from compliance.storage.db import session_factory, session_scope
from tests.web.dashboard.conftest import csrf_from
from tests.web.dashboard.data import stored_check
from tests.web.failed_scan import OWN_ERROR, WHY, store_failed_scan
from tests.web.support import RecordingCelery


def _failed_scan_of_a_target(app: Flask, running_check: str | None = None) -> tuple[int, int]:
    factory = session_factory(app.extensions["dashboard"].engine)
    with session_scope(factory) as session:
        target = create_target(session, kind="author", value="acme", name="Acme", actor="admin@example.com")
        assert target.id is not None
        target_id = target.id
    return target_id, store_failed_scan(factory, target_id, running_check).id


def test_a_failed_scan_says_why_above_its_counts_and_offers_scanning_again(
    app: Flask, client_as: Callable[[str], FlaskClient], celery: RecordingCelery
) -> None:
    check_id = stored_check(app, "acme/left-0", run=False)
    target_id, scan_id = _failed_scan_of_a_target(app, running_check=check_id)
    client = client_as("submitter")
    html = client.get(f"/scans/{scan_id}").get_data(as_text=True)
    heading = html.index('<h2 id="failed-h">The scan failed</h2>')
    assert heading < html.index('role="status"') and "data-poll" not in html
    assert f"<strong>Why:</strong> {WHY}" in html
    assert re.search(r'<strong data-field="unchecked">3</strong> of its 5 models were left unchecked', html)
    assert "1 failed on its own." in html and f'href="/scans/{scan_id}?status=failed#items-h"' in html
    # Each failed model shows its own error in the table.
    failed = client.get(f"/scans/{scan_id}?status=failed").get_data(as_text=True)
    assert failed.count(f"not checked: the scan failed: {WHY}") == 3 and OWN_ERROR in failed
    assert "acme/done" not in failed and f'href="/checks/{check_id}"' in failed
    # The check the scan was running when it failed says its worker was lost, and why.
    check = client.get(f"/checks/{check_id}").get_data(as_text=True)
    assert '<h2 id="state-h">The worker running it was lost</h2>' in check
    assert f"not checked: the scan failed: {WHY}" in check
    # Scanning the target again starts a new scan.
    assert f'action="/targets/{target_id}/scan"' in html[heading:] and "Scan Acme again" in html
    again = client.post(f"/targets/{target_id}/scan", data={"csrf_token": csrf_from(html)})
    assert again.status_code == 302 and again.headers["Location"] != f"/scans/{scan_id}"
    assert {t["name"] for t in celery.sent} == {"compliance.scans.run"}


def test_the_scans_list_shows_why_a_scan_failed(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    _, scan_id = _failed_scan_of_a_target(app)
    viewer = client_as("viewer")
    html = viewer.get("/scans").get_data(as_text=True)
    assert f'<span class="badge status-failed">failed</span> <span class="muted">{WHY}</span>' in html
    page = viewer.get(f"/scans/{scan_id}").get_data(as_text=True)
    assert "The scan failed" in page and "Scan Acme again" not in page  # a viewer may not start scans
