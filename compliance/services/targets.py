"""Scan targets: what the registry watcher lists on the hub.

A target is an author or organisation (``kind="author"``, e.g. ``acme``), a hub search
(``kind="search"``, e.g. ``llama``) or a list of model ids (``kind="models"``). Its
``options`` (see :mod:`compliance.services.options`) apply to every check of its models.
Creating a target also schedules it daily (see :mod:`compliance.services.schedules`).
A target that has been scanned cannot be deleted, because its scans and their changes are
history: disable it instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from compliance.errors import Conflict, UsageError
from compliance.services import audit
from compliance.services.options import normalise_options
from compliance.services.ports import TargetSpec
from compliance.storage.tables import ScanRow, ScanTargetRow, TargetKind

MAX_TARGET_MODELS = 10_000
_AUTHOR = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$")


def normalise_value(kind: str, value: str | Sequence[str]) -> str:
    """Validate a target's value for its kind; model ids are stored one per line."""
    if kind == TargetKind.AUTHOR:
        text = value.strip() if isinstance(value, str) else ""
        if not _AUTHOR.match(text):
            raise UsageError(f"{text!r} is not a valid author or organisation name")
        return text
    if kind == TargetKind.SEARCH:
        text = value.strip() if isinstance(value, str) else ""
        if not text or len(text) > 200 or not text.isprintable():
            raise UsageError("a search must be 1 to 200 printable characters")
        return text
    if kind == TargetKind.MODELS:
        from compliance.targets import validate_model_id

        items = value.split() if isinstance(value, str) else list(value)
        ids = list(dict.fromkeys(validate_model_id(str(i).strip()) for i in items if str(i).strip()))
        if not ids or len(ids) > MAX_TARGET_MODELS:
            raise UsageError(f"a model list needs 1 to {MAX_TARGET_MODELS} model ids")
        return "\n".join(ids)
    raise UsageError(f"unknown target kind {kind!r}; choose from {', '.join(k.value for k in TargetKind)}")


def target_spec(target: ScanTargetRow) -> TargetSpec:
    """What a lister needs to know about ``target``."""
    values = tuple(target.value.split("\n")) if target.kind == TargetKind.MODELS else (target.value,)
    return TargetSpec(kind=target.kind, values=values)


def create_target(
    session: Session,
    *,
    kind: str,
    value: str | Sequence[str],
    actor: str,
    name: str | None = None,
    options: Mapping[str, Any] | None = None,
    schedule: bool = True,
) -> ScanTargetRow:
    """Add a target (audited) and, unless ``schedule`` is false, its daily scan schedule."""
    from compliance.services.schedules import DAY_SECONDS, SCAN_TARGET_TASK, create_schedule

    normalised = normalise_value(kind, value)
    label = (name or "").strip() or f"{kind}: {normalised.splitlines()[0]}"
    row = ScanTargetRow(
        name=label[:200],
        kind=TargetKind(kind).value,
        value=normalised,
        options=normalise_options(options),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    target_id = _id(row)
    audit.record(session, actor=actor, action="target.create", object_type="target", object_id=target_id,
                 detail=_describe(row))  # fmt: skip
    if schedule:
        create_schedule(session, task=SCAN_TARGET_TASK, actor=actor, target_id=target_id, every_seconds=DAY_SECONDS)
    return row


def update_target(
    session: Session,
    target_id: int,
    *,
    actor: str,
    name: str | None = None,
    value: str | Sequence[str] | None = None,
    options: Mapping[str, Any] | None = None,
    enabled: bool | None = None,
) -> ScanTargetRow:
    """Change a target's name, value, options or enabled flag (audited); None leaves a field as is."""
    row = _get(session, target_id)
    before = _describe(row)
    if name is not None:
        if not name.strip():
            raise UsageError("a target name must not be blank")
        row.name = name.strip()[:200]
    if value is not None:
        row.value = normalise_value(row.kind, value)
    if options is not None:
        row.options = normalise_options(options)
    if enabled is not None:
        row.enabled = enabled
    session.add(row)
    audit.record(session, actor=actor, action="target.update", object_type="target", object_id=target_id,
                 detail={"before": before, "after": _describe(row)})  # fmt: skip
    return row


def delete_target(session: Session, target_id: int, *, actor: str) -> None:
    """Delete a never-scanned target and its schedules (audited)."""
    row = _get(session, target_id)
    scans = session.exec(select(sa.func.count()).select_from(ScanRow).where(col(ScanRow.target_id) == target_id)).one()
    if scans:
        raise Conflict(f"target {target_id} has {scans} scan(s); disable it instead of deleting it")
    audit.record(session, actor=actor, action="target.delete", object_type="target", object_id=target_id,
                 detail=_describe(row))  # fmt: skip
    session.delete(row)


def get_target(session: Session, target_id: int) -> ScanTargetRow | None:
    """One target by id."""
    return session.get(ScanTargetRow, target_id)


def list_targets(session: Session, *, enabled: bool | None = None) -> list[ScanTargetRow]:
    """Targets in id order."""
    query = select(ScanTargetRow)
    if enabled is not None:
        query = query.where(col(ScanTargetRow.enabled).is_(enabled))
    return list(session.exec(query.order_by(col(ScanTargetRow.id))).all())


def _get(session: Session, target_id: int) -> ScanTargetRow:
    row = session.get(ScanTargetRow, target_id)
    if row is None:
        raise UsageError(f"no scan target {target_id}")
    return row


def _describe(row: ScanTargetRow) -> dict[str, Any]:
    value = row.value if row.kind != TargetKind.MODELS else f"{len(row.value.splitlines())} model ids"
    return {"name": row.name, "kind": row.kind, "value": value, "options": row.options, "enabled": row.enabled}


def _id(row: ScanTargetRow) -> int:
    assert row.id is not None, "flushed rows have ids"
    return row.id
