"""The check form, live status, the result page, report downloads, the print view and re-runs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from compliance.services.checks import get_inputs
from compliance.storage.db import session_scope
from tests.web.dashboard.conftest import csrf_from
from tests.web.dashboard.data import stored_check
from tests.web.support import RecordingCelery


def _submit(client: FlaskClient, **fields: object) -> object:
    token = csrf_from(client.get("/checks/new").get_data(as_text=True))
    data = {"csrf_token": token, "fail_on": "high", "hardware": "", "open_weights": "", **fields}
    return client.post("/checks/new", data=data)


def test_the_form_queues_a_check_with_its_options_after_commit(
    app: Flask, client_as: Callable[[str], FlaskClient], celery: RecordingCelery
) -> None:
    client = client_as("submitter")
    response = _submit(
        client, model_id="meta-llama/Llama-3.1-8B", revision="main", destination="AE", hardware="h100-sxm",
        hardware_count="8", markets=["EU", "US-CA"], rules=["eu-ai-act-gpai"], open_weights="yes",
        as_of="2026-01-15", fail_on="medium",
    )  # fmt: skip
    assert response.status_code == 302  # type: ignore[attr-defined]
    check_id = response.headers["Location"].rsplit("/", 1)[-1]  # type: ignore[attr-defined]
    assert celery.sent == [{"name": "compliance.checks.run", "args": [check_id], "queue": "interactive"}]
    with session_scope(app.extensions["dashboard"].engine) as session:
        options = (get_inputs(session, check_id) or {})["options"]
    assert options["destination"] == "AE" and options["hardware"] == "h100-sxmx8"
    assert options["markets"] == ["EU", "US-CA"] and options["rules"] == ["eu-ai-act-gpai"]
    assert options["open_weights"] is True and options["as_of"] == "2026-01-15" and options["fail_on"] == "medium"


def test_bad_input_is_shown_on_the_form_and_nothing_is_queued(
    client_as: Callable[[str], FlaskClient], celery: RecordingCelery
) -> None:
    client = client_as("submitter")
    response = _submit(client, model_id="not a model id")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert 'role="alert"' in response.get_data(as_text=True)  # type: ignore[attr-defined]
    response = _submit(client, model_id="acme/model", destination="Atlantis")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "Atlantis" in response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert celery.sent == []


def test_a_broker_failure_leaves_the_check_queued_and_the_page_working(
    client_as: Callable[[str], FlaskClient], celery: RecordingCelery
) -> None:
    celery.fail = True
    client = client_as("submitter")
    response = _submit(client, model_id="acme/model")
    assert response.status_code == 302  # type: ignore[attr-defined]
    page = client.get(response.headers["Location"])  # type: ignore[attr-defined]
    assert page.status_code == 200 and "queued" in page.get_data(as_text=True)


def test_progress_page_polls_and_falls_back_to_refresh(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    check_id = stored_check(app, "acme/slow", run=False)
    client = client_as("viewer")
    html = client.get(f"/checks/{check_id}").get_data(as_text=True)
    assert f'data-poll="/checks/{check_id}/status"' in html
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    status = client.get(f"/checks/{check_id}/status").get_json()
    assert status["status"] == "queued" and status["finished"] is False


def test_result_page_shows_verdict_findings_facts_chart_and_links(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    check_id = stored_check(app, "acme/model-a")
    client = client_as("viewer")
    assert client.get(f"/checks/{check_id}/status").get_json()["finished"] is True
    html = client.get(f"/checks/{check_id}").get_data(as_text=True)
    verdict = re.search(r'<h2 id="verdict-h">Verdict: (\w+)</h2>', html)
    assert verdict and verdict.group(1) in ("Pass", "Fail", "Inconclusive")
    # 6 x 8.03e9 x 1.5e13 = 7.2e23 FLOP, above the EU's 1e23 indicative criterion.
    finding = html[html.index('id="finding-eu.gpai.copyright_and_summary"') :]
    finding = finding[: finding.index("</article>")]
    assert "training compute" in finding and "7.23e23" in finding and "1e23" in finding and "&gt;" in finding
    assert 'href="https://eur-lex.europa.eu' in finding and "Art. 53" in finding
    assert "in force" in finding and "from 2025-08-02" in finding
    assert "The model was pretrained on 15 trillion tokens" in html  # the quoted card sentence
    assert '<svg viewBox="0 0 760' in html and 'role="img"' in html and "this model" in html
    for fmt in ("json", "sarif", "md"):
        assert f'href="/checks/{check_id}/report.{fmt}"' in html
    assert f'href="/checks/{check_id}/print"' in html


def test_report_downloads_use_the_report_renderers(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    check_id = stored_check(app, "acme/model-a")
    client = client_as("viewer")
    body = client.get(f"/checks/{check_id}/report.json")
    report = json.loads(body.data)
    assert body.mimetype == "application/json" and report["schema"] == "compliance-report/1"
    assert report["model"]["id"] == "acme/model-a"
    sarif = client.get(f"/checks/{check_id}/report.sarif?download=1")
    assert json.loads(sarif.data)["version"] == "2.1.0"
    assert sarif.headers["Content-Disposition"] == f'attachment; filename="check-{check_id}.sarif"'
    markdown = client.get(f"/checks/{check_id}/report.md")
    assert markdown.headers["Content-Type"] == "text/markdown; charset=utf-8" and "acme/model-a" in markdown.text
    assert client.get(f"/checks/{check_id}/report.exe").status_code == 404
    assert client.get("/checks/nosuchcheck/report.json").status_code == 404


def test_print_view_lists_everything_without_navigation_or_forms(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    check_id = stored_check(app, "acme/model-a")
    html = client_as("viewer").get(f"/checks/{check_id}/print").get_data(as_text=True)
    assert "<nav" not in html and "<form" not in html and "<details" not in html
    assert "Rule sets evaluated" in html and "Reviewed by:" in html and "Not applicable (" in html


def test_rerun_checks_again_with_the_same_options(
    app: Flask, client_as: Callable[[str], FlaskClient], celery: RecordingCelery
) -> None:
    first = stored_check(app, "acme/model-a", options={"markets": ["KR"], "fail_on": "low"})
    client = client_as("submitter")
    token = csrf_from(client.get(f"/checks/{first}").get_data(as_text=True))
    response = client.post(f"/checks/{first}/rerun", data={"csrf_token": token})
    second = response.headers["Location"].rsplit("/", 1)[-1]
    assert second != first and celery.sent[-1]["args"] == [second]
    with session_scope(app.extensions["dashboard"].engine) as session:
        assert (get_inputs(session, second) or {})["options"] == (get_inputs(session, first) or {})["options"]
        assert (get_inputs(session, second) or {})["uploaded"] is not None


def test_submissions_are_rate_limited_per_account(client_as: Callable[[str], FlaskClient]) -> None:
    client = client_as("submitter")
    codes = [_submit(client, model_id=f"acme/model-{i}").status_code for i in range(31)]  # type: ignore[attr-defined]
    assert codes[:30] == [302] * 30 and codes[30] == 429


def test_checks_list_filters_and_pages(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    for i in range(3):
        stored_check(app, f"acme/m{i}", run=False)
    stored_check(app, "other/x", run=False)
    client = client_as("viewer")
    html = client.get("/checks?model=acme/").get_data(as_text=True)
    assert html.count('href="/models/acme/') == 3 and "other/x" not in html
    assert "3 in all" in html
    assert "No checks match" in client.get("/checks?outcome=fail").get_data(as_text=True)


def test_unknown_check_is_a_404_page(client_as: Callable[[str], FlaskClient]) -> None:
    response = client_as("viewer").get("/checks/doesnotexist")
    assert response.status_code == 404 and "Not Found" in response.get_data(as_text=True)
