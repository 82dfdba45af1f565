"""The models table: the registry (models the scans watch) with filters, sorting and paging.

Verdict, regime, organisation and search are SQL conditions; the threshold band and sorting
by compute need each model's training compute, which lives inside its latest check's stored
facts (compressed JSON). :class:`ComputeIndex` reads those once per check id and keeps them:
a finished check's facts never change, so the cache needs no invalidation, and a page of
50 models costs at most 50 small reads the first time and none after.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from compliance.services.paging import Page, page_bounds
from compliance.storage.tables import CheckDataRow, CheckRow, FindingRow, ModelRow
from web.dashboard.thresholds import COMPUTE_FACT, Compute, Position, band_index, bands, position

SORTS = {
    "model": "model id",
    "-seen": "last seen, newest first",
    "verdict": "verdict",
    "-compute": "compute, largest first",
    "compute": "compute, smallest first",
    "distance": "closest to the next threshold",
}
VERDICTS = ("fail", "inconclusive", "pass", "unchecked")
_BATCH = 500


@dataclass(frozen=True, slots=True)
class ModelFilters:
    """What the models table shows."""

    q: str = ""
    verdict: str = ""
    regime: str = ""
    band: str = ""
    org: str = ""
    sort: str = "model"
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One row of the table."""

    id: str
    author: str | None
    last_seen: datetime | None
    check_id: str | None
    outcome: str | None
    compute: Compute
    position: Position


class ComputeIndex:
    """Training compute by check id, read from stored facts and kept (bounded, least recently used)."""

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self._data: OrderedDict[str, Compute] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, session: Session, check_ids: Iterable[str]) -> dict[str, Compute]:
        """Compute for each id (unknown for a check without stored facts)."""
        wanted = [c for c in dict.fromkeys(check_ids) if c]
        with self._lock:
            found = {c: self._data[c] for c in wanted if c in self._data}
        missing = [c for c in wanted if c not in found]
        for start in range(0, len(missing), _BATCH):
            chunk = missing[start : start + _BATCH]
            rows = session.exec(
                select(CheckDataRow.check_id, CheckDataRow.facts).where(col(CheckDataRow.check_id).in_(chunk))
            ).all()
            loaded = {cid: Compute.from_fact((facts or {}).get(COMPUTE_FACT)) for cid, facts in rows}
            for cid in chunk:
                found[cid] = loaded.get(cid, Compute(None, None, None))
            with self._lock:
                for cid in chunk:
                    if cid in loaded:  # an unfinished check has no facts yet: do not remember that
                        self._data[cid] = loaded[cid]
                while len(self._data) > self.limit:
                    self._data.popitem(last=False)
        return found


def _columns() -> Any:
    return sa.select(
        col(ModelRow.id), col(ModelRow.author), col(ModelRow.last_seen), col(ModelRow.latest_check_id),
        col(CheckRow.outcome),
    )  # fmt: skip


def _conditions(f: ModelFilters) -> list[Any]:
    conditions: list[Any] = []
    if f.q:
        pattern = "%" + f.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(sa.func.lower(col(ModelRow.id)).like(pattern, escape="\\"))
    if f.org:
        conditions.append(col(ModelRow.author) == f.org)
    if f.verdict == "unchecked":
        conditions.append(col(ModelRow.latest_check_id).is_(None))
    elif f.verdict:
        conditions.append(col(CheckRow.outcome) == f.verdict)
    if f.regime:
        conditions.append(
            sa.exists().where(
                col(FindingRow.check_id) == col(ModelRow.latest_check_id),
                col(FindingRow.ruleset) == f.regime,
                col(FindingRow.verdict).in_(["triggered", "uncertain"]),
            )
        )
    return conditions


def list_models(
    session: Session, filters: ModelFilters, *, index: ComputeIndex, values: Sequence[float]
) -> Page[ModelEntry]:
    """One page of the registry under ``filters``; ``values`` are the compute thresholds."""
    offset, limit = page_bounds(filters.page, filters.per_page)
    base = (
        _columns()
        .select_from(ModelRow)
        .outerjoin(CheckRow, col(CheckRow.id) == col(ModelRow.latest_check_id))
        .where(*_conditions(filters))
    )
    needs_compute = bool(filters.band) or filters.sort in ("compute", "-compute", "distance")
    if not needs_compute:
        orders: dict[str, list[Any]] = {
            "-seen": [col(ModelRow.last_seen).desc(), col(ModelRow.id)],
            "verdict": [col(CheckRow.outcome), col(ModelRow.id)],
        }
        order = orders.get(filters.sort, [col(ModelRow.id)])
        total = session.exec(select(sa.func.count()).select_from(base.subquery())).one()
        rows = session.exec(base.order_by(*order).offset(offset).limit(limit)).all()
        return Page(_entries(session, rows, index, values), int(total), filters.page, filters.per_page)
    # Band and distance for every matching model, but entries (and their objects) for one page only:
    # the registry can hold thousands of models and this path runs per request.
    rows = session.exec(base.order_by(col(ModelRow.id))).all()
    computes = index.get_many(session, [r[3] for r in rows if r[3]])
    cut = sorted(values)
    keyed = [(row, computes.get(row[3], UNKNOWN) if row[3] else UNKNOWN) for row in rows]
    if filters.band:
        keyed = [(row, c) for row, c in keyed if band_key(c, cut) == filters.band]
    if filters.sort in ("compute", "-compute"):
        known = [item for item in keyed if item[1].point is not None]
        known.sort(key=lambda item: item[1].point or 0.0, reverse=filters.sort == "-compute")
        keyed = known + [item for item in keyed if item[1].point is None]
    elif filters.sort == "distance":
        keyed.sort(key=lambda item: _distance_key(item[1], cut, item[0][0]))
    chosen = keyed[offset : offset + limit]
    entries = [ModelEntry(r[0], r[1], r[2], r[3], r[4], c, position(c, cut)) for r, c in chosen]
    return Page(entries, len(keyed), filters.page, filters.per_page)


UNKNOWN = Compute(None, None, None)


def band_key(compute: Compute, cut: Sequence[float]) -> str:
    """The key of the band ``compute`` falls in (``cut`` ascending), as :func:`position` decides it."""
    index = band_index(compute, cut)
    return "unknown" if index is None else bands(cut)[index].key


def _distance_key(compute: Compute, cut: Sequence[float], model_id: str) -> tuple[bool, float, str]:
    point = compute.point
    if point is None or band_index(compute, cut) is None:
        return (True, 0.0, model_id)
    at = bisect.bisect_left(cut, point)
    return (at >= len(cut), cut[at] / point if at < len(cut) else 0.0, model_id)


def _entries(session: Session, rows: Sequence[Any], index: ComputeIndex, values: Sequence[float]) -> list[ModelEntry]:
    computes = index.get_many(session, [r[3] for r in rows if r[3]])
    out = []
    for model_id, author, last_seen, check_id, outcome in rows:
        compute = computes.get(check_id, Compute(None, None, None)) if check_id else Compute(None, None, None)
        out.append(ModelEntry(model_id, author, last_seen, check_id, outcome, compute, position(compute, values)))
    return out


def organisations(session: Session, limit: int = 500) -> list[str]:
    """Authors in the registry, for the organisation filter's suggestions."""
    rows = session.exec(
        select(ModelRow.author)
        .where(col(ModelRow.author).is_not(None))
        .distinct()
        .order_by(col(ModelRow.author))
        .limit(limit)
    ).all()
    return [r for r in rows if r]


def exposure(session: Session, *, index: ComputeIndex, values: Sequence[float]) -> list[ModelEntry]:
    """Every registry model with its compute position (for the overview)."""
    rows = session.exec(
        _columns()
        .select_from(ModelRow)
        .outerjoin(CheckRow, col(CheckRow.id) == col(ModelRow.latest_check_id))
        .order_by(col(ModelRow.id))
    ).all()
    return _entries(session, rows, index, values)
