"""The overview: how many models sit in each compute band and how far each is from the next threshold."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from flask import render_template
from sqlmodel import col, select

from compliance.services.checks import list_checks, today_utc
from compliance.services.paging import Page
from compliance.services.waivers import count_active
from compliance.storage.tables import CheckRow, CheckStatus, ScanRow, ScanStatus
from web.dashboard.auth import requires
from web.dashboard.blueprint import arg_page, bp
from web.dashboard.registry import exposure
from web.dashboard.state import db
from web.dashboard.thresholds import bands
from web.dashboard.views.models import compute_index, threshold_setup

PER_PAGE = 25


@bp.route("/")
@requires("viewer")
def overview() -> Any:
    """Exposure by band, models nearest their next threshold, work in progress."""
    session = db()
    all_regimes, values = threshold_setup()
    entries = exposure(session, index=compute_index(), values=values)
    counts = Counter(e.position.band.key for e in entries)
    nearest = sorted((e for e in entries if e.position.factor is not None), key=lambda e: (e.position.factor, e.id))
    crossing = [e for e in entries if e.position.crosses]
    number = arg_page()
    start = (number - 1) * PER_PAGE
    near_page = Page(nearest[start : start + PER_PAGE], len(nearest), number, PER_PAGE)
    active = dict(
        session.exec(
            select(CheckRow.status, sa.func.count())
            .where(col(CheckRow.status).in_([CheckStatus.QUEUED, CheckStatus.RUNNING]))
            .group_by(col(CheckRow.status))
        ).all()
    )
    running_scans = session.exec(
        select(sa.func.count())
        .select_from(ScanRow)
        .where(col(ScanRow.status).in_([ScanStatus.QUEUED, ScanStatus.RUNNING]))
    ).one()
    return render_template(
        "dashboard/overview.html",
        regimes=all_regimes,
        bands=bands(values),
        counts=counts,
        total=len(entries),
        near_page=near_page,
        crossing=crossing[:50],
        crossing_total=len(crossing),
        active=active,
        running_scans=int(running_scans),
        waivers=count_active(session, today=today_utc()),
        recent=list_checks(session, page=1, per_page=10).items,
    )
