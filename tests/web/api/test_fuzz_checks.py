"""Fuzzing ``POST /api/v1/checks`` with uploaded metadata, then running what it accepts.

Bodies are a check of hostile uploaded metadata (card, config, safetensors headers) with
hostile check options (declared facts, markets, dates, revenue), or JSON text that is not a
check at all: nested 100,000 levels deep, truncated, with duplicate keys, NaN, 5000-digit
numbers. Every answer must be one the OpenAPI document describes and never a 500 (a 503 only
with ``Retry-After``); every accepted check is then run as the worker runs it, and must end
done or failed with the project's own error, never as an internal error.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.settings import Settings
from tests.compliance.facts.fuzz_inputs import upload_trees
from tests.fuzzing import (
    HOSTILE_STRINGS,
    STATS,
    Deep,
    InternalAnswer,
    as_bytes,
    as_text,
    feed,
    fuzz_settings,
    hostile_json,
    mutated,
    text_mutations,
)
from tests.web.support import ApiClient, RecordingCelery

pytestmark = pytest.mark.fuzz

CHECK_KEYS = st.sampled_from(["model", "revision", "upload", "as_of", "destination", "hardware", "markets", "rules",
                              "open_weights", "revenue", "facts", "fail_on", "fail_on_uncertain", "use_waivers",
                              "exact", "queue", "extra"])  # fmt: skip
FACT_VALUES = st.one_of(
    st.sampled_from(["7e24", "8e24..2e25", "1e400", "US,CN", "yes", "9" * 5000]),
    st.sampled_from([1e308, 0, 7e9, True, ["CN", 1], 2**63]),
)
# Valid options, mostly: the mutation below makes one of them hostile at a time.
OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "facts": st.one_of(
            st.dictionaries(st.sampled_from(["parameters", "training_compute_flop", "training_tokens"]), FACT_VALUES,
                            max_size=3),
            st.lists(st.sampled_from(["parameters=7B", "open_weights=yes", "training_compute_flop=1e24..1e26"]),
                     max_size=3),
        ),
        "markets": st.lists(st.sampled_from(["EU", "US-CA", "CN", "KR"]), max_size=3, unique=True),
        "as_of": st.sampled_from(["2026-01-01", "2024-08-02", "0001-01-01", "9999-12-31"]),
        "destination": st.sampled_from(["CN", "AE", "FR"]),
        "hardware": st.sampled_from(["H100", "nvidia h100 sxm", "A100"]),
        "revenue": st.sampled_from([0, 1e14, 5e8]),
        "open_weights": st.booleans(),
    },
)  # fmt: skip


@st.composite
def check_bodies(draw: st.DrawFn) -> str:
    """The JSON text of a request body."""
    kind = draw(st.sampled_from(["upload", "upload", "upload", "hub", "junk"]))
    if kind == "junk":
        tree = draw(st.one_of(hostile_json(), st.builds(Deep, st.sampled_from([1000, 100_000]))))
        return draw(text_mutations(as_text(tree)))
    body: dict[str, Any] = draw(OPTIONS)
    if kind == "hub":
        body["model"] = draw(st.sampled_from(["meta-llama/Llama-3.1-8B", "a/b@main", "~x/y", *HOSTILE_STRINGS[:12]]))
    else:
        body["upload"] = draw(upload_trees(named=True))
    tree = draw(mutated(st.just(body), keys=CHECK_KEYS, max_mutations=draw(st.sampled_from([0, 0, 1]))))
    return as_text(tree, ascii_only=draw(st.booleans()))


@pytest.fixture(scope="module")
def fuzz_api(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Iterator[tuple[Any, ApiClient]]:
    """The app on its own database, no hub, and limits that a fuzzer's hundreds of submissions stay under."""
    from compliance.check import load_rulebook
    from compliance.services.tokens import create_token
    from compliance.storage.db import session_scope
    from web.app import create_app

    data = tmp_path_factory.mktemp("fuzz-api") / "var"
    data.mkdir()
    shutil.copyfile(migrated_template, data / "compliance.db")
    settings = Settings(data_dir=data, hf_endpoint="http://127.0.0.1:9", hub_offline=True)
    generous = {"api_burst": 10**6, "api_per_minute": 10**6, "queue_depth": 10**6}
    settings = replace(settings, **{k: v for k, v in generous.items() if k in {f.name for f in fields(Settings)}})
    app = create_app(settings, celery=RecordingCelery(), config={"TESTING": True})
    app.extensions["fuzz-rulebook"] = load_rulebook()  # loaded once, as a worker does
    database = app.extensions["compliance"].database
    with session_scope(database.session_factory) as session:
        _, token = create_token(session, name="fuzz", role="submitter", created_by="tests")
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    yield app, ApiClient(app, document, token)
    database.dispose()


def _submit_and_run(app: Any, api: ApiClient, body: bytes) -> None:
    from compliance.services.checks import INTERNAL_EXIT_CODE, get_check, run_check

    path = "/api/v1/checks"
    headers = {"Authorization": f"Bearer {api.token}"}
    response = api.client.post(path, data=body, content_type="application/json", headers=headers)
    status = response.status_code
    if status >= 500 and not (status == 503 and response.headers.get("Retry-After")):
        raise InternalAnswer(f"HTTP {status}: {(response.get_json(silent=True) or {}).get('error')}")
    api.check("POST", path, response)  # an answer the OpenAPI document describes
    if status != 202:
        STATS["API upload body"].rejected += 1
        return
    services = app.extensions["compliance"]
    check_id = response.get_json()["id"]
    rulebook = app.extensions["fuzz-rulebook"]
    run_check(services.database.session_factory, check_id, settings=services.settings, rulebook=rulebook)
    with services.database.session() as session:
        row = get_check(session, check_id)
        assert row is not None
        if row.exit_code == INTERNAL_EXIT_CODE and (row.error or "").startswith("internal error"):
            raise InternalAnswer(f"check failed: {row.error}")


@fuzz_settings(120)
@given(check_bodies())
def test_a_check_submission_is_answered_and_run_without_internal_errors(
    fuzz_api: tuple[Any, ApiClient], body: str
) -> None:
    app, api = fuzz_api
    raw = as_bytes(body)
    feed("API upload body", lambda: _submit_and_run(app, api, raw), size=len(raw), witness=body)
