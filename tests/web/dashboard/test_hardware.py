"""The Hardware page: the catalog, and the chip question asked with a small form (nothing stored)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.web.dashboard.conftest import csrf_from


def ask(client: FlaskClient, **fields: Any) -> tuple[int, str]:
    token = csrf_from(client.get("/hardware").get_data(as_text=True))
    response = client.post("/hardware", data={"csrf_token": token, **fields})
    return response.status_code, response.get_data(as_text=True)


def test_the_form_is_on_the_page_with_every_chip(client_as: Callable[[str], FlaskClient]) -> None:
    html = client_as("viewer").get("/hardware").get_data(as_text=True)
    assert 'name="chip"' in html and 'name="destination"' in html and 'name="count"' in html
    assert '<option value="h100-sxm">' in html and 'name="csrf_token"' in html


def test_a_viewer_asks_and_sees_the_licence_findings_with_citations(
    client_as: Callable[[str], FlaskClient],
) -> None:
    from compliance.check import CheckOptions
    from compliance.hardware.question import run_hardware_check
    from compliance.services.checks import today_utc

    status, html = ask(client_as("viewer"), chip="h100-sxm", count="8", destination="China")
    assert status == 200
    expected = run_hardware_check(CheckOptions(as_of=today_utc(), hardware="h100-sxmx8", destination="CN")).to_dict()
    answer = html[html.index('id="answer"') :]
    triggered = [f for f in expected["findings"] if f["verdict"] == "triggered"]
    assert triggered
    for finding in triggered:
        assert f'id="finding-{finding["rule_id"]}"' in answer
        assert f'href="{finding["link"]}"' in answer
    assert "8x h100-sxm to CN" in answer


def test_the_date_changes_the_law_applied(client_as: Callable[[str], FlaskClient]) -> None:
    # Between January and May 2025 the Diffusion rule needed a licence for chips to any non-Tier-1 country.
    status, html = ask(client_as("viewer"), chip="h100-sxm", count="1", destination="AE", as_of="2025-03-01")
    assert status == 200 and 'id="finding-us.bis.diffusion.chips_worldwide"' in html


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"chip": "h100-sxm", "count": "1", "destination": "Atlantis"}, "unknown country"),
        ({"chip": "h100-sxm", "count": "0", "destination": "CN"}, "correct the fields"),
        ({"chip": "h100-sxm", "count": "many", "destination": "CN"}, "correct the fields"),
        ({"chip": "no-such-chip", "count": "1", "destination": "CN"}, "correct the fields"),
        ({"chip": "h100-sxm", "count": "1", "destination": ""}, "correct the fields"),
        ({"chip": "h100-sxm", "count": "1", "destination": "CN", "as_of": "yesterday"}, "correct the fields"),
    ],
)
def test_bad_input_is_a_form_error_not_a_server_error(
    client_as: Callable[[str], FlaskClient], fields: dict[str, str], message: str
) -> None:
    status, html = ask(client_as("viewer"), **fields)
    assert status == 400 and message in html and 'id="answer"' not in html


def test_the_question_needs_its_csrf_token(client_as: Callable[[str], FlaskClient]) -> None:
    response = client_as("viewer").post("/hardware", data={"chip": "h100-sxm", "count": "1", "destination": "CN"})
    assert response.status_code == 400 and 'id="answer"' not in response.get_data(as_text=True)
