"""Waivers, targets, schedules, tokens and the audit log: what reviewers and admins manage."""

from __future__ import annotations

from typing import Any, Literal

from web.api.endpoints import Api, ApiError, Call
from web.api.schemas import (
    AuditEventPublic,
    AuditQuery,
    MePublic,
    ScheduleCreate,
    SchedulePublic,
    ScheduleUpdate,
    TargetCreate,
    TargetPublic,
    TargetUpdate,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    WaiverCreate,
    WaiverPublic,
    WaiverQuery,
    WaiverRevoke,
    page_of,
)

AuditPage = page_of(AuditEventPublic)
WaiverList = page_of(WaiverPublic)
TargetList = page_of(TargetPublic)
ScheduleList = page_of(SchedulePublic)
TokenList = page_of(TokenPublic)


def _listing(model: Any, items: list[Any]) -> Any:
    # Small administrative lists come whole, in the paged envelope so clients parse one shape.
    return model(items=items, total=len(items), page=1, per_page=max(len(items), 1), pages=1)


def me(call: Call) -> MePublic:
    """Who the token is."""
    return MePublic(name=call.principal.name, role=call.principal.role, token_id=call.principal.token_id)


# --- waivers ------------------------------------------------------------------------------


def waiver_public(row: Any, today: Any) -> WaiverPublic:
    """A waiver row as JSON, with its state today."""
    state: Literal["active", "expired", "revoked"] = (
        "revoked" if row.revoked_at else ("expired" if row.expires < today else "active")
    )
    return WaiverPublic(
        id=row.id,
        rule_id=row.rule_id,
        model_pattern=row.model_pattern,
        reason=row.reason,
        owner=row.owner,
        expires=row.expires,
        approved_by=row.approved_by,
        created_by=row.created_by,
        created_at=row.created_at,
        expired_at=row.expired_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
        state=state,
    )


def list_waivers(call: Call) -> Any:
    """Waivers in a state (default: active), newest first."""
    from compliance.services import waivers
    from compliance.services.checks import today_utc

    q: WaiverQuery = call.query
    today = today_utc()
    rows = waivers.list_waivers(call.session, today=today, state=q.state, rule_id=q.rule_id)
    return _listing(WaiverList, [waiver_public(r, today) for r in rows])


def create_waiver(call: Call) -> WaiverPublic:
    """Record a waiver (reviewers; audited). ``approved_by`` defaults to the token."""
    from compliance.services import waivers
    from compliance.services.checks import today_utc

    body: WaiverCreate = call.body
    today = today_utc()
    row = waivers.create_waiver(
        call.session,
        rule_id=body.rule_id,
        model_pattern=body.model_pattern,
        reason=body.reason,
        owner=body.owner,
        expires=body.expires,
        approved_by=body.approved_by or call.principal.actor,
        actor=call.principal.actor,
        today=today,
    )
    call.session.commit()
    return waiver_public(row, today)


def get_waiver(call: Call, waiver_id: int) -> WaiverPublic:
    """One waiver."""
    from compliance.services import waivers
    from compliance.services.checks import today_utc

    row = waivers.get_waiver(call.session, waiver_id)
    if row is None:
        raise ApiError(404, f"no waiver {waiver_id}")
    return waiver_public(row, today_utc())


def revoke_waiver(call: Call, waiver_id: int) -> WaiverPublic:
    """End a waiver now (reviewers; audited)."""
    from compliance.services import waivers
    from compliance.services.checks import today_utc

    body: WaiverRevoke = call.body
    row = waivers.revoke_waiver(call.session, waiver_id, actor=call.principal.actor, reason=body.reason)
    call.session.commit()
    return waiver_public(row, today_utc())


# --- targets ------------------------------------------------------------------------------


def target_public(row: Any) -> TargetPublic:
    """A target row as JSON (a model list as a list)."""
    value: str | list[str] = row.value.split("\n") if row.kind == "models" else row.value
    return TargetPublic(
        id=row.id,
        name=row.name,
        kind=row.kind,
        value=value,
        options=row.options,
        enabled=row.enabled,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def list_targets(call: Call) -> Any:
    """Every target."""
    from compliance.services import targets

    return _listing(TargetList, [target_public(t) for t in targets.list_targets(call.session)])


def create_target(call: Call) -> TargetPublic:
    """Add a target, scheduled daily unless ``schedule`` is false (admins; audited)."""
    from compliance.services import targets

    body: TargetCreate = call.body
    row = targets.create_target(
        call.session,
        kind=body.kind,
        value=body.value,
        actor=call.principal.actor,
        name=body.name,
        options=body.options,
        schedule=body.schedule,
    )
    call.session.commit()
    return target_public(row)


def get_target(call: Call, target_id: int) -> TargetPublic:
    """One target."""
    from compliance.services import targets

    row = targets.get_target(call.session, target_id)
    if row is None:
        raise ApiError(404, f"no scan target {target_id}")
    return target_public(row)


def update_target(call: Call, target_id: int) -> TargetPublic:
    """Change a target (admins; audited)."""
    from compliance.services import targets

    body: TargetUpdate = call.body
    row = targets.update_target(
        call.session,
        target_id,
        actor=call.principal.actor,
        name=body.name,
        value=body.value,
        options=body.options,
        enabled=body.enabled,
    )
    call.session.commit()
    return target_public(row)


def delete_target(call: Call, target_id: int) -> None:
    """Delete a target that was never scanned (admins; audited)."""
    from compliance.services import targets

    targets.delete_target(call.session, target_id, actor=call.principal.actor)
    call.session.commit()


# --- schedules ----------------------------------------------------------------------------


def schedule_public(row: Any) -> SchedulePublic:
    """A schedule row as JSON."""
    return SchedulePublic(
        id=row.id,
        task=row.task,
        target_id=row.target_id,
        every_seconds=row.every_seconds,
        crontab=row.crontab,
        enabled=row.enabled,
        last_run_at=row.last_run_at,
        next_run_at=row.next_run_at,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def list_schedules(call: Call) -> Any:
    """Every schedule."""
    from compliance.services import schedules

    return _listing(ScheduleList, [schedule_public(s) for s in schedules.list_schedules(call.session)])


def create_schedule(call: Call) -> SchedulePublic:
    """Add a schedule (admins; audited)."""
    from compliance.services import schedules

    body: ScheduleCreate = call.body
    row = schedules.create_schedule(
        call.session,
        task=body.task,
        actor=call.principal.actor,
        target_id=body.target_id,
        every_seconds=body.every_seconds,
        crontab=body.crontab,
        enabled=body.enabled,
    )
    call.session.commit()
    return schedule_public(row)


def get_schedule(call: Call, schedule_id: int) -> SchedulePublic:
    """One schedule."""
    from compliance.services import schedules

    row = schedules.get_schedule(call.session, schedule_id)
    if row is None:
        raise ApiError(404, f"no schedule {schedule_id}")
    return schedule_public(row)


def update_schedule(call: Call, schedule_id: int) -> SchedulePublic:
    """Change a schedule's timing or switch it on or off (admins; audited)."""
    from compliance.services import schedules

    body: ScheduleUpdate = call.body
    row = schedules.update_schedule(
        call.session,
        schedule_id,
        actor=call.principal.actor,
        every_seconds=body.every_seconds,
        crontab=body.crontab,
        enabled=body.enabled,
    )
    call.session.commit()
    return schedule_public(row)


def delete_schedule(call: Call, schedule_id: int) -> None:
    """Remove a schedule (admins; audited)."""
    from compliance.services import schedules

    schedules.delete_schedule(call.session, schedule_id, actor=call.principal.actor)
    call.session.commit()


# --- tokens and audit ---------------------------------------------------------------------


def token_public(row: Any) -> TokenPublic:
    """A token row as JSON, without its hash."""
    return TokenPublic(
        id=row.id,
        name=row.name,
        role=row.role,
        prefix=row.prefix,
        created_by=row.created_by,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def list_tokens(call: Call) -> Any:
    """Live tokens."""
    from compliance.services import tokens

    return _listing(TokenList, [token_public(t) for t in tokens.list_tokens(call.session)])


def create_token(call: Call) -> TokenCreated:
    """Create a token; the secret is in this answer only (admins; audited)."""
    from compliance.services import tokens

    body: TokenCreate = call.body
    row, plaintext = tokens.create_token(call.session, name=body.name, role=body.role, created_by=call.principal.actor)
    call.session.commit()
    return TokenCreated(**token_public(row).model_dump(), token=plaintext)


def revoke_token(call: Call, token_id: int) -> None:
    """Revoke a token at once (admins; audited)."""
    from compliance.services import tokens

    tokens.revoke_token(call.session, token_id, actor=call.principal.actor)
    call.session.commit()


def list_audit(call: Call) -> Any:
    """The audit log, newest first."""
    from compliance.services import audit

    q: AuditQuery = call.query
    page = audit.list_events(
        call.session,
        object_type=q.object_type,
        object_id=q.object_id,
        actor=q.actor,
        action=q.action,
        page=q.page,
        per_page=q.per_page,
    )
    items = [
        AuditEventPublic(
            id=e.id or 0,
            at=e.at,
            actor=e.actor,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            detail=e.detail,
        )
        for e in page.items
    ]
    return AuditPage(items=items, total=page.total, page=page.page, per_page=page.per_page, pages=page.pages)


def register(api: Api) -> None:
    """Declare the management endpoints."""
    r = api.route
    r("GET", "/me", role="viewer", summary="The presented token", response=MePublic)(me)
    r("GET", "/waivers", role="viewer", summary="List waivers", query=WaiverQuery, response=WaiverList,
      errors=(422,))(list_waivers)  # fmt: skip
    r("POST", "/waivers", role="reviewer", summary="Create a waiver", body=WaiverCreate, status=201,
      response=WaiverPublic, errors=(400, 422))(create_waiver)  # fmt: skip
    r("GET", "/waivers/<int:waiver_id>", role="viewer", summary="A waiver", response=WaiverPublic,
      errors=(404,))(get_waiver)  # fmt: skip
    r("POST", "/waivers/<int:waiver_id>/revoke", role="reviewer", summary="Revoke a waiver", body=WaiverRevoke,
      response=WaiverPublic, errors=(400, 404, 409, 422))(revoke_waiver)  # fmt: skip
    r("GET", "/targets", role="viewer", summary="List scan targets", response=TargetList)(list_targets)
    r("POST", "/targets", role="admin", summary="Create a scan target", body=TargetCreate, status=201,
      response=TargetPublic, errors=(400, 422))(create_target)  # fmt: skip
    r("GET", "/targets/<int:target_id>", role="viewer", summary="A scan target", response=TargetPublic,
      errors=(404,))(get_target)  # fmt: skip
    r("PATCH", "/targets/<int:target_id>", role="admin", summary="Change a scan target", body=TargetUpdate,
      response=TargetPublic, errors=(400, 404, 422))(update_target)  # fmt: skip
    r("DELETE", "/targets/<int:target_id>", role="admin", summary="Delete a never-scanned target", status=204,
      errors=(404, 409))(delete_target)  # fmt: skip
    r("GET", "/schedules", role="viewer", summary="List schedules", response=ScheduleList)(list_schedules)
    r("POST", "/schedules", role="admin", summary="Create a schedule", body=ScheduleCreate, status=201,
      response=SchedulePublic, errors=(400, 404, 422))(create_schedule)  # fmt: skip
    r("GET", "/schedules/<int:schedule_id>", role="viewer", summary="A schedule", response=SchedulePublic,
      errors=(404,))(get_schedule)  # fmt: skip
    r("PATCH", "/schedules/<int:schedule_id>", role="admin", summary="Change a schedule", body=ScheduleUpdate,
      response=SchedulePublic, errors=(400, 404, 422))(update_schedule)  # fmt: skip
    r("DELETE", "/schedules/<int:schedule_id>", role="admin", summary="Delete a schedule", status=204,
      errors=(404,))(delete_schedule)  # fmt: skip
    r("GET", "/tokens", role="admin", summary="List live tokens", response=TokenList)(list_tokens)
    r("POST", "/tokens", role="admin", summary="Create a token", body=TokenCreate, status=201,
      response=TokenCreated, errors=(400, 422))(create_token)  # fmt: skip
    r("DELETE", "/tokens/<int:token_id>", role="admin", summary="Revoke a token", status=204,
      errors=(404, 409))(revoke_token)  # fmt: skip
    r("GET", "/audit", role="viewer", summary="The audit log", query=AuditQuery, response=AuditPage,
      errors=(422,))(list_audit)  # fmt: skip
