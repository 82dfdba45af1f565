"""Checks and findings: submit, read one with its report, list with filters and pages."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request

from web.api.endpoints import Api, ApiError, Call
from web.api.schemas import (
    CheckAccepted,
    CheckCreate,
    CheckPublic,
    CheckQuery,
    CheckSummary,
    FindingPublic,
    FindingQuery,
    page_of,
)

CheckPage = page_of(CheckSummary)
FindingPage = page_of(FindingPublic)
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_QUEUE = "ci"


def _check_queue(call: Call) -> str:
    body: CheckCreate = call.body
    return body.queue or DEFAULT_QUEUE


def submit_check(call: Call) -> CheckAccepted:
    """Store a check as queued and send it to the worker once the row is committed."""
    from compliance.services import checks
    from compliance.storage.tables import CheckSource

    body: CheckCreate = call.body
    queue = _check_queue(call)
    upload = body.upload
    key = request.headers.get(IDEMPOTENCY_HEADER)
    row = checks.submit_check(
        call.session,
        model_ref=upload.name if upload is not None else str(body.model),
        revision=body.revision,
        source=(CheckSource.CI if queue == "ci" else CheckSource.API).value,
        options=body.options(),
        requested_by=call.principal.actor,
        queue=queue,
        idempotency_key=key[:255] if key else None,
        uploaded=upload.model_dump(exclude={"name"}, exclude_none=True) if upload is not None else None,
    )
    fresh = row.status == "queued" and row.attempts == 0
    call.session.commit()
    if fresh:
        # Sent once the row is committed and the write turn given back (see Call.after_write).
        call.after_write.append(lambda: _queue(call, row.id, row.queue))
    return CheckAccepted(id=row.id, status=row.status, queue=row.queue, url=f"/api/v1/checks/{row.id}")


def _queue(call: Call, check_id: str, queue: str | None) -> None:
    from compliance.services import checks
    from web.worker.enqueue import send_check

    try:
        send_check(call.services.celery, check_id, queue)
    except Exception as exc:
        # The row is stored but the broker refused the task: fail the check rather than leave
        # it queued for ever, and tell the client to try again.
        with call.services.database.writing():
            checks.fail_check(
                call.services.database.session_factory, check_id, f"could not be queued: {exc}", failure="service"
            )
        raise ApiError.unavailable("the task queue is unavailable; try again") from None


def get_check(call: Call, check_id: str) -> Response:
    """One check; ``report`` is the compliance-report/1 JSON once the check is done."""
    from compliance.services import checks

    row = checks.get_check(call.session, check_id) if len(check_id) <= 32 else None
    if row is None:
        raise ApiError(404, f"no check {check_id[:40]!r}")
    public = CheckPublic(
        id=row.id,
        model=row.model_ref,
        revision=row.revision,
        sha=row.sha,
        source=row.source,
        requested_by=row.requested_by,
        queue=row.queue,
        status=row.status,
        outcome=row.outcome,
        exit_code=row.exit_code,
        failure=row.failure,
        error=row.error,
        rules_hash=row.rules_hash,
        as_of=row.as_of,
        attempts=row.attempts,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )
    head = json.dumps(public.model_dump(mode="json", exclude={"report"}), separators=(",", ":"), ensure_ascii=False)
    report = checks.get_report_json(call.session, row.id) if row.status == "done" else None
    # The stored report is already JSON: splice it in rather than parse and re-serialise ~70 kB
    # per request, which was most of this endpoint's time.
    body = head[:-1] + ',"report":' + (report or "null") + "}"
    return Response(body, status=200, mimetype="application/json")


def list_checks(call: Call) -> Any:
    """Checks, newest first."""
    from compliance.services import checks

    q: CheckQuery = call.query
    filters = checks.CheckFilters(
        model_ref=q.model,
        model_prefix=q.model_prefix,
        status=q.status,
        source=q.source,
        outcome=q.outcome,
        since=q.since,
        until=q.until,
    )
    page = checks.list_checks(call.session, filters=filters, page=q.page, per_page=q.per_page)
    items = [
        CheckSummary(
            id=r.id,
            model=r.model_ref,
            revision=r.revision,
            sha=r.sha,
            source=r.source,
            status=r.status,
            outcome=r.outcome,
            exit_code=r.exit_code,
            failure=r.failure,
            created_at=r.created_at,
            finished_at=r.finished_at,
        )
        for r in page.items
    ]
    return CheckPage(items=items, total=page.total, page=page.page, per_page=page.per_page, pages=page.pages)


def list_findings(call: Call) -> Any:
    """Findings, in check then rule order; ``current`` keeps each watched model's latest check."""
    from compliance.services import checks

    q: FindingQuery = call.query
    filters = checks.FindingFilters(
        check_id=q.check_id,
        model_ref=q.model,
        rule_id=q.rule_id,
        ruleset=q.ruleset,
        jurisdiction=q.jurisdiction,
        verdicts=tuple(q.verdict),
        min_severity=q.min_severity,
        waived=q.waived,
        current=q.current,
    )
    page = checks.list_findings(call.session, filters=filters, page=q.page, per_page=q.per_page)
    items = [
        FindingPublic(
            id=r.id or 0,
            check_id=r.check_id,
            model=r.model_ref,
            rule_id=r.rule_id,
            ruleset=r.ruleset,
            ruleset_version=r.ruleset_version,
            jurisdiction=r.jurisdiction,
            verdict=r.verdict,
            what_if=r.what_if,
            severity=r.severity,
            waived=r.waived,
            title=r.title,
        )
        for r in page.items
    ]
    return FindingPage(items=items, total=page.total, page=page.page, per_page=page.per_page, pages=page.pages)


def register(api: Api) -> None:
    """Declare the check endpoints."""
    api.route("POST", "/checks", role="submitter", summary="Submit a check", body=CheckCreate, status=202,
              response=CheckAccepted, errors=(400, 413, 422, 503), queue=_check_queue)(submit_check)  # fmt: skip
    api.route("GET", "/checks", role="viewer", summary="List checks", query=CheckQuery, response=CheckPage,
              errors=(422,))(list_checks)  # fmt: skip
    api.route("GET", "/checks/<check_id>", role="viewer", summary="A check and its report", response=CheckPublic,
              errors=(404,))(get_check)  # fmt: skip
    api.route("GET", "/findings", role="viewer", summary="List findings", query=FindingQuery, response=FindingPage,
              errors=(422,))(list_findings)  # fmt: skip
