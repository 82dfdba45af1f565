"""The result page folds the law not in force with the verdict each rule would give."""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from compliance.report.findings import NOT_IN_FORCE_HEADING
from tests.web.dashboard.data import stored_check

FRONTIER = {"as_of": "2026-11-21", "facts": {"training_compute_flop": "2e26"}}


def _section(page: str) -> str:
    start = page.index(htmllib.escape(NOT_IN_FORCE_HEADING))
    return page[start : page.index("</details>", start)]


def test_the_result_page_folds_law_not_in_force_with_what_it_would_say(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    check_id = stored_check(app, "acme/frontier", options=FRONTIER)
    page = client_as("viewer").get(f"/checks/{check_id}").get_data(as_text=True)
    section = _section(page)
    assert re.search(r"<details class=\"group what-if\">\s*<summary><h3>\s*" + re.escape(NOT_IN_FORCE_HEADING), page)
    row = section[section.index('id="what-if-us.eo14110.model_report"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="result-triggered">Triggered</td>' in row
    assert "revoked from 2025-01-20" in row and "2e26" in row and 'href="https://www.federalregister.gov' in row
    # The print view unfolds it.
    printed = client_as("viewer").get(f"/checks/{check_id}/print").get_data(as_text=True)
    assert NOT_IN_FORCE_HEADING in printed and "<details" not in printed


def test_no_section_when_every_rule_is_in_force(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    check_id = stored_check(app, "acme/eu-only", options={"markets": ["EU"], "rules": ["eu-ai-act-gpai"]})
    page = client_as("viewer").get(f"/checks/{check_id}").get_data(as_text=True)
    assert "Verdict:" in page and NOT_IN_FORCE_HEADING not in page
