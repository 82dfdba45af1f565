"""Request and response bodies of the JSON API, as pydantic models.

Requests are strict (``extra="forbid"``, no type coercion): a misspelt key or a string where a
number belongs is a 422 naming the field, never a guess. The same models produce the OpenAPI
document (:mod:`web.api.openapi`), so the document cannot drift from what is enforced.
Responses are models too (``*Public``), which the tests validate every answer against.

What a rule between fields says ("exactly one of ``model`` and ``upload``") is stated in the
schema too (``oneOf``, ``if``/``then``), next to the validator that enforces it, so that a
client, or a fuzzer, generating from the document sends bodies the server accepts. Ids are
stored ids (1..2^63-1, as in paths); a date-time in a query is RFC 3339 with its offset.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from compliance.services.schedules import MAX_INTERVAL_SECONDS, MIN_INTERVAL_SECONDS, SCAN_TARGET_TASK
from web.routing import MAX_STORED_ID, MIN_STORED_ID

Severity = Literal["info", "low", "medium", "high", "critical"]
RoleName = Literal["viewer", "submitter", "reviewer", "admin"]
NON_BLANK = r"\S"  # a text with something in it besides spaces (the services strip it)
ShortText = Field(min_length=1, max_length=200, pattern=NON_BLANK)
FactValue = str | int | float | bool | list[str | int | float]


def _integral(value: Any) -> Any:
    # JSON Schema counts 60.0 as an integer, so a client may send it; strict pydantic would not.
    return int(value) if isinstance(value, float) and value.is_integer() else value


# Integers as JSON Schema reads them; the bounds go before the validator, or pydantic's JSON
# schema shows them as "ge"/"le" instead of minimum/maximum.
StoredId = Annotated[int, Field(ge=MIN_STORED_ID, le=MAX_STORED_ID), BeforeValidator(_integral)]
Interval = Annotated[int, Field(ge=MIN_INTERVAL_SECONDS, le=MAX_INTERVAL_SECONDS), BeforeValidator(_integral)]
ByteCount = Annotated[int, Field(ge=0), BeforeValidator(_integral)]
_RFC3339 = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$"
)


def _rfc3339(value: Any) -> Any:
    # pydantic alone also reads "0.5" as a Unix time and "2025-01-31" as midnight; the document
    # says format date-time, which is RFC 3339's, so that is what a query takes.
    if isinstance(value, str) and not _RFC3339.match(value):
        raise ValueError("expected an RFC 3339 date-time with its offset, e.g. 2025-01-31T00:00:00Z")
    return value


QueryDateTime = Annotated[datetime, BeforeValidator(_rfc3339)]
MAX_DECLARED = 100
# Stated for the document; CheckCreate's validator enforces both, naming the rule rather than a pattern.
FactList = Annotated[
    list[Annotated[str, Field(json_schema_extra={"pattern": "="})]], Field(json_schema_extra={"maxItems": MAX_DECLARED})
]
FactMapping = Annotated[dict[str, FactValue], Field(json_schema_extra={"maxProperties": MAX_DECLARED})]


def exactly_one_of(*names: str, absent_with: dict[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
    """JSON Schema: exactly one of the properties ``names`` is given (not null).

    ``absent_with[name]`` lists properties that must be absent (or null) when ``name`` is the one.
    """
    branches = []
    for name in names:
        others = [o for o in names if o != name] + list((absent_with or {}).get(name, ()))
        properties = {name: {"not": {"type": "null"}}, **{o: {"type": "null"} for o in others}}
        branches.append({"required": [name], "properties": properties})
    return {"oneOf": branches}


def at_least_one_of(*names: str) -> dict[str, Any]:
    """JSON Schema: at least one of the properties ``names`` is given (not null)."""
    return {"anyOf": [{"required": [name], "properties": {name: {"not": {"type": "null"}}}} for name in names]}


def at_most_one_of(*names: str) -> dict[str, Any]:
    """JSON Schema: at most one of the properties ``names`` is given (not null)."""
    return {"anyOf": [{"properties": {o: {"type": "null"} for o in names if o != name}} for name in names]}


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Query(BaseModel):
    # Query strings are text: numbers and booleans are parsed from it, unknown keys refused.
    model_config = ConfigDict(extra="forbid")


class _Public(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- checks -------------------------------------------------------------------------------


class SafetensorsHeaderIn(_Request):
    """One safetensors file's JSON header (never the weights)."""

    file: str = Field(min_length=1, max_length=500)
    header: dict[str, Any]
    data_size: ByteCount | None = None


class UploadIn(_Request):
    """A local model's metadata, as ``compliance check --server`` sends it: a card, a config or headers, or more."""

    model_config = ConfigDict(json_schema_extra=at_least_one_of("card", "config", "safetensors"))

    name: str = ShortText
    config: dict[str, Any] | None = None
    card: str | None = Field(default=None, max_length=8_000_000)
    safetensors: list[SafetensorsHeaderIn] | None = Field(default=None, max_length=2000)


class CheckCreate(_Request):
    """Submit a check of a hub model (``model``) or of uploaded metadata (``upload``)."""

    model_config = ConfigDict(
        json_schema_extra=exactly_one_of("model", "upload", absent_with={"upload": ("revision",)})
    )

    model: str | None = Field(default=None, min_length=1, max_length=200, description="hub model id ORG/NAME")
    revision: str | None = Field(default=None, min_length=1, max_length=255)
    upload: UploadIn | None = None
    as_of: date | None = None
    destination: str | None = Field(default=None, min_length=1, max_length=200)
    hardware: str | None = Field(default=None, min_length=1, max_length=200)
    markets: list[str] = Field(default_factory=list, max_length=10)
    rules: list[str] = Field(default_factory=list, max_length=50)
    open_weights: bool | None = None
    revenue: float | None = Field(default=None, ge=0, lt=1e15, description="developer's annual revenue, USD")
    facts: FactList | FactMapping = Field(
        default_factory=list, description="declared facts: ['KEY=VALUE', ...] or {KEY: VALUE}"
    )
    fail_on: Severity | None = None
    fail_on_uncertain: bool | None = None
    use_waivers: bool | None = None
    exact: bool | None = None
    queue: Literal["ci", "interactive"] | None = Field(default=None, description="default: ci")

    @model_validator(mode="after")
    def _one_subject(self) -> CheckCreate:
        if (self.model is None) == (self.upload is None):
            raise ValueError("give exactly one of 'model' and 'upload'")
        if self.upload is not None and self.revision is not None:
            raise ValueError("'revision' applies to a hub model, not to an upload")
        return self

    @field_validator("facts")
    @classmethod
    def _facts_shape(cls, value: list[str] | dict[str, Any]) -> list[str] | dict[str, Any]:
        items = value if isinstance(value, list) else list(value)
        if len(items) > MAX_DECLARED:
            raise ValueError(f"at most {MAX_DECLARED} declared facts")
        if isinstance(value, list) and any("=" not in item for item in value):
            raise ValueError("each fact must be KEY=VALUE")
        return value

    def declared_facts(self) -> dict[str, Any]:
        """The declared facts as ``{name: value}`` (the services' form)."""
        if isinstance(self.facts, dict):
            return dict(self.facts)
        return dict(item.split("=", 1) for item in self.facts)

    def options(self) -> dict[str, Any]:
        """The check options in the stored form of ``compliance.services.options``."""
        raw: dict[str, Any] = {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "rules": self.rules or None,
            "destination": self.destination,
            "markets": self.markets or None,
            "hardware": self.hardware,
            "open_weights": self.open_weights,
            "developer_revenue_usd": self.revenue,
            "fail_on": self.fail_on,
            "fail_on_uncertain": self.fail_on_uncertain,
            "use_waivers": self.use_waivers,
            "exact": self.exact,
            "facts": self.declared_facts() or None,
        }
        return {k: v for k, v in raw.items() if v is not None}


class CheckAccepted(_Public):
    """A stored, queued check."""

    id: str
    status: str
    queue: str | None
    url: str


FAILURE_DOC = (
    "Why a failed check stopped: not_found (no such model or revision, or private to others), private "
    "(the service's token may not read it), gated (access not granted), unreachable (the hub did not "
    "answer), input, service, lost (the worker running it died too many times; running it again may help) or "
    "internal (a bug); null unless the status is failed."
)


class CheckPublic(_Public):
    """A check, with its report once it is done."""

    id: str
    model: str
    revision: str | None
    sha: str | None
    source: str
    requested_by: str | None
    queue: str | None
    status: str
    outcome: str | None
    exit_code: int | None
    failure: str | None = Field(default=None, description=FAILURE_DOC)
    error: str | None
    rules_hash: str | None
    as_of: date | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    report: dict[str, Any] | None = None


class CheckSummary(_Public):
    """A check in a list (no report)."""

    id: str
    model: str
    revision: str | None
    sha: str | None
    source: str
    status: str
    outcome: str | None
    exit_code: int | None
    failure: str | None = Field(default=None, description=FAILURE_DOC)
    created_at: datetime
    finished_at: datetime | None


class CheckQuery(_Query):
    """Filters of ``GET /checks``."""

    model: str | None = Field(default=None, max_length=200)
    model_prefix: str | None = Field(default=None, max_length=200)
    status: Literal["queued", "running", "done", "failed"] | None = None
    source: str | None = Field(default=None, max_length=16)
    outcome: Literal["pass", "fail", "inconclusive"] | None = None
    since: QueryDateTime | None = None
    until: QueryDateTime | None = None
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=50, ge=1, le=500)


class FindingPublic(_Public):
    """One rule's verdict in one check."""

    id: int
    check_id: str
    model: str
    rule_id: str
    ruleset: str
    ruleset_version: str
    jurisdiction: str
    verdict: str
    what_if: str | None
    severity: str
    waived: bool
    title: str


class FindingQuery(_Query):
    """Filters of ``GET /findings``."""

    check_id: str | None = Field(default=None, max_length=32)
    model: str | None = Field(default=None, max_length=200)
    rule_id: str | None = Field(default=None, max_length=200)
    ruleset: str | None = Field(default=None, max_length=100)
    jurisdiction: str | None = Field(default=None, max_length=16)
    verdict: list[Literal["triggered", "not_triggered", "uncertain", "not_applicable"]] = Field(default_factory=list)
    min_severity: Severity | None = None
    waived: bool | None = None
    current: bool = False
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=100, ge=1, le=500)


# --- scans and changes -------------------------------------------------------------------


class ScanCreate(_Request):
    """Start a scan of an author, a search or a list of models (give exactly one)."""

    model_config = ConfigDict(json_schema_extra=exactly_one_of("author", "search", "models"))

    author: str | None = Field(default=None, min_length=1, max_length=96)
    search: str | None = Field(default=None, min_length=1, max_length=200)
    models: list[str] | None = Field(default=None, min_length=1, max_length=10_000)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    options: dict[str, Any] | None = Field(default=None, description="check options for every model")

    @model_validator(mode="after")
    def _one_target(self) -> ScanCreate:
        given = [k for k in ("author", "search", "models") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'author', 'search' and 'models'")
        return self

    def kind_value(self) -> tuple[str, str | list[str]]:
        """The target kind and value."""
        if self.author is not None:
            return "author", self.author
        if self.search is not None:
            return "search", self.search
        assert self.models is not None
        return "models", self.models


class ScanAccepted(_Public):
    """A stored scan, with its runners queued."""

    id: int
    status: str
    target_id: int | None
    url: str


class ChangePublic(_Public):
    """One thing that changed for one model in one scan, and why."""

    id: int
    scan_id: int
    model: str
    kind: str
    cause: str
    rule_id: str | None
    before: str | None
    after: str | None
    check_id: str | None
    previous_check_id: str | None
    detail: dict[str, Any] | None
    created_at: datetime


class ScanPublic(_Public):
    """A scan's progress and its first changes."""

    id: int
    kind: str
    target_id: int | None
    trigger: str
    requested_by: str | None
    status: str
    total: int
    done: int
    skipped: int
    errors: int
    remaining: int
    listing_finished: bool
    rate_per_second: float
    eta_seconds: float | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None = Field(
        description="Why the scan failed (e.g. its runners were lost 5 times); null unless failed."
    )
    unchecked: int | None = Field(
        default=None,
        description="For a failed scan, how many of its models it left unchecked: those are failed with an error "
        "starting 'not checked: the scan failed:' (GET /scans/{id}/items?status=failed lists them); "
        "null unless the scan failed.",
    )
    changes_total: int
    changes: list[ChangePublic]


class ScanQuery(_Query):
    """Filters of ``GET /scans``."""

    target_id: StoredId | None = None
    kind: Literal["registry", "reevaluate"] | None = None
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=50, ge=1, le=500)


class ScanItemPublic(_Public):
    """One model within a scan."""

    id: int
    model: str
    sha: str | None
    status: str
    check_id: str | None
    error: str | None = Field(
        description="Why the model failed, or was skipped; a model the scan did not get to before it failed says "
        "'not checked: the scan failed: <why>'."
    )
    finished_at: datetime | None


class ScanItemQuery(_Query):
    """Filters of ``GET /scans/{id}/items``."""

    status: Literal["pending", "running", "done", "failed", "skipped"] | None = None
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=100, ge=1, le=500)


class ChangeQuery(_Query):
    """Filters of ``GET /changes``."""

    scan_id: StoredId | None = None
    model: str | None = Field(default=None, max_length=200)
    kind: Literal["new_model", "new_revision", "new_finding", "cleared_finding", "verdict_changed"] | None = None
    cause: Literal["model", "context", "law", "estimator"] | None = None
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=100, ge=1, le=500)


# --- waivers, targets, schedules, tokens ------------------------------------------------


class WaiverCreate(_Request):
    """A reviewed acceptance of one rule's finding for models matching a glob, until a date."""

    rule_id: str = ShortText
    model_pattern: str = ShortText
    reason: str = Field(min_length=1, max_length=2000)
    owner: str = ShortText
    expires: date
    approved_by: str | None = Field(default=None, min_length=1, max_length=200)


class WaiverRevoke(_Request):
    """Why a waiver is withdrawn."""

    reason: str | None = Field(default=None, max_length=2000)


class WaiverPublic(_Public):
    """A waiver and its state."""

    id: int
    rule_id: str
    model_pattern: str
    reason: str
    owner: str
    expires: date
    approved_by: str
    created_by: str
    created_at: datetime
    expired_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None
    state: Literal["active", "expired", "revoked"]


class WaiverQuery(_Query):
    """Filters of ``GET /waivers``."""

    state: Literal["active", "expired", "revoked", "all"] = "active"
    rule_id: str | None = Field(default=None, max_length=200)


class TargetCreate(_Request):
    """Something to watch on the hub; scheduled daily unless ``schedule`` is false."""

    kind: Literal["author", "search", "models"]
    value: str | list[str]
    name: str | None = Field(default=None, min_length=1, max_length=200)
    options: dict[str, Any] | None = None
    schedule: bool = True


class TargetUpdate(_Request):
    """Fields to change (absent: unchanged)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    value: str | list[str] | None = None
    options: dict[str, Any] | None = None
    enabled: bool | None = None


class TargetPublic(_Public):
    """A scan target."""

    id: int
    name: str
    kind: str
    value: str | list[str]
    options: dict[str, Any] | None
    enabled: bool
    created_by: str
    created_at: datetime


class ScheduleCreate(_Request):
    """A periodic task as data: exactly one of ``every_seconds`` and ``crontab`` (UTC); a scan needs its target."""

    model_config = ConfigDict(
        json_schema_extra={
            **exactly_one_of("every_seconds", "crontab"),
            "if": {"properties": {"task": {"const": SCAN_TARGET_TASK}}},
            "then": {"required": ["target_id"], "properties": {"target_id": {"not": {"type": "null"}}}},
        }
    )

    task: Literal["compliance.scans.scan_target", "compliance.scans.reevaluate", "compliance.waivers.expire"]
    target_id: StoredId | None = None
    every_seconds: Interval | None = None
    crontab: str | None = Field(default=None, min_length=1, max_length=100)
    enabled: bool = True


class ScheduleUpdate(_Request):
    """New timing (one of the two) or enabled flag."""

    model_config = ConfigDict(json_schema_extra=at_most_one_of("every_seconds", "crontab"))

    every_seconds: Interval | None = None
    crontab: str | None = Field(default=None, min_length=1, max_length=100)
    enabled: bool | None = None


class SchedulePublic(_Public):
    """A schedule."""

    id: int
    task: str
    target_id: int | None
    every_seconds: int | None
    crontab: str | None
    enabled: bool
    last_run_at: datetime | None
    next_run_at: datetime | None
    created_by: str
    created_at: datetime


class TokenCreate(_Request):
    """A new API token."""

    name: str = ShortText
    role: RoleName


class TokenPublic(_Public):
    """A token as listed (never the secret)."""

    id: int
    name: str
    role: str
    prefix: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenPublic):
    """A new token: ``token`` is shown this once."""

    token: str


class MePublic(_Public):
    """Who the presented token is."""

    name: str
    role: str
    token_id: int


class AuditEventPublic(_Public):
    """One audited change."""

    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    detail: dict[str, Any] | None


class AuditQuery(_Query):
    """Filters of ``GET /audit``."""

    object_type: str | None = Field(default=None, max_length=32)
    object_id: str | None = Field(default=None, max_length=200)
    actor: str | None = Field(default=None, max_length=200)
    action: str | None = Field(default=None, max_length=64)
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=100, ge=1, le=500)


class ErrorPublic(_Public):
    """Every error answer."""

    error: str
    details: list[dict[str, Any]] | None = None


class Health(_Public):
    """``/healthz``."""

    status: Literal["ok", "unavailable"]
    database: str
    broker: str


def page_of(item: type[BaseModel]) -> type[BaseModel]:
    """The paged-list envelope for ``item``."""
    from pydantic import create_model

    return create_model(
        f"{item.__name__}Page",
        __base__=_Public,
        items=(list[item], ...),  # type: ignore[valid-type]
        total=(int, ...),
        page=(int, ...),
        per_page=(int, ...),
        pages=(int, ...),
    )
