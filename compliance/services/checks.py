"""Checks as stored work: submit one, run it (idempotently), read its report and findings.

A check's inputs say where its facts come from, one of:

* a hub model (``model_ref`` is ``ORG/NAME``, ``revision`` optional): inspected through an
  :class:`~compliance.services.ports.Inspector`;
* uploaded metadata (``inputs["uploaded"]``, see :mod:`compliance.services.uploads`): no network;
* an earlier check (``inputs["from_check"]``): its stored facts, evaluated again under the
  current rule sets (re-evaluation; no network).

:func:`run_check` may be called any number of times for the same id (a re-delivered task): a
finished check is returned as it is, and storing a result replaces the check's findings in one
transaction, under a lock on the check's row, so findings are never duplicated.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from compliance.errors import ComplianceError, ExitCode, HubError, InputError, UsageError
from compliance.facts.model import FactSet
from compliance.inspection import Inspection, ModelRef
from compliance.services.options import normalise_options, resolve_options
from compliance.services.paging import Page, page_bounds
from compliance.services.ports import Inspector, hub_inspector
from compliance.settings import Settings
from compliance.storage.db import SessionFactory, session_scope
from compliance.storage.tables import (
    CheckDataRow,
    CheckRow,
    CheckSource,
    CheckStatus,
    FindingRow,
    ModelRow,
    table_of,
    utcnow,
)

log = logging.getLogger(__name__)

FINAL_STATUSES = frozenset({CheckStatus.DONE, CheckStatus.FAILED})
# A check that failed on a bug did not really run: the same code as an undecided gate.
INTERNAL_EXIT_CODE = int(ExitCode.INCONCLUSIVE)
INTERNAL_FAILURE = "internal"  # the failure kind of a check stopped by a bug
# The failure kind of a check whose worker died (or was lost) too many times: running it again may help.
LOST_FAILURE = "lost"
MAX_ERROR_CHARS = 2000
_UPLOAD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
_SEVERITY_ORDER = ("info", "low", "medium", "high", "critical")


@dataclass(frozen=True, slots=True)
class CheckFilters:
    """Narrowing for :func:`list_checks`; every field is optional and they combine with AND."""

    model_ref: str | None = None  # exact model id
    model_prefix: str | None = None  # e.g. "acme/"
    status: str | None = None
    source: str | None = None
    outcome: str | None = None
    requested_by: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class FindingFilters:
    """Narrowing for :func:`list_findings`. ``current`` keeps only each watched model's latest
    scan or re-evaluation check (the registry's present state)."""

    check_id: str | None = None
    model_ref: str | None = None
    rule_id: str | None = None
    ruleset: str | None = None
    jurisdiction: str | None = None
    verdicts: tuple[str, ...] = ()
    min_severity: str | None = None
    waived: bool | None = None
    current: bool = False


def today_utc() -> date:
    """Today's date in UTC (the service's calendar)."""
    return datetime.now(UTC).date()


def rules_digest(rulesets: Iterable[Mapping[str, Any]]) -> str:
    """One sha256 over the ``id`` and ``sha256`` of each rule set (order does not matter)."""
    lines = sorted(f"{rs['id']}:{rs['sha256']}" for rs in rulesets)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


# --- submit -------------------------------------------------------------------------------


def submit_check(
    session: Session,
    *,
    model_ref: str,
    source: str,
    revision: str | None = None,
    options: Mapping[str, Any] | None = None,
    requested_by: str | None = None,
    queue: str | None = None,
    idempotency_key: str | None = None,
    uploaded: Mapping[str, Any] | None = None,
) -> CheckRow:
    """Validate a check request and store it as ``queued``; the caller commits and enqueues.

    A hub model's id and revision are validated strictly (they end up in URLs); with uploaded
    metadata, ``model_ref`` is only a name. A repeated ``idempotency_key`` returns the check
    first stored under it, whatever the other arguments. Keys are global: a caller taking
    keys from clients should namespace them (``f"{token_id}:{key}"``). Raises UsageError on
    bad input.
    """
    if idempotency_key is not None:
        if not idempotency_key or len(idempotency_key) > 255:
            raise UsageError("idempotency key must be 1 to 255 characters")
        existing = _by_key(session, idempotency_key)
        if existing is not None:
            return existing
    try:
        source = CheckSource(source).value
    except ValueError:
        raise UsageError(f"unknown check source {source!r}") from None
    if uploaded is not None:
        from compliance.services.uploads import validate_uploaded

        if not _UPLOAD_NAME.match(model_ref or "") or ".." in model_ref:
            raise UsageError(f"model name {model_ref!r} must be letters, digits, '._/-', at most 200 characters")
        uploaded = validate_uploaded(uploaded)
        revision = None
    else:
        from compliance.targets import validate_model_id, validate_revision

        validate_model_id(model_ref)
        validate_revision(revision)
    inputs: dict[str, Any] = {"options": normalise_options(options), "uploaded": uploaded}
    return insert_check(
        session,
        model_ref=model_ref,
        revision=revision,
        source=source,
        requested_by=requested_by,
        queue=queue,
        idempotency_key=idempotency_key,
        inputs=inputs,
    )


def _by_key(session: Session, key: str) -> CheckRow | None:
    return session.exec(select(CheckRow).where(col(CheckRow.idempotency_key) == key)).first()


def check_values(
    *,
    model_ref: str,
    revision: str | None,
    source: str,
    requested_by: str | None,
    queue: str | None,
    idempotency_key: str | None,
    sha: str | None = None,
    started_at: datetime | None = None,
) -> dict[str, Any]:
    """The columns of a new check's row, with a fresh id: queued, or running from ``started_at``."""
    from compliance.storage.tables import new_check_id

    return {
        "id": new_check_id(),
        "model_ref": model_ref,
        "revision": revision,
        "sha": sha,
        "source": source,
        "requested_by": requested_by,
        "queue": queue,
        "status": (CheckStatus.QUEUED if started_at is None else CheckStatus.RUNNING).value,
        "attempts": 0 if started_at is None else 1,
        "idempotency_key": idempotency_key,
        "created_at": started_at or utcnow(),
        "started_at": started_at,
    }


def insert_check(
    session: Session,
    *,
    model_ref: str,
    revision: str | None,
    source: str,
    requested_by: str | None,
    queue: str | None,
    idempotency_key: str | None,
    inputs: dict[str, Any],
    sha: str | None = None,
) -> CheckRow:
    """Store a queued check without validating it (for scans, which validated their inputs).

    With an ``idempotency_key``, an existing check under that key is returned instead, even if
    another process stored it a moment ago (``INSERT ... ON CONFLICT DO NOTHING``).
    """
    from sqlalchemy.orm import make_transient_to_detached

    from compliance.storage.db import insert_ignore
    from compliance.storage.tables import table_of

    values = check_values(
        model_ref=model_ref,
        revision=revision,
        sha=sha,
        source=source,
        requested_by=requested_by,
        queue=queue,
        idempotency_key=idempotency_key,
    )
    check_id = values["id"]
    # Two plain INSERTs rather than the unit of work: a submit is the API's busiest write,
    # and the ORM's flush (twice, since the tables have no relationship to order them) cost
    # more than the rest of the request.
    if idempotency_key is None:
        session.connection().execute(table_of(CheckRow).insert(), values)
    elif not insert_ignore(session, CheckRow, [values], conflict=["idempotency_key"]):
        # Another request stored the same key between our look-up and our insert.
        existing = _by_key(session, idempotency_key)
        assert existing is not None, "the conflicting row is visible once the insert reports it"
        return existing
    session.connection().execute(table_of(CheckDataRow).insert(), {"check_id": check_id, "inputs": inputs})
    # The row as stored, attached to the session without reading it back.
    row = CheckRow(**values)
    make_transient_to_detached(row)
    session.add(row)
    return row


def submit_reevaluation(session: Session, *, previous: CheckRow, requested_by: str, idempotency_key: str) -> CheckRow:
    """A check that evaluates ``previous``'s stored facts again, with the same options."""
    options = get_options(session, previous.id)
    return insert_check(
        session,
        model_ref=previous.model_ref,
        revision=previous.revision,
        sha=previous.sha,
        source=CheckSource.REEVALUATE.value,
        requested_by=requested_by,
        queue=None,
        idempotency_key=idempotency_key,
        inputs={"options": options, "uploaded": None, "from_check": previous.id},
    )


# --- run ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Job:
    """What one run needs, read in the first transaction."""

    model_ref: str
    revision: str | None
    inputs: dict[str, Any]
    waivers: list[Any]
    stored: Inspection | None = None
    stored_estimator: str | None = None


def run_check(
    session_factory: SessionFactory,
    check_id: str,
    *,
    settings: Settings,
    inspector: Inspector | None = None,
    rulebook: Any = None,
    today: date | None = None,
    on_store: Callable[[Session, CheckRow, dict[str, str]], None] | None = None,
) -> CheckRow:
    """Run a stored check to completion and store its report, facts and findings.

    Idempotent: a done or failed check is returned untouched. ``rulebook`` (a loaded
    :class:`compliance.rules.RuleBook`) saves reloading the rules per check; default: the sets
    in ``settings.rules_paths`` or the shipped ones. Errors: a transient hub error
    (:class:`~compliance.errors.HubError`, including ``RateLimited``) puts the check back to
    ``queued`` and is re-raised for the caller's retry policy; any other ComplianceError (model
    not found, bad rule set, malformed model file) fails the check with its one-line message
    and its exit code; an unexpected exception fails it as an internal error (exit code 2)
    and is re-raised, to be logged.

    ``on_store`` is called in the transaction that stores the result, with the session, the
    done check and its ``{rule_id: verdict}``, so a caller's own bookkeeping (a scan's item and
    changes) commits with the result instead of in a transaction of its own. It is not called
    when another runner had finished the check first.
    """
    today = today or today_utc()
    if inspector is None:
        from compliance.services.fingerprints import store_inspector

        inspector = store_inspector(session_factory)
    with session_scope(session_factory) as session:
        row = session.get(CheckRow, check_id)
        if row is None:
            raise InputError(f"no check {check_id!r}")
        if row.status in FINAL_STATUSES:
            return row
        try:
            job = _start(session, row, today)
        except ComplianceError as exc:  # e.g. the check to re-evaluate has no stored facts
            row.status, row.error, row.finished_at = CheckStatus.FAILED, exc.one_line(), utcnow()
            row.exit_code, row.failure = int(exc.exit_code), exc.kind
            session.add(row)
            return row
    try:
        inspection, report, book_rulesets = _evaluate(
            job, settings=settings, inspector=inspector, rulebook=rulebook, today=today
        )
    except HubError as exc:
        _finish_without_result(session_factory, check_id, CheckStatus.QUEUED, exc.one_line())
        raise
    except ComplianceError as exc:
        code = int(exc.exit_code)
        return _finish_without_result(
            session_factory, check_id, CheckStatus.FAILED, exc.one_line(), exit_code=code, failure=exc.kind
        )
    except Exception as exc:
        message = f"internal error: {type(exc).__name__}: {exc}"
        log.warning("check %s failed: %s", check_id, message)
        _finish_without_result(session_factory, check_id, CheckStatus.FAILED, message, exit_code=INTERNAL_EXIT_CODE,
                               failure=INTERNAL_FAILURE)  # fmt: skip
        raise
    try:
        return _store(session_factory, check_id, inspection, report, book_rulesets, job, on_store)
    except sa.exc.SQLAlchemyError:
        raise  # a deadlock or a lost connection: the caller's retry stores it (a scan puts the item back)
    except Exception as exc:
        # A result that cannot be stored must not leave the check running with no owner.
        message = f"internal error while storing the result: {type(exc).__name__}: {exc}"
        try:
            _finish_without_result(session_factory, check_id, CheckStatus.FAILED, message,
                                   exit_code=INTERNAL_EXIT_CODE, failure=INTERNAL_FAILURE)  # fmt: skip
        except Exception:  # the database itself is gone: the original error says more
            log.warning("check %s: could not record that storing its result failed", check_id, exc_info=True)
        raise


def _start(session: Session, row: CheckRow, today: date) -> _Job:
    from compliance.services.waivers import waivers_for_check

    inputs = dict(get_inputs(session, row.id) or {})
    use_waivers = (inputs.get("options") or {}).get("use_waivers", True)
    job = _Job(
        model_ref=row.model_ref,
        revision=row.revision,
        inputs=inputs,
        waivers=waivers_for_check(session, row.model_ref, today=today) if use_waivers else [],
    )
    if inputs.get("from_check"):
        job.stored, job.stored_estimator = _stored_inspection(session, str(inputs["from_check"]))
    row.status = CheckStatus.RUNNING
    row.started_at = utcnow()
    row.attempts += 1
    session.add(row)
    return job


def _stored_inspection(session: Session, check_id: str) -> tuple[Inspection, str | None]:
    previous = session.get(CheckRow, check_id)
    data = session.get(CheckDataRow, check_id)
    if previous is None or data is None or data.facts is None or data.report is None:
        raise InputError(f"check {check_id} has no stored facts to evaluate again")
    report = data.report
    model = ModelRef(**{k: report["model"].get(k) for k in ("id", "source", "path", "revision", "sha")})
    inputs = report.get("inputs") or {}
    inspection = Inspection(
        model=model,
        facts=FactSet.from_dict(data.facts),
        lineage=list(report.get("lineage") or []),
        warnings=list(report.get("warnings") or []),
        files_read=list(inputs.get("files_read") or []),
        bytes_read=int(inputs.get("bytes_read") or 0),
    )
    return inspection, previous.estimator_version


def evaluate_fresh(
    model_ref: str,
    revision: str | None,
    inputs: dict[str, Any],
    waivers: list[Any],
    *,
    settings: Settings,
    inspector: Inspector | None,
    rulebook: Any,
    today: date,
) -> Result:
    """Inspect and evaluate a model for a check whose row the caller created as running and
    will store with :func:`write_results` (a scan's batch). Errors propagate as raised."""
    from compliance import ESTIMATOR_VERSION

    job = _Job(model_ref=model_ref, revision=revision, inputs=inputs, waivers=waivers)
    inspection, report, rulesets = _evaluate(job, settings=settings, inspector=inspector, rulebook=rulebook,
                                             today=today)  # fmt: skip
    return Result(inspection, report, rulesets, ESTIMATOR_VERSION)


def _evaluate(
    job: _Job, *, settings: Settings, inspector: Inspector | None, rulebook: Any, today: date
) -> tuple[Inspection, Any, list[dict[str, Any]]]:
    from compliance.check import load_rulebook
    from compliance.check import run_check as evaluate

    resolved = resolve_options(job.inputs.get("options") or {}, today=today, origin="check inputs")
    if job.stored is not None:
        inspection = job.stored
        for fact in resolved.declared:  # declarations win, as in a fresh inspection
            inspection.facts.set(fact)
    elif job.inputs.get("uploaded"):
        from compliance.services.uploads import inspect_uploaded

        inspection = inspect_uploaded(
            job.model_ref,
            job.inputs["uploaded"],
            declared=resolved.declared,
            use_exact=resolved.use_exact,
            settings=settings,
        )
    else:
        inspect = inspector or hub_inspector
        inspection = inspect(
            job.model_ref,
            revision=job.revision,
            declared=resolved.declared,
            settings=settings,
            use_exact=resolved.use_exact,
        )
    book = rulebook if rulebook is not None else load_rulebook(list(settings.rules_paths) or None)
    options = resolved.options
    if job.waivers:
        options.waivers = list(job.waivers)
        options.today = today
    report = evaluate(inspection, options, rulebook=book)
    return inspection, report, list(report.rulesets)


def _finish_without_result(
    session_factory: SessionFactory,
    check_id: str,
    status: CheckStatus,
    error: str,
    *,
    exit_code: int | None = None,
    failure: str | None = None,
) -> CheckRow:
    with session_scope(session_factory) as session:
        row = _locked(session, check_id)
        if row.status not in FINAL_STATUSES:
            row.status = status
            row.error = error[:MAX_ERROR_CHARS]
            row.finished_at = utcnow() if status in FINAL_STATUSES else None
            failed = status is CheckStatus.FAILED
            row.exit_code = exit_code if failed else None
            row.failure = (failure or INTERNAL_FAILURE) if failed else None
            session.add(row)
        return row


def fail_check(
    session_factory: SessionFactory,
    check_id: str,
    message: str,
    *,
    exit_code: int | None = None,
    failure: str | None = None,
) -> CheckRow:
    """Mark an unfinished check failed with ``message``, the CLI ``exit_code`` it stands for and
    the ``failure`` kind (:attr:`ComplianceError.kind`); a finished check is left as it is.

    Every failed check stores an exit code and a kind, so a client exits as a local check would
    and a person sees why: without them (a refused queue) the check did not really run, which is
    :data:`INTERNAL_EXIT_CODE` and :data:`INTERNAL_FAILURE`. A check whose worker was lost too
    often is failed with :data:`LOST_FAILURE` by the recovery. Logged at warning level: the
    service, not the model, stopped the check.
    """
    code = INTERNAL_EXIT_CODE if exit_code is None else exit_code
    log.warning("check %s failed (%s): %s", check_id, failure or INTERNAL_FAILURE, message)
    return _finish_without_result(
        session_factory, check_id, CheckStatus.FAILED, message, exit_code=code, failure=failure
    )


def _locked(session: Session, check_id: str) -> CheckRow:
    # FOR UPDATE on PostgreSQL serialises two runners of the same check; SQLite serialises
    # all writers anyway and ignores the clause.
    row = session.exec(select(CheckRow).where(col(CheckRow.id) == check_id).with_for_update()).one()
    return row


def _store(
    session_factory: SessionFactory,
    check_id: str,
    inspection: Inspection,
    report: Any,
    rulesets: list[dict[str, Any]],
    job: _Job,
    on_store: Callable[[Session, CheckRow, dict[str, str]], None] | None = None,
) -> CheckRow:
    from compliance import ESTIMATOR_VERSION

    estimator = job.stored_estimator if job.stored is not None else ESTIMATOR_VERSION
    with session_scope(session_factory) as session:
        row = _locked(session, check_id)
        if row.status in FINAL_STATUSES:
            return row  # another runner finished first; its result stands
        (verdicts,) = write_results(session, [(row, Result(inspection, report, rulesets, estimator))])
        if on_store is not None:
            on_store(session, row, verdicts)
        return row


@dataclass(slots=True)
class Result:
    """What evaluating one check produced, ready to store."""

    inspection: Inspection
    report: Any  # compliance.report.model.Report
    rulesets: list[dict[str, Any]]
    estimator_version: str | None


def write_results(session: Session, results: list[tuple[CheckRow, Result]]) -> list[dict[str, str]]:
    """Store the results of checks whose rows the caller has locked and found unfinished.

    Writes the findings (replacing any earlier ones), the report and facts documents and the
    check's summary columns, with one statement per table for the whole list (a scan stores
    its checks in batches), and the structural fingerprint of each freshly inspected model
    (:mod:`compliance.services.fingerprints`). Returns each check's ``{rule_id: verdict}``, in order.
    """
    if not results:
        return []
    from compliance.storage.tables import pack_json

    # Everything is serialised and compressed before the first write: on SQLite the first
    # write takes the database's one write lock, which the other workers are waiting for.
    findings: list[dict[str, Any]] = []
    verdicts: list[dict[str, str]] = []
    documents: list[dict[str, Any]] = []
    for row, result in results:
        rows = [_finding_values(row.id, row.model_ref, f) for f in result.report.findings]
        findings.extend(rows)
        verdicts.append({str(r["rule_id"]): str(r["verdict"]) for r in rows})
        documents.append({
            "b_check_id": row.id,
            "b_report": pack_json(result.report.to_dict()),
            "b_facts": pack_json(result.inspection.facts.to_dict()),
        })  # fmt: skip
    from compliance.services.fingerprints import record_fingerprints

    record_fingerprints(session, [result.inspection for _, result in results])
    now = utcnow()
    session.exec(sa.delete(FindingRow).where(col(FindingRow.check_id).in_([row.id for row, _ in results])))
    if findings:
        session.exec(sa.insert(FindingRow), params=findings)
    data = table_of(CheckDataRow)
    session.connection().execute(
        sa.update(data)
        .where(data.c.check_id == sa.bindparam("b_check_id"))
        .values(
            report=sa.bindparam("b_report", type_=sa.LargeBinary),
            facts=sa.bindparam("b_facts", type_=sa.LargeBinary),
        ),
        documents,
    )
    for row, result in results:
        rulesets = result.rulesets
        row.sha = result.inspection.model.sha or row.sha
        row.status = CheckStatus.DONE
        row.outcome = result.report.summary.outcome
        row.exit_code = result.report.summary.exit_code
        row.ruleset_hashes = {str(rs["id"]): str(rs["sha256"]) for rs in rulesets}
        row.rules_hash = rules_digest(rulesets)
        row.estimator_version = result.estimator_version
        row.as_of = result.report.as_of
        row.error = None
        row.failure = None
        row.finished_at = now
        session.add(row)
    return verdicts


def _finding_values(check_id: str, model_ref: str, finding: Any) -> dict[str, Any]:
    return {
        "check_id": check_id,
        "model_ref": model_ref,
        "rule_id": finding.rule_id,
        "ruleset": finding.ruleset,
        "ruleset_version": finding.ruleset_version,
        "jurisdiction": finding.jurisdiction,
        "verdict": finding.verdict.value,
        "what_if": finding.what_if.value if finding.what_if else None,
        "severity": finding.severity.value,
        "waived": finding.waived is not None,
        "title": finding.title,
    }


# --- read ---------------------------------------------------------------------------------


def get_check(session: Session, check_id: str) -> CheckRow | None:
    """One check by id (without its documents)."""
    return session.get(CheckRow, check_id)


def get_report(session: Session, check_id: str) -> dict[str, Any] | None:
    """The check's ``compliance-report/1`` JSON, or None if there is no such check or it has not finished."""
    report: Any = session.exec(select(CheckDataRow.report).where(col(CheckDataRow.check_id) == check_id)).first()
    return dict(report) if report is not None else None


def get_report_json(session: Session, check_id: str) -> str | None:
    """The check's stored report as JSON text, or None if there is no such check or no report yet.

    Reads the compressed column raw and only decompresses it: a caller sending the report on
    (the API) saves parsing and re-serialising some 70 kB (see ``storage.tables.CompressedJSON``).
    """
    import zlib

    data = sa.table("check_data", sa.column("check_id"), sa.column("report", sa.LargeBinary))
    blob = session.execute(sa.select(data.c.report).where(data.c.check_id == check_id)).scalar_one_or_none()
    return zlib.decompress(blob).decode("utf-8") if blob is not None else None


def get_inputs(session: Session, check_id: str) -> dict[str, Any] | None:
    """The check's inputs as submitted (options, uploaded metadata, the check it re-evaluates)."""
    # One column: loading the row would also decompress the report and the facts.
    inputs: Any = session.exec(select(CheckDataRow.inputs).where(col(CheckDataRow.check_id) == check_id)).first()
    return dict(inputs) if inputs is not None else None


def get_options(session: Session, check_id: str) -> dict[str, Any]:
    """The check's options (``inputs["options"]``), empty when there are none."""
    return dict((get_inputs(session, check_id) or {}).get("options") or {})


def list_checks(
    session: Session, *, filters: CheckFilters | None = None, page: int = 1, per_page: int = 50
) -> Page[CheckRow]:
    """Checks, newest first."""
    offset, limit = page_bounds(page, per_page)
    f = filters or CheckFilters()
    conditions: list[Any] = []
    if f.model_ref is not None:
        conditions.append(col(CheckRow.model_ref) == f.model_ref)
    if f.model_prefix:
        # A range rather than LIKE, so the (model_ref, created_at) index serves it on both backends.
        conditions.append(col(CheckRow.model_ref) >= f.model_prefix)
        conditions.append(col(CheckRow.model_ref) < f.model_prefix + "\U0010ffff")
    for column, value in (
        (CheckRow.status, f.status),
        (CheckRow.source, f.source),
        (CheckRow.outcome, f.outcome),
        (CheckRow.requested_by, f.requested_by),
    ):
        if value is not None:
            conditions.append(col(column) == value)
    if f.since is not None:
        conditions.append(col(CheckRow.created_at) >= f.since)
    if f.until is not None:
        conditions.append(col(CheckRow.created_at) < f.until)
    total = session.exec(select(sa.func.count()).select_from(CheckRow).where(*conditions)).one()
    rows = session.exec(
        select(CheckRow)
        .where(*conditions)
        .order_by(col(CheckRow.created_at).desc(), col(CheckRow.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return Page(list(rows), int(total), page, per_page)


def list_findings(
    session: Session, *, filters: FindingFilters | None = None, page: int = 1, per_page: int = 100
) -> Page[FindingRow]:
    """Findings matching ``filters``, in check then rule order."""
    offset, limit = page_bounds(page, per_page)
    f = filters or FindingFilters()
    conditions: list[Any] = []
    for column, value in (
        (FindingRow.check_id, f.check_id),
        (FindingRow.model_ref, f.model_ref),
        (FindingRow.rule_id, f.rule_id),
        (FindingRow.ruleset, f.ruleset),
        (FindingRow.jurisdiction, f.jurisdiction),
        (FindingRow.waived, f.waived),
    ):
        if value is not None:
            conditions.append(col(column) == value)
    if f.verdicts:
        conditions.append(col(FindingRow.verdict).in_(list(f.verdicts)))
    if f.min_severity is not None:
        if f.min_severity not in _SEVERITY_ORDER:
            raise UsageError(f"unknown severity {f.min_severity!r}; choose from {', '.join(_SEVERITY_ORDER)}")
        conditions.append(col(FindingRow.severity).in_(_SEVERITY_ORDER[_SEVERITY_ORDER.index(f.min_severity) :]))
    if f.current:
        latest = select(ModelRow.latest_check_id).where(col(ModelRow.latest_check_id).is_not(None))
        conditions.append(col(FindingRow.check_id).in_(latest))
    total = session.exec(select(sa.func.count()).select_from(FindingRow).where(*conditions)).one()
    rows = session.exec(
        select(FindingRow).where(*conditions).order_by(col(FindingRow.id)).offset(offset).limit(limit)
    ).all()
    return Page(list(rows), int(total), page, per_page)
