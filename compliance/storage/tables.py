"""Every table of the service, in one module (so relationships never make import cycles).

Naming: table classes end in ``Row`` (``CheckRow``), which keeps them apart from the domain
objects of the same name (:class:`compliance.rules.Finding`, :class:`compliance.rules.Waiver`).
Tables live in their own SQLAlchemy registry and metadata (:data:`METADATA`), not the global
``SQLModel.metadata``, so nothing else that declares SQLModel tables leaks into our migrations,
and constraint names follow one naming convention (Alembic's batch mode on SQLite needs named
constraints).

Conventions:

* Timestamps are timezone-aware UTC (:class:`UTCDateTime`). SQLite stores them as naive UTC
  text, which sorts correctly; values read back always carry ``tzinfo=UTC``.
* Statuses and kinds are plain strings validated by the services (the ``StrEnum`` classes
  below list the values), not database enums: adding a value needs no migration.
* JSON columns are ``sa.JSON`` (TEXT on SQLite, json on PostgreSQL). SQLAlchemy does not see
  in-place changes to a dict: assign a new value.
* Large documents (a check's inputs, report and facts) live in :class:`CheckDataRow`, one row
  per check, compressed (:class:`CompressedJSON`), so the ``checks`` table stays narrow:
  listing and filtering 100,000 checks reads small rows, and a report is still one
  primary-key read away.

``audit_events`` is append-only: the migration installs triggers on SQLite and PostgreSQL that
refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL); the services offer no way to change an
event.
"""

from __future__ import annotations

import json
import secrets
import string
import zlib
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_ID_ALPHABET = string.ascii_lowercase + string.digits
CHECK_ID_LENGTH = 16  # 36**16 ~ 8e24 possible ids: collisions are not a practical concern


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def new_check_id() -> str:
    """A short random URL-safe check id (lower-case letters and digits)."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(CHECK_ID_LENGTH))


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    Naive datetimes are refused on the way in: a naive value is ambiguous, and the web process
    and the workers may not share a local time zone.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC (naive UTC on SQLite, which has no time zone type)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to what the driver returns."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def pack_json(value: Any) -> bytes:
    """A JSON document as :class:`CompressedJSON` stores it (for statements that bind the bytes
    themselves, to do this work before a transaction takes its locks)."""
    text = json.dumps(value, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
    return zlib.compress(text.encode("utf-8"), 6)


class CompressedJSON(sa.types.TypeDecorator[Any]):
    """A JSON document stored zlib-compressed (BLOB on SQLite, bytea on PostgreSQL).

    Reports repeat the same keys and evidence for every rule: compression makes them about five
    times smaller (a full report of some 70 kB stores in about 14 kB) for well under a
    millisecond each way. SQLite has no compression of its own. Nothing queries inside these
    documents; the columns worth filtering on are copied into ordinary columns. JSON is strict
    (no NaN or Infinity), as PostgreSQL's json type is. Read one by hand with
    ``json.loads(zlib.decompress(blob))``.
    """

    impl = sa.LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        """Serialise and compress."""
        return None if value is None else pack_json(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> Any:
        """Decompress and parse."""
        return None if value is None else json.loads(zlib.decompress(value))


class Base(SQLModel, registry=registry(metadata=sa.MetaData(naming_convention=NAMING_CONVENTION))):
    """Base of every table: our own registry and metadata."""


METADATA: sa.MetaData = Base.metadata


def table_of(model: type[Base]) -> sa.Table:
    """The Core table of a table class, for statements that skip the ORM's bookkeeping."""
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


# --- vocabularies ------------------------------------------------------------------------


class CheckStatus(StrEnum):
    """Life of a check: queued, running, then done or failed (both final)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CheckSource(StrEnum):
    """Who or what asked for a check."""

    CLI = "cli"
    CI = "ci"
    API = "api"
    DASHBOARD = "dashboard"
    SCAN = "scan"
    REEVALUATE = "reevaluate"


class ScanKind(StrEnum):
    """A registry scan lists a target on the hub; a re-evaluation walks the stored models."""

    REGISTRY = "registry"
    REEVALUATE = "reevaluate"


class ScanStatus(StrEnum):
    """Life of a scan."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ScanTrigger(StrEnum):
    """What started a scan."""

    BEAT = "beat"
    API = "api"
    CLI = "cli"
    DASHBOARD = "dashboard"


class ItemStatus(StrEnum):
    """One model within a scan. ``skipped``: unchanged since the last scan, not inspected."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class RunnerState(StrEnum):
    """Life of one scan runner (one Celery task delivery, known by its task id).

    ``running`` holds a lease it renews; ``waiting`` is between a retry and its next delivery;
    ``ended`` finished its pass; ``released`` stopped on request and handed its claims back;
    ``failed`` gave up (hub retries exhausted); ``lost`` let its lease run out (its worker died)."""

    RUNNING = "running"
    WAITING = "waiting"
    ENDED = "ended"
    RELEASED = "released"
    FAILED = "failed"
    LOST = "lost"


class TargetKind(StrEnum):
    """What a scan target names: an author or organisation, a hub search, or a list of ids."""

    AUTHOR = "author"
    SEARCH = "search"
    MODELS = "models"


class ChangeKind(StrEnum):
    """What changed for one model between two scans."""

    NEW_MODEL = "new_model"
    NEW_REVISION = "new_revision"
    NEW_FINDING = "new_finding"
    CLEARED_FINDING = "cleared_finding"
    VERDICT_CHANGED = "verdict_changed"


class ChangeCause(StrEnum):
    """Why it changed (see ``compliance.services.changes``): the model (new sha), the check's
    context (options), the law (rule sets or the date they are read at), or the estimator."""

    MODEL = "model"
    CONTEXT = "context"
    LAW = "law"
    ESTIMATOR = "estimator"


class Role(StrEnum):
    """Roles of API tokens and users, weakest first (each includes those before it)."""

    VIEWER = "viewer"
    SUBMITTER = "submitter"
    REVIEWER = "reviewer"
    ADMIN = "admin"


def _json(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=sa.JSON, nullable=nullable)


# --- models and revisions ----------------------------------------------------------------


class ModelRow(Base, table=True):
    """A model the registry watcher knows, and the baseline the next scan compares against.

    ``last_sha`` and ``latest_check_id`` are moved only by scans and re-evaluations: a one-off
    check of an old revision through the API must not make the watcher think the model changed.
    """

    __tablename__ = "models"

    id: str = Field(primary_key=True, max_length=200)  # "org/name"
    author: str | None = Field(default=None, index=True, max_length=100)
    gated: bool | None = None
    private: bool | None = None
    last_sha: str | None = Field(default=None, max_length=64)
    last_modified: datetime | None = Field(default=None, sa_type=UTCDateTime)
    latest_check_id: str | None = Field(default=None, foreign_key="checks.id", ondelete="SET NULL", max_length=32)
    first_seen: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RevisionRow(Base, table=True):
    """A commit of a model that a scan saw."""

    __tablename__ = "revisions"
    __table_args__ = (sa.UniqueConstraint("model_id", "sha"),)

    id: int | None = Field(default=None, primary_key=True)
    model_id: str = Field(foreign_key="models.id", ondelete="CASCADE", max_length=200)
    sha: str = Field(max_length=64)
    last_modified: datetime | None = Field(default=None, sa_type=UTCDateTime)
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- checks and findings -----------------------------------------------------------------


class CheckRow(Base, table=True):
    """One check of one model: who asked, what, its state and its outcome.

    The inputs, the report and the facts are in :class:`CheckDataRow` (same id).
    ``ruleset_hashes`` maps rule-set id to the sha256 of its file; ``rules_hash`` digests them
    all, so "was this check made under the current law?" is one string comparison.
    """

    __tablename__ = "checks"
    __table_args__ = (
        sa.Index("ix_checks_model_ref_created_at", "model_ref", "created_at"),
        sa.Index("ix_checks_status", "status"),
        sa.Index("ix_checks_created_at", "created_at"),
    )

    id: str = Field(default_factory=new_check_id, primary_key=True, max_length=32)
    model_ref: str = Field(max_length=200)
    revision: str | None = Field(default=None, max_length=255)  # as asked
    sha: str | None = Field(default=None, max_length=64)  # as resolved
    source: str = Field(max_length=16)
    requested_by: str | None = Field(default=None, max_length=200)
    queue: str | None = Field(default=None, max_length=64)
    status: str = Field(default=CheckStatus.QUEUED, max_length=16)
    outcome: str | None = Field(default=None, max_length=16)
    exit_code: int | None = None
    failure: str | None = Field(default=None, max_length=32)  # a failed check's kind: not_found, gated, ...
    ruleset_hashes: dict[str, str] | None = _json()
    rules_hash: str | None = Field(default=None, max_length=64)
    estimator_version: str | None = Field(default=None, max_length=32)
    as_of: date | None = None
    error: str | None = None
    attempts: int = 0
    idempotency_key: str | None = Field(default=None, unique=True, max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CheckDataRow(Base, table=True):
    """The large documents of a check.

    ``inputs``: ``{"options": {...}, "facts": {...}, "uploaded": {...} | None, "from_check": id
    | None}`` as submitted. ``report``: the ``compliance-report/1`` JSON. ``facts``: the facts
    the inspection found, before the deployment context was added, so the rules can be run
    again later without the hub.
    """

    __tablename__ = "check_data"

    check_id: str = Field(primary_key=True, foreign_key="checks.id", ondelete="CASCADE", max_length=32)
    inputs: dict[str, Any] | None = Field(default=None, sa_type=CompressedJSON)
    report: dict[str, Any] | None = Field(default=None, sa_type=CompressedJSON)
    facts: dict[str, Any] | None = Field(default=None, sa_type=CompressedJSON)


class FindingRow(Base, table=True):
    """One rule's verdict in one check, as columns to filter on (details are in the report)."""

    __tablename__ = "findings"
    __table_args__ = (
        sa.Index("ix_findings_check_id", "check_id"),
        sa.Index("ix_findings_rule_id_verdict", "rule_id", "verdict"),
        sa.Index("ix_findings_model_ref", "model_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    check_id: str = Field(foreign_key="checks.id", ondelete="CASCADE", max_length=32)
    model_ref: str = Field(max_length=200)
    rule_id: str = Field(max_length=200)
    ruleset: str = Field(max_length=100)
    ruleset_version: str = Field(max_length=50)
    jurisdiction: str = Field(max_length=16)
    verdict: str = Field(max_length=16)
    what_if: str | None = Field(default=None, max_length=16)
    severity: str = Field(max_length=16)
    waived: bool = False
    title: str


# --- scans -------------------------------------------------------------------------------


class ScanTargetRow(Base, table=True):
    """Something to watch on the hub. ``value``: the author, the search text, or model ids one
    per line. ``options``: the check options for every model of the target."""

    __tablename__ = "scan_targets"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    value: str
    options: dict[str, Any] | None = _json()
    enabled: bool = True
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ScheduleRow(Base, table=True):
    """A periodic task, as data: beat reads the due rows (see ``services.schedules``).

    Exactly one of ``every_seconds`` and ``crontab`` (five fields, UTC) is set.
    """

    __tablename__ = "schedules"
    __table_args__ = (sa.Index("ix_schedules_enabled_next_run_at", "enabled", "next_run_at"),)

    id: int | None = Field(default=None, primary_key=True)
    task: str = Field(max_length=200)
    target_id: int | None = Field(default=None, foreign_key="scan_targets.id", ondelete="CASCADE")
    every_seconds: int | None = None
    crontab: str | None = Field(default=None, max_length=100)
    enabled: bool = True
    last_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ScanRow(Base, table=True):
    """One pass over a target (or, for a re-evaluation, over the stored models).

    Counters: ``total`` items listed, ``done`` inspected and checked, ``skipped`` unchanged,
    ``errors`` failed, ``changes`` change rows recorded. ``listed_at`` is set once the listing
    finished, so a resumed scan does not list again.
    """

    __tablename__ = "scans"
    __table_args__ = (
        sa.Index("ix_scans_target_id_created_at", "target_id", "created_at"),
        sa.Index("ix_scans_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default=ScanKind.REGISTRY, max_length=16)
    target_id: int | None = Field(default=None, foreign_key="scan_targets.id", ondelete="SET NULL")
    status: str = Field(default=ScanStatus.QUEUED, max_length=16)
    trigger: str = Field(max_length=16)
    requested_by: str | None = Field(default=None, max_length=200)
    total: int = 0
    done: int = 0
    skipped: int = 0
    errors: int = 0
    changes: int = 0
    rules_hash: str | None = Field(default=None, max_length=64)
    error: str | None = None
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    listed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When runners were last sent for it: a scan none of whose runners is alive is sent new
    # ones only once the last ones were taken up (or were sent longer ago than recovery waits).
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ScanRunnerRow(Base, table=True):
    """One runner of one scan: a lease its worker renews while it works.

    Keyed by the Celery task id, so a message the broker delivers twice (Redis after its
    visibility timeout, or after a warm shutdown put it back) finds its runner taken and stops.
    A runner whose ``lease_until`` passed is dead: the models it claimed go back to the queue.
    """

    __tablename__ = "scan_runners"
    __table_args__ = (sa.Index("ix_scan_runners_scan_id_state", "scan_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    scan_id: int = Field(foreign_key="scans.id", ondelete="CASCADE")
    task_id: str = Field(max_length=64, unique=True)
    role: str = Field(default="lead", max_length=8)
    state: str = Field(default=RunnerState.RUNNING, max_length=16)
    worker: str | None = Field(default=None, max_length=200)
    pid: int | None = None
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    stop_requested: bool = False
    note: str | None = Field(default=None, max_length=500)


class ScanItemRow(Base, table=True):
    """One model in one scan: what makes a scan resumable and idempotent.

    Unique on (scan, model): a re-listing after a crash cannot add a model twice, and a done
    item is never redone.
    """

    __tablename__ = "scan_items"
    __table_args__ = (
        sa.UniqueConstraint("scan_id", "model_id"),
        sa.Index("ix_scan_items_scan_id_status", "scan_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scan_id: int = Field(foreign_key="scans.id", ondelete="CASCADE")
    model_id: str = Field(max_length=200)
    sha: str | None = Field(default=None, max_length=64)
    last_modified: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default=ItemStatus.PENDING, max_length=16)
    check_id: str | None = Field(default=None, foreign_key="checks.id", ondelete="SET NULL", max_length=32)
    error: str | None = None
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    runner_id: int | None = None  # the runner holding the item while it is running


class ChangeRow(Base, table=True):
    """One thing that changed for one model since the previous scan, and why."""

    __tablename__ = "changes"
    __table_args__ = (
        sa.Index("ix_changes_scan_id_model_id", "scan_id", "model_id"),
        sa.Index("ix_changes_model_id", "model_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scan_id: int = Field(foreign_key="scans.id", ondelete="CASCADE")
    model_id: str = Field(max_length=200)
    kind: str = Field(max_length=24)
    cause: str = Field(max_length=16)
    rule_id: str | None = Field(default=None, max_length=200)
    before: str | None = Field(default=None, max_length=64)
    after: str | None = Field(default=None, max_length=64)
    check_id: str | None = Field(default=None, foreign_key="checks.id", ondelete="SET NULL", max_length=32)
    previous_check_id: str | None = Field(default=None, foreign_key="checks.id", ondelete="SET NULL", max_length=32)
    detail: dict[str, Any] | None = _json()
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- people's decisions and access -------------------------------------------------------


class WaiverRow(Base, table=True):
    """A reviewed, owned, expiring acceptance of a rule's finding for models matching a glob.

    ``expires`` is the last day it holds. ``expired_at`` is set by the expiry job, ``revoked_at``
    when someone withdraws it; either ends it.
    """

    __tablename__ = "waivers"

    id: int | None = Field(default=None, primary_key=True)
    rule_id: str = Field(index=True, max_length=200)
    model_pattern: str = Field(max_length=200)
    reason: str
    owner: str = Field(max_length=200)
    expires: date
    approved_by: str = Field(max_length=200)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = Field(default=None, max_length=200)


class ApiTokenRow(Base, table=True):
    """An API token. Only the sha256 of the token is stored; ``prefix`` identifies it in lists."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    token_hash: str = Field(unique=True, max_length=64)
    prefix: str = Field(max_length=16)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserRow(Base, table=True):
    """A dashboard account. ``email`` is stored lower-cased.

    ``session_generation`` is copied into each dashboard session at log-in; a session whose
    copy differs is over. Logging out, a new password, a new role and disabling the account
    all move it on, so every session of the account ends at once, on every web process.
    """

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=254)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    disabled: bool = False
    created_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    session_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class AuditEventRow(Base, table=True):
    """One change a person (or the system, as ``system``) made. Append-only."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_object_type_object_id", "object_type", "object_id"),
        sa.Index("ix_audit_events_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=64)
    object_type: str = Field(max_length=32)
    object_id: str = Field(max_length=200)
    detail: dict[str, Any] | None = _json()


# --- structural fingerprints --------------------------------------------------------------


class FingerprintRow(Base, table=True):
    """The structure of a model the service inspected (a check or a scan), one row per revision.

    Kept so that a later check, in any process, compares its model with every model the service
    has seen (:mod:`compliance.services.fingerprints`). ``layout`` digests ``dims`` (the config's
    structural hyper-parameters); ``shapes`` and ``names`` digest the tensor shapes and the
    tensor names with layer numbers folded, from the safetensors headers, whose tensors
    (name, dtype, shape) are in ``tensors``; ``weights`` holds the weight files' LFS sha256.
    ``created`` is the model's publication date (the older of two alike models is the source);
    ``first_seen`` is when the service first saw it. A gated or private model's row is shown
    only to the ``viewer`` (a hash of the token) who read it.
    """

    __tablename__ = "fingerprints"
    __table_args__ = (
        sa.UniqueConstraint("model_ref", "revision"),
        # Each look-up reads the first rows seen for one key: the index ends in id to serve the order.
        sa.Index("ix_fingerprints_layout_id", "layout", "id"),
        sa.Index("ix_fingerprints_parameters_id", "parameters", "id"),
        sa.Index("ix_fingerprints_names_id", "names", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    model_ref: str = Field(max_length=200)
    revision: str = Field(max_length=64)  # the commit sha, or the revision as asked when none is known
    architecture: str | None = Field(default=None, max_length=200)
    model_type: str | None = Field(default=None, max_length=100)
    layout: str | None = Field(default=None, max_length=32)
    dims: dict[str, Any] | None = _json()
    parameters: int | None = Field(default=None, sa_type=sa.BigInteger)
    shapes: str | None = Field(default=None, max_length=32)
    names: str | None = Field(default=None, max_length=32)
    tensors: list[Any] | None = _json()
    weights: list[str] | None = _json()
    bases: list[str] | None = _json()
    created: str | None = Field(default=None, max_length=32)
    gated: bool | None = None
    private: bool | None = None
    viewer: str | None = Field(default=None, max_length=32)
    first_seen: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
