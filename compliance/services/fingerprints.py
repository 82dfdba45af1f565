"""The service's memory of model structures: every inspected model's fingerprint, in the database.

A check or a scan stores the fingerprint its hub inspection produced
(:func:`compliance.hub.lineage.stored_fingerprint`) with its result, once per model and revision
(:func:`record_fingerprints`). :class:`StoredFingerprints` is the
:class:`~compliance.provenance.ports.KnownStore` a hub inspection consults through
:func:`store_inspector`, so a model one process scanned is matched by a check in another, with
the date the service first saw it.

A check reads its model's config.json so that the hyper-parameters are kept; a registry sweep
does not (it would cost a third of the scan's time) and keeps what it read: the hub's parameter
count and class names, and headers and weight hashes when it read them. A later check that
meets such a model of its own size, older and of another publisher, reads that model's config
at the stored commit (:meth:`compliance.hub.lineage.Walker._complete`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from compliance.facts.model import Fact
from compliance.inspection import Inspection
from compliance.provenance.known import KnownModel
from compliance.services.ports import Inspector, hub_inspector
from compliance.settings import Settings
from compliance.storage.db import SessionFactory, insert_ignore, session_scope
from compliance.storage.tables import FingerprintRow, table_of, utcnow

# Rows read per look-up and key (the first seen): enough to tell a rare layout (at most
# DISTINCTIVE_MAX models) from a common one and to find the oldest candidates, without reading the
# thousands of rows a popular base's fine-tunes leave; each key has an index ending in ``id``.
MAX_ROWS = 32
_READ = ("id", "model_ref", "architecture", "model_type", "dims", "parameters", "shapes", "names", "weights",
         "bases", "created", "first_seen", "revision")  # fmt: skip
_COLUMNS = frozenset(FingerprintRow.model_fields)


def record_fingerprints(session: Session, inspections: Iterable[Inspection]) -> int:
    """Store the fingerprints of these inspections (one row per model and revision: a repeated
    check or a rescan at the same commit keeps the first row and its ``first_seen``). Returns
    how many rows were new."""
    now = utcnow()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for inspection in inspections:
        fp = inspection.fingerprint
        if fp:
            values = {k: v for k, v in fp.items() if k in _COLUMNS and k not in ("id", "first_seen")}
            rows.setdefault((values["model_ref"], values["revision"]), {**values, "first_seen": now})
    return insert_ignore(session, FingerprintRow, list(rows.values()), conflict=["model_ref", "revision"])


class StoredFingerprints:
    """The fingerprints in the database, as a :class:`~compliance.provenance.ports.KnownStore`."""

    def __init__(self, session_factory: SessionFactory) -> None:
        self.session_factory = session_factory

    def similar(self, *, total: int | None, layout: str | None, names: str | None, viewer: str) -> list[KnownModel]:
        """The models seen with this parameter count, layout digest or tensor-names digest (the
        first :data:`MAX_ROWS` rows seen for each; the tensor lists are not read)."""
        c = table_of(FingerprintRow).c
        visible = sa.or_(c.viewer == viewer, sa.and_(sa.not_(sa.func.coalesce(c.gated, False)),
                                                      sa.not_(sa.func.coalesce(c.private, False))))  # fmt: skip
        columns = [c[name] for name in _READ]
        found: list[Any] = []
        with session_scope(self.session_factory) as session:
            for column, value in ((c.parameters, total), (c.layout, layout), (c.names, names)):
                if value is not None:
                    query = sa.select(*columns).where(column == value, visible).order_by(c.id).limit(MAX_ROWS)
                    found.extend(session.connection().execute(query).all())
        # One entry per model: the revision the service saw first.
        first: dict[str, Any] = {}
        for row in sorted(found, key=lambda r: r.id):
            first.setdefault(row.model_ref, row)
        return [_known(row) for row in first.values()]


def _known(row: Any) -> KnownModel:
    dims = {str(k): v for k, v in (row.dims or {}).items() if isinstance(v, int)}
    return KnownModel(
        row.model_ref,
        dims,
        total=row.parameters,
        shapes=row.shapes,
        architecture=row.architecture,
        model_type=row.model_type,
        since=row.created[:10] if row.created else None,
        bases=tuple(row.bases or ()),
        weights=tuple(row.weights or ()),
        names=row.names,
        source="service",
        seen=_day(row.first_seen),
        revision=row.revision,
    )


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def store_inspector(session_factory: SessionFactory, *, sweep: bool = False) -> Inspector:
    """The hub :class:`~compliance.services.ports.Inspector` that also compares each model with the
    fingerprints in the database (``sweep``: a registry scan's, which does not fill the hub cache)."""
    return partial(_inspect, StoredFingerprints(session_factory), sweep)


def _inspect(
    store: StoredFingerprints,
    sweep: bool,
    model_id: str,
    *,
    revision: str | None,
    declared: Sequence[Fact],
    settings: Settings,
    use_exact: bool,
) -> Inspection:
    from compliance.services.ports import sweep_inspector

    inspect = sweep_inspector if sweep else hub_inspector
    return inspect(model_id, revision=revision, declared=declared, settings=settings, use_exact=use_exact,
                   known_store=store)  # fmt: skip
