"""Scans, waivers, the audit log, tokens, rules and hardware; and every page's weight."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient

from tests.web.dashboard.conftest import csrf_from
from tests.web.dashboard.data import registry_model, stored_check
from tests.web.support import RecordingCelery

PAGE_WEIGHT_LIMIT = 200_000  # bytes of HTML + CSS + JS, no images


def _post(client: FlaskClient, page: str, action: str, **data: object) -> object:
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data})


def test_targets_scans_and_their_progress(client_as: Callable[[str], FlaskClient], celery: RecordingCelery) -> None:
    admin = client_as("admin")
    response = _post(admin, "/scans", "/targets", name="Acme", kind="author", value="acme", markets=["EU"],
                     open_weights="yes", schedule="y")  # fmt: skip
    assert response.status_code == 302  # type: ignore[attr-defined]
    html = admin.get("/scans").get_data(as_text=True)
    assert "<td>Acme</td><td>author</td><td>acme</td>" in html
    assert "markets: EU" in html and "compliance.scans.scan_target" in html and "every 24.0 h" in html
    # The deployment questions are asked here too, with the check form's defaults.
    assert "offered to the public in China: no" in html and "developer&#39;s annual revenue: 0 to 5e8 USD" in html
    bad = _post(admin, "/scans", "/targets", kind="author", value="not an author!", open_weights="")
    assert bad.status_code == 400 and "not a valid author" in bad.get_data(as_text=True)  # type: ignore[attr-defined]

    submitter = client_as("submitter")
    response = _post(submitter, "/scans", "/targets/1/scan")
    scan_url = response.headers["Location"]  # type: ignore[attr-defined]
    assert re.fullmatch(r"/scans/\d+", scan_url)
    assert {(t["name"], t["queue"]) for t in celery.sent} == {("compliance.scans.run", "scan")}
    page = submitter.get(scan_url).get_data(as_text=True)
    assert "data-poll" in page and "queued" in page and "No changes yet" in page
    status = submitter.get(scan_url + "/status").get_json()
    assert status["status"] == "queued" and status["finished"] is False and status["total"] == 0
    # A second click while it is queued shows the same scan and queues nothing more.
    sent = len(celery.sent)
    assert _post(submitter, "/scans", "/targets/1/scan").headers["Location"] == scan_url  # type: ignore[attr-defined]
    assert len(celery.sent) == sent
    assert _post(admin, "/scans", "/targets/1/toggle").status_code == 302  # type: ignore[attr-defined]
    assert "disabled" in admin.get("/scans").get_data(as_text=True)


def test_waivers_are_added_listed_revoked_and_audited(client_as: Callable[[str], FlaskClient]) -> None:
    reviewer = client_as("reviewer")
    form = reviewer.get("/waivers?rule_id=eu.gpai.documentation&model=acme/model").get_data(as_text=True)
    assert '<option selected value="eu.gpai.documentation">' in form or 'value="eu.gpai.documentation" selected' in form
    assert 'value="acme/model"' in form
    expires = (date.today() + timedelta(days=30)).isoformat()
    response = _post(reviewer, "/waivers", "/waivers", rule_id="eu.gpai.documentation", model_pattern="acme/*",
                     reason="Documentation filed <ref 12>", owner="legal@example.com", expires=expires)  # fmt: skip
    assert response.status_code == 302  # type: ignore[attr-defined]
    html = reviewer.get("/waivers").get_data(as_text=True)
    assert "Documentation filed &lt;ref 12&gt;" in html and "reviewer@example.com" in html and expires in html
    past = _post(reviewer, "/waivers", "/waivers", rule_id="eu.gpai.documentation", model_pattern="acme/*",
                 reason="r", owner="o", expires="2000-01-01")  # fmt: skip
    assert past.status_code == 400 and "in the past" in past.get_data(as_text=True)  # type: ignore[attr-defined]
    assert _post(reviewer, "/waivers", "/waivers/1/revoke").status_code == 302  # type: ignore[attr-defined]
    assert "No active waivers" in reviewer.get("/waivers").get_data(as_text=True)
    assert "revoked" in reviewer.get("/waivers?state=revoked").get_data(as_text=True)
    audit = reviewer.get("/audit?object_type=waiver").get_data(as_text=True)
    assert audit.index("waiver.revoke") < audit.index("waiver.create")  # newest first


def test_tokens_are_shown_once_and_revocable(client_as: Callable[[str], FlaskClient]) -> None:
    admin = client_as("admin")
    response = _post(admin, "/tokens", "/tokens", name="release pipeline", role="submitter")
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    token = re.search(r'<code class="token" id="new-token">(cmp_[A-Za-z0-9_-]+)</code>', html)
    assert token and response.headers["Cache-Control"] == "no-store"  # type: ignore[attr-defined]
    listing = admin.get("/tokens").get_data(as_text=True)
    assert token.group(1) not in listing and token.group(1)[:10] in listing and "release pipeline" in listing
    assert _post(admin, "/tokens", "/tokens/1/revoke").status_code == 302  # type: ignore[attr-defined]
    assert "revoked" in admin.get("/tokens").get_data(as_text=True)


def test_rules_page_shows_conditions_in_words(client_as: Callable[[str], FlaskClient]) -> None:
    html = client_as("viewer").get("/rules?ruleset=eu-ai-act-gpai").get_data(as_text=True)
    row = html[html.index('id="rule-eu.gpai.systemic_risk_notification"') :]
    row = row[: row.index("</tr>")]
    assert "training compute &gt; 1e25 FLOP" in row and "Art. 52" in row and "in force" in row and "2025-08-02" in row
    assert "us.bis" not in html


def test_hardware_page_computes_tpp_and_classifies(client_as: Callable[[str], FlaskClient]) -> None:
    html = client_as("viewer").get("/hardware").get_data(as_text=True)
    catalog = html[html.index('<table class="list">') :]  # after the question form's chip choices
    row = catalog[catalog.index("H100 SXM") :]
    row = row[: row.index("</tr>")]
    assert "15,832" in row and "us.bis.3a090a.classification" in row
    assert "vendor" in html and html.count("<tr>") > 40


def test_every_page_is_light(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    check_id = stored_check(app, "acme/model-a")
    registry_model(app, "acme/model-a", check_id)
    client = client_as("admin")
    css = client.get("/dashboard-static/dashboard.css")
    js = client.get("/dashboard-static/dashboard.js")
    assets = len(css.data) + len(js.data)
    css.close()
    js.close()
    for path in ("/", "/checks", "/checks/new", "/models", "/models/acme/model-a", "/scans", "/rules", "/hardware",
                 "/waivers", "/audit", "/tokens", f"/checks/{check_id}", f"/checks/{check_id}/print"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, path
        assert len(response.data) + assets < PAGE_WEIGHT_LIMIT, (path, len(response.data))


def test_every_control_has_a_label_and_every_page_one_h1(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    check_id = stored_check(app, "acme/model-a")
    client = client_as("admin")
    for path in ("/", "/checks", "/checks/new", "/models", "/models/acme/model-a", "/scans", "/rules", "/hardware",
                 "/waivers", "/audit", "/tokens", f"/checks/{check_id}", "/scans"):  # fmt: skip
        html = client.get(path).get_data(as_text=True)
        assert html.count("<h1") == 1, path
        assert '<html lang="en">' in html and 'href="#main"' in html, path
        labels = set(re.findall(r'<label for="([^"]+)"', html))
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if 'type="hidden"' in tag or 'type="submit"' in tag:
                continue
            control = re.search(r'\bid="([^"]+)"', tag)
            assert (control and control.group(1) in labels) or "aria-label=" in tag, (path, tag)
