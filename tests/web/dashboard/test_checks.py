"""The check form, live status, the result page, report downloads, the print view and re-runs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from compliance.services.checks import get_inputs, get_report
from compliance.storage.db import session_scope
from tests.web.dashboard.conftest import csrf_from, login
from tests.web.dashboard.data import CARD_15T, run_stored, stored_check
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


def test_the_form_asks_the_deployment_questions_with_their_defaults_stated(
    client_as: Callable[[str], FlaskClient],
) -> None:
    html = client_as("submitter").get("/checks/new").get_data(as_text=True)
    for label, default in (
        ("Markets", "None ticked (the default): every market"),
        ("Offered to the public in China", "Default no"),
        ("Weights published", "Default: as the hub shows"),
        ("Developer&#39;s annual revenue", "Default under $500 million"),
    ):
        assert label in html and default in html, label
    assert '<option selected value="no">no (default)</option>' in html
    assert '<option selected value="under">under $500 million (default)</option>' in html


def test_a_default_check_of_a_small_model_is_decided(hub_app: Flask, celery: RecordingCelery) -> None:
    """With the form's defaults, nothing the deployment decides is left unknown: tiny-random-llama passes."""
    client = hub_app.test_client()
    login(client, "submitter@example.com")
    response = _submit(client, model_id="demo-labs/tiny-random-llama", public_service_cn="no", revenue="under")
    check_id = response.headers["Location"].rsplit("/", 1)[-1]  # type: ignore[attr-defined]
    run_stored(hub_app, check_id)
    with session_scope(hub_app.extensions["dashboard"].engine) as session:
        report = get_report(session, check_id) or {}
    assert report["summary"]["outcome"] == "pass", [
        f["rule_id"] for f in report["findings"] if f["verdict"] == "uncertain"
    ]
    china = report["facts"]["public_service_cn"]
    assert (
        china["value"] is False
        and china["evidence"][0]["source"] == "declared by submitter@example.com in the dashboard"
    )
    revenue = report["facts"]["developer_revenue_usd"]
    assert (revenue["low"], revenue["high"]) == (0, 5e8)
    page = client.get(f"/checks/{check_id}").get_data(as_text=True)
    assert "Offered to the public in China" in page and "declared by submitter@example.com in the dashboard" in page


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
    finding = finding[: finding.index("</details>")]
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


UNDECIDED = {"open_weights": True, "facts": {"training_compute_flop": "5e23..2e24"}}


def _settle(client: FlaskClient, check_id: str, **answers: str) -> object:
    token = csrf_from(client.get(f"/checks/{check_id}").get_data(as_text=True))
    return client.post(f"/checks/{check_id}/settle", data={"csrf_token": token, **answers})


def test_the_verdict_names_what_decided_it_before_the_details(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    # Declared 3e24 FLOP and published weights: the release review above 1e24 (high) fails the gate.
    options = {"markets": ["EU"], "open_weights": True, "facts": {"training_compute_flop": "3e24"}}
    check_id = stored_check(app, "acme/big", options=options)
    html = client_as("viewer").get(f"/checks/{check_id}").get_data(as_text=True)
    banner = html[html.index('id="verdict-h"') : html.index('id="findings-h"')]
    assert "Verdict: Fail" in banner and "Decided by" in banner
    assert 'href="#finding-org.release.review_large"' in banner and "Release review before publishing" in banner
    assert "training compute 3e24 &gt; 1e24" in banner  # the comparison that decided it
    # The deciding finding comes first and open; the other triggered ones are folded.
    findings = html[html.index('id="findings-h"') : html.index('id="details-h"')]
    opened = re.findall(r'<details class="finding finding-(\w+)" id="finding-([^"]+)"( open)?>', findings)
    assert opened[0] == ("triggered", "org.release.review_large", " open")
    assert all(not is_open for _, _, is_open in opened[1:]) and len(opened) > 1
    severities = re.findall(r'<summary><h3>.*?<span class="sev sev-(\w+)">', findings)
    order = ["critical", "high", "medium", "low", "info"]
    assert severities == sorted(severities, key=order.index)
    # Every detail below the findings is folded.
    for heading in ("context-h", "compute-h", "facts-h", "lineage-h"):
        assert re.search(rf'<details class="detail">\s*<summary><h2 id="{heading}">', html), heading


def test_caveats_stand_next_to_the_verdict(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    card = "---\nlicense: apache-2.0\npipeline_tag: text-generation\n---\n# A model with no training figures\n"
    check_id = stored_check(app, "acme/unknown", card=card)
    html = client_as("viewer").get(f"/checks/{check_id}").get_data(as_text=True)
    banner = html[html.index('id="verdict-h"') : html.index('id="findings-h"')]
    assert 'id="caveats-h">Caveats</h3>' in banner
    assert "<strong>Facts unknown:</strong> training_compute_flop is unknown" in banner


def test_settle_questions_are_answered_in_place(
    app: Flask, client_as: Callable[[str], FlaskClient], celery: RecordingCelery
) -> None:
    # Compute declared as 5e23..2e24, so "> 1e24" is undecided; every market, so the public service
    # in China is asked too.
    first = stored_check(app, "acme/model-a", options=UNDECIDED)
    client = client_as("submitter")
    html = client.get(f"/checks/{first}").get_data(as_text=True)
    finding = html[html.index('id="finding-org.release.review_large"') :]
    finding = finding[: finding.index("</details>")]
    assert 'action="/checks/' + first + '/settle"' in finding and 'name="csrf_token"' in finding
    assert 'type="radio" name="answer-training_compute_flop" value="5e23"' in finding and "5e23 FLOP" in finding
    assert 'name="value-training_compute_flop"' in finding
    assert 'name="answer-public_service_cn" value="no"' in html
    response = _settle(client, first, **{"answer-public_service_cn": "no", "answer-training_compute_flop": "2e24"})
    assert response.status_code == 302  # type: ignore[attr-defined]
    second = response.headers["Location"].rsplit("/", 1)[-1]  # type: ignore[attr-defined]
    assert second != first and celery.sent[-1]["args"] == [second]
    with session_scope(app.extensions["dashboard"].engine) as session:
        options = (get_inputs(session, second) or {})["options"]
        assert (get_inputs(session, second) or {})["uploaded"] is not None  # the same model's metadata
    assert options["facts"] == {"public_service_cn": "no", "training_compute_flop": "2e24"}
    assert options["declared_by"] == dict.fromkeys(options["facts"], "submitter@example.com in the dashboard")
    run_stored(app, second)
    with session_scope(app.extensions["dashboard"].engine) as session:
        report = get_report(session, second) or {}
    verdicts = {f["rule_id"]: f["verdict"] for f in report["findings"]}
    assert verdicts["org.release.review_large"] == "triggered"
    assert verdicts["cn.genai.service_filing"] == "not_triggered"
    evidence = report["facts"]["training_compute_flop"]["evidence"][0]
    assert evidence["source"] == "declared by submitter@example.com in the dashboard"
    # A figure of one's own wins over the radio button beside it.
    response = _settle(client, first, **{"answer-training_compute_flop": "2e24", "value-training_compute_flop": "8e23"})
    with session_scope(app.extensions["dashboard"].engine) as session:
        third = response.headers["Location"].rsplit("/", 1)[-1]  # type: ignore[attr-defined]
        assert (get_inputs(session, third) or {})["options"]["facts"] == {"training_compute_flop": "8e23"}


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"answer-parameters": "7B"},  # not asked
        {"answer-public_service_cn": "maybe"},  # not an answer offered
        {"value-public_service_cn": "yes"},  # a flag takes the answers offered only
        {"value-training_compute_flop": "lots"},  # not a number
    ],
)
def test_settle_accepts_only_the_questions_asked(
    app: Flask, client_as: Callable[[str], FlaskClient], celery: RecordingCelery, answers: dict[str, str]
) -> None:
    first = stored_check(app, "acme/model-a", options=UNDECIDED)
    response = _settle(client_as("submitter"), first, **answers)
    assert response.status_code == 400 and celery.sent == []  # type: ignore[attr-defined]


def test_settle_needs_a_submitter_and_the_form_token(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    first = stored_check(app, "acme/model-a", options=UNDECIDED)
    viewer = client_as("viewer")
    html = viewer.get(f"/checks/{first}").get_data(as_text=True)
    assert "/settle" not in html and "What would settle it:" in html  # the questions, as text
    assert viewer.post(f"/checks/{first}/settle", data={"answer-public_service_cn": "no"}).status_code == 403
    submitter = client_as("submitter")
    assert submitter.post(f"/checks/{first}/settle", data={"answer-public_service_cn": "no"}).status_code == 400
    assert "<form" not in client_as("viewer").get(f"/checks/{first}/print").get_data(as_text=True)


def test_an_uploads_declared_base_is_looked_up_and_shown_in_its_lineage(hub_app: Flask) -> None:
    card = CARD_15T.replace("license: apache-2.0", "license: llama3.1\nbase_model: meta-llama/Llama-3.1-8B")
    check_id = stored_check(hub_app, "acme/support-agent", card=card)
    client = hub_app.test_client()
    login(client, "viewer@example.com")
    html = client.get(f"/checks/{check_id}").get_data(as_text=True)
    lineage = " ".join(html[html.index('id="lineage-h"') :].split())
    assert lineage.startswith('id="lineage-h"> Lineage: meta-llama/Llama-3.1-8B </h2>')
    assert '<a href="/models/meta-llama/Llama-3.1-8B">meta-llama/Llama-3.1-8B</a> — finetune, compute 7.2' in lineage
    assert "No base model is declared" not in html


def test_a_declared_base_that_was_not_looked_up_is_not_called_undeclared(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    card = CARD_15T.replace("license: apache-2.0", "license: llama3.1\nbase_model: meta-llama/Llama-3.1-8B")
    check_id = stored_check(app, "acme/support-agent", card=card)  # the app's hub is unreachable
    html = client_as("viewer").get(f"/checks/{check_id}").get_data(as_text=True)
    assert "No base model is declared" not in html and "meta-llama/Llama-3.1-8B" in html[html.index('id="lineage-h"') :]


def _checked(hub_app: Flask, model: str) -> tuple[FlaskClient, str]:
    """A submitter's client and a check of ``model`` submitted through the form and run here."""
    client = hub_app.test_client()
    login(client, "submitter@example.com")
    response = _submit(client, model_id=model)
    check_id = response.headers["Location"].rsplit("/", 1)[-1]  # type: ignore[attr-defined]
    run_stored(hub_app, check_id)
    return client, check_id


def test_a_model_that_does_not_exist_is_not_found_not_inconclusive(hub_app: Flask) -> None:
    client, check_id = _checked(hub_app, "nobody/nothing")
    html = client.get(f"/checks/{check_id}").get_data(as_text=True)
    assert '<h2 id="state-h">Not found</h2>' in html and "has no model <strong>nobody/nothing</strong>" in html
    for wrong in ("Inconclusive", "--token", "HF_TOKEN", "/rerun", "Run it again"):
        assert wrong not in html, wrong
    status = client.get(f"/checks/{check_id}/status").get_json()
    assert (status["status"], status["failure"]) == ("failed", "not_found")
    listed = client.get("/checks").get_data(as_text=True)
    assert '<span class="badge status-failed">not found</span>' in listed


@pytest.mark.parametrize(
    ("fault", "kind", "heading", "rerun"),
    [
        ({"status": 403}, "private", "Not accessible", False),
        ({"status": 403, "headers": {"X-Error-Code": "GatedRepo", "X-Error-Message": "gated"}}, "gated",
         "Gated: no access", True),
    ],
)  # fmt: skip
def test_a_model_the_service_may_not_read_has_its_own_state(
    hub_app: Flask, hub: Any, fault: dict[str, Any], kind: str, heading: str, rerun: bool
) -> None:
    hub.fault("/api/models/meta-llama/Llama-3.1-8B", times=None, **fault)
    client, check_id = _checked(hub_app, "meta-llama/Llama-3.1-8B")
    assert client.get(f"/checks/{check_id}/status").get_json()["failure"] == kind
    html = client.get(f"/checks/{check_id}").get_data(as_text=True)
    assert f'<h2 id="state-h">{heading}</h2>' in html and "Inconclusive" not in html and "--token" not in html
    assert (f'action="/checks/{check_id}/rerun"' in html) is rerun


def test_an_unreachable_hub_is_its_own_state_and_checking_again_is_offered(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    from compliance.hub.errors import HubUnavailable
    from compliance.services.checks import fail_check
    from compliance.storage.db import session_factory

    check_id = stored_check(app, "acme/model-a", run=False)
    outage = HubUnavailable("cannot reach the hub: connection refused", source="http://127.0.0.1:9")
    fail_check(session_factory(app.extensions["dashboard"].engine), check_id, outage.one_line(),
               exit_code=int(outage.exit_code), failure=outage.kind)  # fmt: skip
    html = client_as("submitter").get(f"/checks/{check_id}").get_data(as_text=True)
    assert '<h2 id="state-h">The hub could not be reached</h2>' in html and "Inconclusive" not in html
    assert "connection refused" in html and f'action="/checks/{check_id}/rerun"' in html


def test_a_check_whose_worker_was_lost_says_so_and_offers_checking_again(
    app: Flask, client_as: Callable[[str], FlaskClient], celery: RecordingCelery
) -> None:
    from compliance.services.checks import INTERNAL_EXIT_CODE, LOST_FAILURE, fail_check
    from compliance.storage.db import session_factory

    check_id = stored_check(app, "acme/model-a", run=False)
    fail_check(session_factory(app.extensions["dashboard"].engine), check_id, "its worker was lost 5 times",
               exit_code=INTERNAL_EXIT_CODE, failure=LOST_FAILURE)  # fmt: skip
    client = client_as("submitter")
    html = client.get(f"/checks/{check_id}").get_data(as_text=True)
    assert '<h2 id="state-h">The worker running it was lost</h2>' in html and "state-lost" in html
    assert "its worker was lost 5 times" in html and "Inconclusive" not in html
    assert f'action="/checks/{check_id}/rerun"' in html
    listed = client.get("/checks").get_data(as_text=True)
    assert '<span class="badge status-failed">worker lost</span>' in listed
    token = csrf_from(html)
    again = client.post(f"/checks/{check_id}/rerun", data={"csrf_token": token})
    assert again.status_code == 302 and [t["name"] for t in celery.sent] == ["compliance.checks.run"]
