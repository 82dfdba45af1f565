"""Checks as stored work: submission, idempotent runs, errors, waivers, listings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from compliance import ESTIMATOR_VERSION
from compliance.errors import AccessDenied, GatedModel, HubError, ModelFileError, ModelNotFound, RateLimited, UsageError
from compliance.services import checks, waivers
from compliance.services.checks import CheckFilters, FindingFilters
from compliance.settings import Settings
from compliance.storage.db import SessionFactory, session_scope
from compliance.storage.tables import CheckRow, FindingRow
from tests.compliance.services.fakes import Crash, FakeInspector

TODAY = date(2026, 11, 21)
LLAMA_CONFIG: dict[str, Any] = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 4096,
    "intermediate_size": 11008,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "vocab_size": 32000,
}


def submit(session_factory: SessionFactory, model_ref: str = "acme/big", **kw: Any) -> str:
    with session_scope(session_factory) as session:
        return checks.submit_check(session, model_ref=model_ref, source=kw.pop("source", "api"), **kw).id


def run(session_factory: SessionFactory, check_id: str, **kw: Any) -> CheckRow:
    kw.setdefault("today", TODAY)
    return checks.run_check(session_factory, check_id, **kw)


def findings_of(session: Session, check_id: str) -> list[tuple[str, str, bool]]:
    rows = session.exec(select(FindingRow).where(FindingRow.check_id == check_id).order_by(FindingRow.rule_id)).all()
    return [(f.rule_id, f.verdict, f.waived) for f in rows]


# --- submit -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model_ref": "not-an-id"}, "ORG/NAME"),
        ({"model_ref": "acme/x", "revision": "../etc"}, "revision"),
        ({"model_ref": "acme/x", "options": {"colour": "red"}}, "unknown option 'colour'"),
        ({"model_ref": "acme/x", "options": {"markets": ["MARS"]}}, "unknown market 'MARS'"),
        ({"model_ref": "acme/x", "options": {"rules": ["../../etc/passwd.yaml"]}}, "not a rule-set id"),
        ({"model_ref": "acme/x", "options": {"facts": {"no_such_fact": 1}}}, "unknown fact"),
        ({"model_ref": "acme/x", "options": {"destination": "Atlantis"}}, "Atlantis"),
        ({"model_ref": "acme/x", "source": "pigeon"}, "unknown check source"),
        ({"model_ref": "acme x", "uploaded": {"card": "hi"}}, "model name"),
        ({"model_ref": "acme/x", "uploaded": {}}, "needs a card"),
        ({"model_ref": "acme/x", "uploaded": {"config": "not an object"}}, "config must be"),
    ],
)
def test_submit_rejects_bad_input_with_one_line(session: Session, kwargs: dict[str, Any], message: str) -> None:
    kwargs.setdefault("source", "api")
    with pytest.raises(UsageError, match=message) as info:
        checks.submit_check(session, **kwargs)
    assert "\n" not in str(info.value)


def test_submit_stores_a_queued_check_with_normalised_options(session: Session) -> None:
    row = checks.submit_check(
        session,
        model_ref="acme/big",
        revision="main",
        source="ci",
        requested_by="token:ci-bot",
        options={"markets": ["eu"], "destination": "United Arab Emirates", "as_of": "2026-01-31", "fail_on": "MEDIUM"},
    )
    session.commit()
    assert (row.status, row.source, row.requested_by, row.revision) == ("queued", "ci", "token:ci-bot", "main")
    inputs = checks.get_inputs(session, row.id)
    assert inputs == {
        "options": {"as_of": "2026-01-31", "destination": "AE", "markets": ["EU"], "fail_on": "medium"},
        "uploaded": None,
    }


def test_the_submitted_row_is_the_stored_one_and_stays_attached(session_factory: SessionFactory) -> None:
    columns = [c.name for c in CheckRow.__table__.columns]  # type: ignore[attr-defined]
    with session_scope(session_factory) as session:
        row = checks.submit_check(session, model_ref="acme/big", source="api", queue="interactive")
        returned = {name: getattr(row, name) for name in columns}
        row.error = "edited after submit"  # written at commit, as for any loaded row
    with session_scope(session_factory) as session:
        stored = session.get(CheckRow, returned["id"])
        assert stored is not None
        assert {name: getattr(stored, name) for name in columns} == {**returned, "error": "edited after submit"}
        assert returned["status"] == "queued" and returned["attempts"] == 0 and returned["queue"] == "interactive"


def test_a_repeated_idempotency_key_returns_the_first_check(session_factory: SessionFactory) -> None:
    first = submit(session_factory, idempotency_key="ci-run-42")
    second = submit(session_factory, "acme/other", idempotency_key="ci-run-42")
    assert first == second
    with session_scope(session_factory) as session:
        assert len(session.exec(select(CheckRow)).all()) == 1


# --- run ----------------------------------------------------------------------------------


def test_run_check_stores_report_facts_and_findings(
    session_factory: SessionFactory, settings: Settings, inspector: FakeInspector, book: Any
) -> None:
    inspector.parameters["acme/big"] = 7e9
    check_id = submit(session_factory, revision="main")
    row = run(session_factory, check_id, settings=settings, inspector=inspector, rulebook=book)
    assert (row.status, row.outcome, row.exit_code, row.error) == ("done", "fail", 1, None)
    assert row.sha == "f" * 40
    assert row.ruleset_hashes == {"test-policy": book.rulesets[0].sha256}
    assert row.rules_hash and len(row.rules_hash) == 64
    assert (row.estimator_version, row.as_of, row.attempts) == (ESTIMATOR_VERSION, TODAY, 1)
    assert inspector.calls == [("acme/big", "main")]
    with session_scope(session_factory) as session:
        assert findings_of(session, check_id) == [
            ("test.license.unknown", "not_triggered", False),
            ("test.params.large", "triggered", False),
        ]
        report = checks.get_report(session, check_id)
        assert report is not None
        assert report["schema"] == "compliance-report/1"
        assert report["summary"]["outcome"] == "fail"
        assert report["model"]["sha"] == "f" * 40
        data = session.get(checks.CheckDataRow, check_id)
        assert data is not None and data.facts is not None
        assert data.facts["parameters"]["value"] == 7e9


def test_running_a_check_twice_does_not_duplicate_findings(
    session_factory: SessionFactory, settings: Settings, inspector: FakeInspector, book: Any
) -> None:
    check_id = submit(session_factory)
    run(session_factory, check_id, settings=settings, inspector=inspector, rulebook=book)
    again = run(session_factory, check_id, settings=settings, inspector=inspector, rulebook=book)
    assert again.status == "done" and again.attempts == 1
    assert len(inspector.calls) == 1
    with session_scope(session_factory) as session:
        assert len(findings_of(session, check_id)) == 2


def test_a_check_interrupted_while_running_is_redone_without_duplicates(
    session_factory: SessionFactory, settings: Settings, book: Any
) -> None:
    check_id = submit(session_factory)
    with pytest.raises(Crash):
        run(session_factory, check_id, settings=settings, inspector=FakeInspector(crash_after=1), rulebook=book)
    with session_scope(session_factory) as session:
        assert session.get(CheckRow, check_id).status == "running"  # type: ignore[union-attr]
    row = run(session_factory, check_id, settings=settings, inspector=FakeInspector(), rulebook=book)
    assert (row.status, row.attempts) == ("done", 2)
    with session_scope(session_factory) as session:
        assert len(findings_of(session, check_id)) == 2


def test_storing_a_result_replaces_the_findings_of_the_check(
    session_factory: SessionFactory, settings: Settings, inspector: FakeInspector, book: Any
) -> None:
    check_id = submit(session_factory)
    run(session_factory, check_id, settings=settings, inspector=inspector, rulebook=book)
    with session_scope(session_factory) as session:  # as if a second delivery raced the first
        row = session.get(CheckRow, check_id)
        assert row is not None
        row.status = "running"
        session.add(row)
    run(session_factory, check_id, settings=settings, inspector=inspector, rulebook=book)
    with session_scope(session_factory) as session:
        assert len(findings_of(session, check_id)) == 2


@pytest.mark.parametrize("error", [HubError("hub answered 503"), RateLimited("slow down", retry_after=30)])
def test_a_transient_hub_error_requeues_the_check_and_is_raised(
    session_factory: SessionFactory, settings: Settings, book: Any, error: HubError
) -> None:
    check_id = submit(session_factory)
    flaky = FakeInspector(fail={"acme/big": error})
    with pytest.raises(type(error)):
        run(session_factory, check_id, settings=settings, inspector=flaky, rulebook=book)
    with session_scope(session_factory) as session:
        row = session.get(CheckRow, check_id)
        assert row is not None
        assert (row.status, row.error, row.exit_code, row.failure) == ("queued", error.one_line(), None, None)
    flaky.fail.clear()
    assert run(session_factory, check_id, settings=settings, inspector=flaky, rulebook=book).status == "done"


def test_a_permanent_error_fails_the_check_with_its_one_line_message(
    session_factory: SessionFactory, settings: Settings, book: Any
) -> None:
    check_id = submit(session_factory)
    missing = FakeInspector(fail={"acme/big": ModelNotFound("no such model", source="acme/big")})
    row = run(session_factory, check_id, settings=settings, inspector=missing, rulebook=book)
    assert (row.status, row.error, row.exit_code) == ("failed", "acme/big: no such model", 3)
    assert row.failure == "not_found" and row.finished_at is not None
    assert (
        run(session_factory, check_id, settings=settings, inspector=FakeInspector(), rulebook=book).status == "failed"
    )


def test_an_unexpected_error_fails_the_check_and_is_raised(
    session_factory: SessionFactory, settings: Settings, book: Any
) -> None:
    check_id = submit(session_factory)
    broken = FakeInspector(fail={"acme/big": KeyError("num_layers")})
    with pytest.raises(KeyError):
        run(session_factory, check_id, settings=settings, inspector=broken, rulebook=book)
    with session_scope(session_factory) as session:
        row = session.get(CheckRow, check_id)
        assert row is not None
        assert row.status == "failed"
        assert (row.error, row.exit_code, row.failure) == ("internal error: KeyError: 'num_layers'", 2, "internal")


def test_a_result_that_cannot_be_stored_fails_the_check_instead_of_leaving_it_running(
    session_factory: SessionFactory, settings: Settings, inspector: FakeInspector, book: Any
) -> None:
    def unstorable(session: Session, row: CheckRow, verdicts: dict[str, str]) -> None:
        raise ValueError("out of range float values are not JSON compliant")

    check_id = submit(session_factory)
    with pytest.raises(ValueError):
        run(session_factory, check_id, settings=settings, inspector=inspector, rulebook=book, on_store=unstorable)
    with session_scope(session_factory) as session:
        row = session.get(CheckRow, check_id)
        assert row is not None and (row.status, row.exit_code, row.failure) == ("failed", 2, "internal")
        assert row.error is not None and "while storing the result: ValueError" in row.error
        assert findings_of(session, check_id) == []  # the failed transaction stored nothing of it


def test_a_database_conflict_while_storing_leaves_the_check_to_be_retried(
    session_factory: SessionFactory, settings: Settings, inspector: FakeInspector, book: Any
) -> None:
    # Two runners storing at once on PostgreSQL can deadlock; the scan puts the item back, so the
    # check must not be failed on the way.
    def conflicting(session: Session, row: CheckRow, verdicts: dict[str, str]) -> None:
        raise sa.exc.OperationalError("INSERT ...", {}, Exception("deadlock detected"))

    check_id = submit(session_factory)
    with pytest.raises(sa.exc.OperationalError):
        run(session_factory, check_id, settings=settings, inspector=inspector, rulebook=book, on_store=conflicting)
    assert run(session_factory, check_id, settings=settings, inspector=inspector, rulebook=book).status == "done"


def test_an_unknown_rule_set_fails_the_check(
    session_factory: SessionFactory, settings: Settings, inspector: FakeInspector, book: Any
) -> None:
    check_id = submit(session_factory, options={"rules": ["no-such-set"]})
    row = run(session_factory, check_id, settings=settings, inspector=inspector, rulebook=book)
    assert row.status == "failed"
    assert "no-such-set" in (row.error or "")


def test_an_uploaded_check_needs_no_hub(session_factory: SessionFactory, settings: Settings, book: Any) -> None:
    card = "---\nlicense: apache-2.0\n---\n# Big\n"
    check_id = submit(session_factory, "acme/unreleased", uploaded={"config": LLAMA_CONFIG, "card": card})
    no_hub = FakeInspector(fail={"acme/unreleased": AssertionError("the hub must not be asked")})
    row = run(session_factory, check_id, settings=settings, inspector=no_hub, rulebook=book)
    assert row.status == "done", row.error
    assert no_hub.calls == []
    with session_scope(session_factory) as session:
        report = checks.get_report(session, check_id)
        assert report is not None
        assert report["model"] == {"id": "acme/unreleased", "source": "upload"}
        assert 6e9 < report["facts"]["parameters"]["value"] < 7e9
        assert report["facts"]["license"]["value"] == "apache-2.0"
        assert findings_of(session, check_id)[1] == ("test.params.large", "triggered", False)


def test_uploaded_safetensors_headers_are_counted(
    session_factory: SessionFactory, settings: Settings, book: Any
) -> None:
    header = {
        "embed.weight": {"dtype": "BF16", "shape": [50000, 4096], "data_offsets": [0, 409_600_000]},
        "head.weight": {"dtype": "BF16", "shape": [50000, 4096], "data_offsets": [409_600_000, 819_200_000]},
    }
    check_id = submit(
        session_factory, "acme/headers", uploaded={"safetensors": [{"file": "m.safetensors", "header": header}]}
    )
    row = run(session_factory, check_id, settings=settings, rulebook=book)
    assert row.status == "done", row.error
    with session_scope(session_factory) as session:
        report = checks.get_report(session, check_id)
        assert report is not None
        assert report["facts"]["parameters"]["value"] == 2 * 50000 * 4096


def test_declared_facts_override_what_the_inspection_found(
    session_factory: SessionFactory, settings: Settings, inspector: FakeInspector, book: Any
) -> None:
    inspector.parameters["acme/big"] = 7e9
    check_id = submit(session_factory, options={"facts": {"parameters": "5e8"}})
    row = run(session_factory, check_id, settings=settings, inspector=inspector, rulebook=book)
    assert row.outcome == "pass"
    with session_scope(session_factory) as session:
        report = checks.get_report(session, check_id)
        assert report is not None
        assert report["facts"]["parameters"]["evidence"][0]["source"] == "check inputs"


# --- waivers ------------------------------------------------------------------------------


def _waive(session_factory: SessionFactory, expires: date) -> None:
    with session_scope(session_factory) as session:
        waivers.create_waiver(
            session,
            rule_id="test.params.large",
            model_pattern="ACME/*",
            reason="reviewed: research release",
            owner="legal@acme.example",
            expires=expires,
            approved_by="bob",
            actor="alice",
            today=expires - timedelta(days=30),
        )


def test_stored_waivers_waive_the_finding_and_change_the_outcome(
    session_factory: SessionFactory, settings: Settings, book: Any
) -> None:
    _waive(session_factory, TODAY + timedelta(days=10))
    inspector = FakeInspector(parameters={"acme/big": 7e9})
    row = run(session_factory, submit(session_factory), settings=settings, inspector=inspector, rulebook=book)
    assert (row.outcome, row.exit_code) == ("pass", 0)
    with session_scope(session_factory) as session:
        assert ("test.params.large", "triggered", True) in findings_of(session, row.id)
        report = checks.get_report(session, row.id)
        assert report is not None
        assert report["summary"]["counts"]["waived"] == 1
        waived = next(f for f in report["findings"] if f["rule_id"] == "test.params.large")["waived"]
        assert waived == {"reason": "reviewed: research release", "owner": "legal@acme.example",
                          "expires": (TODAY + timedelta(days=10)).isoformat()}  # fmt: skip


def test_an_expired_waiver_is_ignored_and_noted(session_factory: SessionFactory, settings: Settings, book: Any) -> None:
    _waive(session_factory, TODAY - timedelta(days=1))
    inspector = FakeInspector(parameters={"acme/big": 7e9})
    row = run(session_factory, submit(session_factory), settings=settings, inspector=inspector, rulebook=book)
    assert row.outcome == "fail"
    with session_scope(session_factory) as session:
        report = checks.get_report(session, row.id)
        assert report is not None
        assert any("expired on" in note for note in report["notes"])


def test_use_waivers_false_ignores_stored_waivers(
    session_factory: SessionFactory, settings: Settings, book: Any
) -> None:
    _waive(session_factory, TODAY + timedelta(days=10))
    inspector = FakeInspector(parameters={"acme/big": 7e9})
    check_id = submit(session_factory, options={"use_waivers": False})
    assert run(session_factory, check_id, settings=settings, inspector=inspector, rulebook=book).outcome == "fail"


# --- read ---------------------------------------------------------------------------------


def test_list_checks_filters_and_pages(
    session_factory: SessionFactory, settings: Settings, inspector: FakeInspector, book: Any
) -> None:
    inspector.parameters.update({"acme/big": 7e9, "acme/small": 1e8, "other/big": 7e9})
    ids = {}
    for model in ("acme/big", "acme/small", "other/big"):
        ids[model] = submit(session_factory, model)
        run(session_factory, ids[model], settings=settings, inspector=inspector, rulebook=book)
    queued = submit(session_factory, "acme/later")
    with session_scope(session_factory) as session:
        everything = checks.list_checks(session)
        assert everything.total == 4
        assert everything.items[0].id == queued  # newest first
        acme = checks.list_checks(session, filters=CheckFilters(model_prefix="acme/"))
        assert {c.model_ref for c in acme.items} == {"acme/big", "acme/small", "acme/later"}
        failing = checks.list_checks(session, filters=CheckFilters(outcome="fail"))
        assert {c.model_ref for c in failing.items} == {"acme/big", "other/big"}
        page2 = checks.list_checks(session, page=2, per_page=3)
        assert (len(page2.items), page2.pages) == (1, 2)
        future = datetime.now(UTC) + timedelta(hours=1)
        assert checks.list_checks(session, filters=CheckFilters(since=future)).total == 0
        assert checks.list_checks(session, filters=CheckFilters(status="queued")).items[0].id == queued


def test_list_findings_filters(
    session_factory: SessionFactory, settings: Settings, inspector: FakeInspector, book: Any
) -> None:
    inspector.parameters.update({"acme/big": 7e9, "acme/small": 1e8})
    for model in ("acme/big", "acme/small"):
        run(session_factory, submit(session_factory, model), settings=settings, inspector=inspector, rulebook=book)
    with session_scope(session_factory) as session:
        triggered = checks.list_findings(session, filters=FindingFilters(verdicts=("triggered",)))
        assert [(f.model_ref, f.rule_id) for f in triggered.items] == [("acme/big", "test.params.large")]
        high = checks.list_findings(session, filters=FindingFilters(min_severity="high"))
        assert {f.rule_id for f in high.items} == {"test.params.large"} and high.total == 2
        assert checks.list_findings(session, filters=FindingFilters(model_ref="acme/small")).total == 2
        assert checks.list_findings(session, filters=FindingFilters(waived=True)).total == 0
        assert checks.list_findings(session, filters=FindingFilters(current=True)).total == 0  # no scan yet
        with pytest.raises(UsageError, match="unknown severity"):
            checks.list_findings(session, filters=FindingFilters(min_severity="apocalyptic"))


def test_unknown_ids_read_as_none(session: Session) -> None:
    assert checks.get_check(session, "nope") is None
    assert checks.get_report(session, "nope") is None


def test_rules_digest_ignores_order() -> None:
    a = [{"id": "x", "sha256": "1"}, {"id": "y", "sha256": "2"}]
    assert checks.rules_digest(a) == checks.rules_digest(list(reversed(a)))
    assert checks.rules_digest(a) != checks.rules_digest([{"id": "x", "sha256": "1"}])


def test_a_reevaluation_of_a_check_without_stored_facts_fails_cleanly(
    session_factory: SessionFactory, settings: Settings, book: Any
) -> None:
    queued = submit(session_factory)
    with session_scope(session_factory) as session:
        previous = session.get(CheckRow, queued)
        assert previous is not None
        redo = checks.submit_reevaluation(session, previous=previous, requested_by="test", idempotency_key="r1")
    row = run(session_factory, redo.id, settings=settings, rulebook=book)
    assert (row.status, row.source) == ("failed", "reevaluate")
    assert row.error == f"check {queued} has no stored facts to evaluate again"


def test_get_report_json_returns_the_stored_report_as_text(
    session_factory: SessionFactory, settings: Settings, inspector: FakeInspector, book: Any
) -> None:
    import json

    inspector.parameters["acme/big"] = 7e9
    check_id = submit(session_factory)
    with session_scope(session_factory) as session:
        assert checks.get_report_json(session, check_id) is None  # not run yet
        assert checks.get_report_json(session, "nope") is None
    run(session_factory, check_id, settings=settings, inspector=inspector, rulebook=book)
    with session_scope(session_factory) as session:
        text = checks.get_report_json(session, check_id)
        assert text is not None and json.loads(text) == checks.get_report(session, check_id)


def test_fail_check_without_a_code_stores_the_internal_exit_code(session_factory: SessionFactory) -> None:
    check_id = submit(session_factory)
    row = checks.fail_check(session_factory, check_id, "its worker was lost 5 times")
    assert (row.status, row.exit_code, row.failure) == ("failed", checks.INTERNAL_EXIT_CODE, checks.INTERNAL_FAILURE)
    other = checks.fail_check(
        session_factory, submit(session_factory, model_ref="acme/other"), "gone", exit_code=3, failure="not_found"
    )
    assert (other.exit_code, other.failure) == (3, "not_found")


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (AccessDenied("acme/big is not accessible", source="hub"), "private"),
        (GatedModel("acme/big is gated", source="hub"), "gated"),
        (ModelFileError("config.json is not valid JSON", source="config.json"), "input"),
    ],
)
def test_a_failed_check_keeps_the_kind_of_its_error(
    session_factory: SessionFactory, settings: Settings, book: Any, error: Exception, kind: str
) -> None:
    failing = FakeInspector(fail={"acme/big": error})
    row = run(session_factory, submit(session_factory), settings=settings, inspector=failing, rulebook=book)
    assert (row.status, row.failure) == ("failed", kind)
