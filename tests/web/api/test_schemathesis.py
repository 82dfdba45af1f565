"""Schemathesis against the OpenAPI document the app serves: every operation, every check, no failure.

The document is fetched from ``/api/v1/openapi.json`` through the WSGI app, and Schemathesis's
engine (what ``schemathesis run`` drives) runs all its phases on it in process: the schema's
examples, coverage (boundaries, wrong types, methods the path does not take), random fuzzing and
stateful sequences (create a target, then read, change and delete it), with every check it
registers (server errors, status codes, content types, response schemas and headers, positive
data accepted and negative data rejected, ``Allow`` on 405, ignored auth, use after free...),
authenticated as an admin. The seed is fixed and the examples bounded, so a run is the same
every time and takes well under a minute. Work is never queued: the app's task sender is the
tests' recorder (``tests/web/conftest.py``).

The engine is driven directly rather than through ``@schema.parametrize()``:
``schemathesis.pytest.from_fixture`` (needed to load the schema from the ``app`` fixture)
does not run under pytest 9.1+, which removed the ``_nodeid`` it rewrites.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from schemathesis.config import PositiveDataAcceptanceConfig
from schemathesis.engine import Status, events, from_schema
from schemathesis.transport.wsgi import WSGITransport

from compliance.settings import Settings

SEED = 20_251_231
MAX_EXAMPLES = 25  # per operation, in the fuzzing phase; the other phases add their own cases
MAX_STATEFUL_STEPS = 10
# The operations whose bodies hold values the services check against what JSON Schema cannot
# state: catalogs, the calendar, a stored object. A 422 naming the value is then a right answer
# to schema-valid data; everywhere else it would mean the document promised too much.
CHECKED_BEYOND_THE_SCHEMA = {
    ("POST", "/api/v1/checks"): "hub model ids (no '..'), declared facts' values, countries, hardware, uploads",
    ("POST", "/api/v1/scans"): "model ids, and check options (as in a check)",
    ("POST", "/api/v1/targets"): "an author name, a search or model ids, by kind; check options",
    ("PATCH", "/api/v1/targets/{target_id}"): "a value fitting the stored target's kind; check options",
    ("POST", "/api/v1/schedules"): "a crontab that parses and fires",
    ("PATCH", "/api/v1/schedules/{schedule_id}"): "a crontab that parses and fires",
    ("POST", "/api/v1/waivers"): "an expiry not in the past; a rule id, a model glob",
}


@dataclass
class Run:
    """What one engine run did and found."""

    operations: set[str] = field(default_factory=set)
    requests: int = 0
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    failures: dict[tuple[str, str, str], str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def record(self, event: events.ScenarioFinished) -> None:
        """Count a finished scenario's requests and keep its failures (one per operation, check and kind)."""
        recorder = event.recorder
        if event.phase.name != "STATEFUL" and event.label:
            self.operations.add(event.label)
        for case_id, interaction in recorder.interactions.items():
            if interaction.response is None:
                continue
            self.requests += 1
            node = recorder.cases.get(case_id)
            if node is not None:
                self.statuses[node.value.operation.label][interaction.response.status_code] += 1
        for checks in recorder.checks.values():
            for check in checks:
                if check.status == Status.FAILURE and check.failure_info is not None:
                    failure = check.failure_info.failure
                    key = (failure.operation or event.label or "", check.name, failure.title)
                    detail = f"({event.phase.value}) {failure.message}\n{check.failure_info.code_sample}"
                    self.failures.setdefault(key, detail)

    def report(self) -> str:
        """The failures and errors, readable."""
        lines = [f"{op} [{check}] {title}: {detail}" for (op, check, title), detail in sorted(self.failures.items())]
        return "\n\n".join(lines + self.errors)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, with submission limits no run reaches.

    How many submissions a token's 10-second window lets through depends on the machine's
    speed, and the counts of accepted requests below must not (429s are test_admission's).
    """
    return dataclasses.replace(settings, api_burst=1_000_000, api_per_minute=1_000_000)


@pytest.fixture
def wsgi_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """Schemathesis's in-process transport, minus a bug of 4.32.

    The ``ignored_auth`` check re-sends a request without its session, and the WSGI transport
    then hands the session's socket settings (``max_redirects``...) to Werkzeug's test client,
    which refuses them: every such probe was an error instead of a check.
    """
    send = WSGITransport.send

    def send_without_socket_settings(self: WSGITransport, case: Any, *, session: Any = None, **kwargs: Any) -> Any:
        if session is None:
            for name in ("max_redirects", "verify", "cert", "proxies"):
                kwargs.pop(name, None)
        return send(self, case, session=session, **kwargs)

    monkeypatch.setattr(WSGITransport, "send", send_without_socket_settings)


def admin_tokens(app: Any) -> type:
    """Schemathesis's credentials: an admin token, and a new one once the run has revoked it.

    The fuzzer calls ``DELETE /tokens/{id}`` with small ids, its own token's among them; the
    401 that follows makes Schemathesis ask for a token again and replay the request.
    """
    database = app.extensions["compliance"].database

    class AdminToken:
        def get(self, case: Any, context: Any) -> str:
            from compliance.services.tokens import create_token
            from compliance.storage.db import session_scope

            with database.writing(), session_scope(database.session_factory) as session:
                _, token = create_token(session, name="schemathesis", role="admin", created_by="tests")
            return token

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return AdminToken


def served_schema(app: Any) -> Any:
    """The document the app serves, loaded for an in-process run with every check and a fixed seed."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # No example database: a run does not replay what an earlier one found.
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "checks": {"enabled": True},
            "phases": {"stateful": {"max-steps": MAX_STATEFUL_STEPS}},
            "operations": [
                {
                    "include-method": method,
                    "include-path": path,
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [*PositiveDataAcceptanceConfig().expected_statuses, "422"]
                        }
                    },
                }
                for method, path in CHECKED_BEYOND_THE_SCHEMA
            ],
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    schema.auth()(admin_tokens(app))
    return schema


def run_engine(schema: Any) -> Run:
    """Run every phase; collect what happened."""
    run = Run()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            run.record(event)
        elif isinstance(event, events.NonFatalError):
            run.errors.append(f"error in {event.label}: {event.info}")
        elif isinstance(event, events.FatalError):
            run.errors.append(f"fatal: {event.exception!r}")
    return run


# Generated strings are large and Hypothesis warns when it prints one; the suite turns warnings into errors.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
@pytest.mark.usefixtures("wsgi_transport")
def test_the_served_document_holds_under_every_check(app: Any, document: dict[str, Any]) -> None:
    run = run_engine(served_schema(app))
    documented = {f"{method.upper()} {path}" for path, ops in document["paths"].items() for method in ops}
    accepted = {op: sum(n for status, n in run.statuses[op].items() if status < 300) for op in sorted(run.statuses)}
    print(f"\nschemathesis: {len(run.operations)} operations, {run.requests} requests; 2xx by operation: {accepted}")

    assert not run.errors, run.report()
    assert not run.failures, run.report()
    assert run.requests > 40 * len(run.operations)  # bounded, not trivial: about 2,000 here
    # The schema's own endpoint is left out by Schemathesis; every other operation ran.
    assert run.operations >= documented - {"GET /api/v1/openapi.json"}
    # Stating "exactly one of" lets generated bodies through: every operation that creates
    # something was accepted at least once.
    for label in sorted(op for op in documented if op.startswith("POST ")):
        assert any(200 <= status < 300 for status in run.statuses[label]), (label, run.statuses[label])
