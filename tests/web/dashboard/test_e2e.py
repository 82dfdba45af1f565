"""The dashboard in a real browser: log in, submit a model, watch it finish, read a finding,
add a waiver, see the verdict change, run a scan — against the real server, worker and hub.

Screenshots of the main pages are taken along the way; with ``UPDATE_SCREENSHOTS=1`` they are
written to docs/screenshots/ for the README (otherwise to the test's temporary directory).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.web.dashboard.e2e import ADMIN_EMAIL, ADMIN_PASSWORD, REPO, Stack, start_browser, start_stack

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

MODEL = "demo-labs/Llama-3.1-8B-support-agent"
WAIVED_RULE = "org.release.review_large"  # compute interval [5.2e23, 1.03e24] spans its 1e24
WAIT = 90  # seconds for a check or a scan to finish
SCREENSHOT_LIMIT = 400_000  # bytes per picture; the set stays well under 2 MB


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, hub_server: Any) -> Iterator[Stack]:
    """Server and worker on a fresh data directory, reaching the session's hub."""
    running = start_stack(tmp_path_factory.mktemp("e2e"), hub_server.url)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    driver = start_browser()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        folder = REPO / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("screenshots")


class Page:
    """Small helpers over the Selenium driver."""

    def __init__(self, driver: Any, stack: Stack, shots: Path) -> None:
        self.d = driver
        self.stack = stack
        self.shots = shots
        self.failures = stack.workdir  # beside the server and worker logs, never in docs/

    def go(self, path: str) -> None:
        self.d.get(self.stack.url + path)
        self.no_console_errors()

    def css(self, selector: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.d.find_element(By.CSS_SELECTOR, selector)

    def all(self, selector: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.d.find_elements(By.CSS_SELECTOR, selector))

    def wait_for(self, selector: str, seconds: float = WAIT) -> Any:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            return WebDriverWait(self.d, seconds, poll_frequency=0.2).until(
                ec.presence_of_element_located((By.CSS_SELECTOR, selector))
            )
        except Exception:
            pytest.fail(f"{selector!r} did not appear on {self.d.current_url}\n{self.stack.logs()}")

    def wait_until(self, condition: Any, what: str, seconds: float = WAIT) -> None:
        from selenium.common.exceptions import (
            NoSuchElementException,
            StaleElementReferenceException,
            WebDriverException,
        )
        from selenium.webdriver.support.ui import WebDriverWait

        # While the page changes, an element found a moment ago can go stale: try again.
        # Chromium sometimes says so as a plain WebDriverException ("Node with given id does
        # not belong to the document") rather than as StaleElementReferenceException.
        ignored = (NoSuchElementException, StaleElementReferenceException)

        def settled() -> Any:
            try:
                return condition()
            except WebDriverException as exc:
                if isinstance(exc, ignored) or "does not belong to the document" in str(exc.msg):
                    return False
                raise

        try:
            WebDriverWait(self.d, seconds, poll_frequency=0.2, ignored_exceptions=ignored).until(lambda d: settled())
        except Exception:
            self.d.save_screenshot(str(self.failures / "failure.png"))
            page = self.d.find_element("css selector", "body").text[:3000]
            pytest.fail(f"{what} did not happen on {self.d.current_url}\n{page}\n{self.stack.logs()}")

    def click_until(self, find: Any, condition: Any, what: str) -> None:
        """Click once the page has loaded; click again if nothing happened after a while.

        Every button these tests press twice is idempotent (a second "Scan now" shows the
        scan already under way), so a retry cannot change the outcome, only rescue a click
        that a page still settling swallowed.
        """
        for attempt in range(3):
            self.wait_until(lambda: self.d.execute_script("return document.readyState") == "complete", "the load")
            find().click()
            try:
                self.wait_until(condition, what, seconds=10 if attempt < 2 else WAIT)
                return
            except pytest.fail.Exception:
                if attempt == 2:
                    raise

    def fill(self, field_id: str, text: str) -> None:
        element = self.css(f"#{field_id}")
        element.clear()
        element.send_keys(text)

    def choose(self, field_id: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        Select(self.css(f"#{field_id}")).select_by_value(value)

    def tick(self, name: str, value: str) -> None:
        box = self.css(f'input[name="{name}"][value="{value}"]')
        if not box.is_selected():
            box.click()

    def submit(self, form_selector: str = "main form.grid-form") -> None:
        self.css(f"{form_selector} button[type=submit]").click()

    def text(self) -> str:
        return str(self.css("main").text)

    def screenshot(self, name: str, at: str | None = None) -> None:
        path = self.shots / f"{name}.png"
        self.d.execute_script(
            "document.activeElement && document.activeElement.blur();"
            "var el = arguments[0] && document.querySelector(arguments[0]);"
            "if (el) { el.scrollIntoView(); window.scrollBy(0, -12); } else { window.scrollTo(0, 0); }",
            at,
        )
        self.d.save_screenshot(str(path))
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG"), name
        assert len(data) < SCREENSHOT_LIMIT, f"{name}.png is {len(data)} bytes"

    def no_console_errors(self) -> None:
        """No script error and no Content-Security-Policy violation on the page."""
        entries = self.d.get_log("browser")
        # A status poll cut short by the page moving on is aborted by the browser, not an error.
        bad = [
            e["message"]
            for e in entries
            if (e.get("level") == "SEVERE" and "net::ERR_ABORTED" not in e["message"])
            or "Content Security Policy" in e["message"]
        ]
        assert not bad, bad


def test_dashboard_end_to_end(stack: Stack, browser: Any, shots: Path) -> None:
    """The whole journey of a compliance officer, in one browser session."""
    page = Page(browser, stack, shots)

    # Log in: an anonymous visit lands on the login page.
    page.go("/")
    assert "/login" in browser.current_url
    page.fill("email", ADMIN_EMAIL)
    page.fill("password", ADMIN_PASSWORD)
    page.submit("main form")
    page.wait_until(lambda: "/login" not in browser.current_url, "the login")
    assert "Exposure overview" in page.text()

    # Submit a model through the form.
    page.go("/checks/new")
    page.fill("model_id", MODEL)
    page.tick("markets", "EU")
    page.choose("open_weights", "yes")
    page.screenshot("check-form")
    page.submit()

    # Watch it finish: the progress page polls and turns into the result.
    page.wait_until(lambda: "/checks/new" not in browser.current_url, "the check to be queued")
    page.wait_for("#verdict-h")
    first_check = browser.current_url.rsplit("/", 1)[-1]
    verdict = page.css("#verdict-h").text
    assert verdict == "Verdict: Inconclusive", verdict
    page.no_console_errors()
    # The banner names the finding that left it undecided, on the first screen, linked to it.
    banner = page.css("section.verdict")
    assert "Left undecided by" in banner.text and WAIVED_RULE in banner.text
    assert banner.rect["y"] + banner.rect["height"] < 900
    page.screenshot("result")
    banner.find_element("css selector", f'a[href="#finding-{WAIVED_RULE}"]').click()
    page.wait_until(lambda: browser.current_url.endswith(f"#finding-{WAIVED_RULE}"), "the link to the finding")

    # Read a finding: open because it decided the verdict; the numbers compared, the threshold,
    # the comparator, the citation, and the question that would settle it.
    finding = page.css(f'[id="finding-{WAIVED_RULE}"]')
    assert finding.get_attribute("open") is not None
    text = finding.text
    assert "Uncertain" in text and WAIVED_RULE in text
    assert "training compute" in text and "1e24" in text and ">" in text
    assert "What would settle it" in text and "The rule compares it with 1e24 FLOP" in text
    assert finding.find_element("css selector", ".cite a").get_attribute("href").startswith("https://")
    assert page.css(".chart svg").get_attribute("role") == "img"
    page.css("#compute-h").click()  # the details are folded below the findings
    page.wait_until(lambda: page.css(".chart svg").is_displayed(), "the compute section to open")
    page.screenshot("result-chart", at="#compute-h")

    # The reports are one click away.
    for label in ("JSON report", "SARIF", "Markdown"):
        assert page.d.find_element("link text", label).get_attribute("href")

    # Add a waiver from the finding's link (rule and model prefilled).
    finding.find_element("link text", "Add a waiver for this finding").click()
    page.wait_for("#reason")
    assert page.css("#rule_id").get_attribute("value") == WAIVED_RULE
    assert page.css("#model_pattern").get_attribute("value") == MODEL
    page.fill("model_pattern", "demo-labs/*")
    page.fill("reason", "Release board signed off on 2026-11-02 (ticket REL-142).")
    page.fill("owner", "ml-platform@example.com")
    expires = (date.today() + timedelta(days=90)).isoformat()
    browser.execute_script("document.getElementById('expires').value = arguments[0];", expires)
    page.submit()
    page.wait_until(lambda: "demo-labs/*" in page.css("table.list").text, "the waiver to be listed")
    assert WAIVED_RULE in page.text()
    page.screenshot("waivers")

    # See the verdict change: the same check again now passes, the finding marked waived.
    page.go(f"/checks/{first_check}")
    page.css("form.inline button").click()
    page.wait_until(lambda: first_check not in browser.current_url, "the second check to be queued")
    page.wait_for("#verdict-h")
    second_check = browser.current_url.rsplit("/", 1)[-1]
    assert second_check != first_check
    assert page.css("#verdict-h").text == "Verdict: Pass"
    assert "Waived" in page.css(f'[id="finding-{WAIVED_RULE}"]').text

    # The model page compares the two checks: one finding's waiver changed, the law did not.
    page.go(f"/models/{MODEL}?a={first_check}&b={second_check}")
    diff = page.css(".diff").text
    assert "Findings (1 changed)" in diff and WAIVED_RULE in diff
    assert "a waiver now covers 1 finding" in diff and "The model and the law are the same." in diff
    page.screenshot("model-diff")

    # Run a scan: add a target for the organisation, scan it now, watch the progress.
    page.go("/scans")
    page.css("details summary").click()
    page.fill("name", "Demo Labs")
    page.choose("kind", "author")
    page.fill("value", "demo-labs")
    page.tick("markets", "EU")
    page.submit()
    page.wait_until(lambda: "Demo Labs" in page.css("table.list").text, "the target to be listed")
    page.click_until(lambda: page.all("td.buttons button")[0], lambda: re.search(r"/scans/\d+$", browser.current_url),
                     "the scan page to open")  # fmt: skip
    assert re.match(r"Scan #\d+", page.css("h1").text)
    page.wait_until(lambda: page.css('[data-field="status"]').text in ("done", "failed"), "the scan to finish")
    assert page.css('[data-field="status"]').text == "done", stack.logs()
    assert "new model" in page.text()
    page.screenshot("scan")

    # The registry now lists the organisation's models, filterable.
    page.go("/models?org=demo-labs")
    rows = page.all("table.list tbody tr")
    assert len(rows) >= 3 and MODEL in page.text()
    page.screenshot("models")

    page.go("/")
    assert "Models by training-compute band" in page.text()
    page.screenshot("overview")
    page.go(f"/checks/{first_check}/print")
    page.screenshot("print")
    page.go("/rules")
    assert "Condition in words" in page.text()
    page.screenshot("rules")
    page.go("/hardware")
    page.screenshot("hardware")

    # Log out: the session ends, pages ask for a login again.
    page.go("/")
    page.css("form.who button").click()
    page.wait_until(lambda: "/login" in browser.current_url, "the logout")
    page.go("/models")
    assert "/login" in browser.current_url


def log_in(page: Page) -> None:
    """Log in unless the browser's session still stands."""
    page.go("/login")
    if "/login" in page.d.current_url:
        page.fill("email", ADMIN_EMAIL)
        page.fill("password", ADMIN_PASSWORD)
        page.submit("main form")
        page.wait_until(lambda: "/login" not in page.d.current_url, "the login")


def test_an_undecided_check_is_settled_in_place(stack: Stack, browser: Any, shots: Path) -> None:
    """Not knowing whether it is offered in China leaves a small model undecided; answering settles it."""
    page = Page(browser, stack, shots)
    log_in(page)
    page.go("/checks/new")
    page.fill("model_id", "demo-labs/tiny-random-llama")
    page.choose("public_service_cn", "")  # "not known"
    page.submit()
    page.wait_until(lambda: "/checks/new" not in browser.current_url, "the check to be queued")
    page.wait_for("#verdict-h")
    first = browser.current_url.rsplit("/", 1)[-1]
    assert page.css("#verdict-h").text == "Verdict: Inconclusive"
    assert "cn.genai.service_filing" in page.css("section.verdict .deciding").text
    form = page.css('[id="finding-cn.genai.service_filing"] form.settle')
    assert "Offered as a service to the public in China" in form.text
    form.find_element("css selector", 'input[name="answer-public_service_cn"][value="no"]').click()
    form.find_element("css selector", "button[type=submit]").click()
    page.wait_until(lambda: first not in browser.current_url, "the settled check to be queued")
    page.wait_for("#verdict-h")
    assert page.css("#verdict-h").text == "Verdict: Pass"
    page.css("#context-h").click()
    assert f"declared by {ADMIN_EMAIL} in the dashboard" in page.css("dl.facts-inline").text
    page.no_console_errors()


def test_hostile_model_card_is_inert_in_the_browser(stack: Stack, browser: Any, shots: Path) -> None:
    """A card full of markup shows as text: no script runs, no handler fires, CSP reports nothing."""
    from compliance.services.checks import run_check, submit_check
    from compliance.settings import load_settings
    from compliance.storage.db import session_scope
    from tests.web.dashboard.data import HOSTILE_CARD
    from web.db import Database

    settings = load_settings(stack.env)
    database = Database.from_settings(settings)
    try:
        with session_scope(database.session_factory) as session:
            check_id = submit_check(
                session, model_ref="acme/hostile", source="api", uploaded={"card": HOSTILE_CARD}, requested_by="e2e"
            ).id
        run_check(database.session_factory, check_id, settings=settings)
    finally:
        database.dispose()
    page = Page(browser, stack, shots)
    log_in(page)
    for path in (f"/checks/{check_id}", f"/checks/{check_id}/print", "/models/acme/hostile"):
        page.go(path)
        for element in page.all("b, td, q, h1"):  # hovering would fire an injected handler
            browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('mouseover', {bubbles: true}))", element)
        assert browser.execute_script("return typeof window.__xss") == "undefined", path
        assert not page.all("main img, main script"), path
        page.no_console_errors()
    page.go(f"/checks/{check_id}")
    page.css("#facts-h").click()
    assert "<script>window.__xss = 1</script>" in page.text()
