"""Crontab expressions, evaluated in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from compliance.errors import UsageError
from compliance.services.cron import next_fire, parse_crontab

T0 = datetime(2026, 11, 21, 10, 30, 15, tzinfo=UTC)  # a Saturday


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("* * * * *", datetime(2026, 11, 21, 10, 31, tzinfo=UTC)),
        ("0 * * * *", datetime(2026, 11, 21, 11, 0, tzinfo=UTC)),
        ("@daily", datetime(2026, 11, 22, 0, 0, tzinfo=UTC)),
        ("*/20 9-17 * * 1-5", datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
        ("30 2 1 * *", datetime(2026, 12, 1, 2, 30, tzinfo=UTC)),
        ("0 0 * * 7", datetime(2026, 11, 22, 0, 0, tzinfo=UTC)),  # 7 is Sunday, like 0
        ("0 12 25 12 *", datetime(2026, 12, 25, 12, 0, tzinfo=UTC)),
        ("0 0 13 * 5", datetime(2026, 11, 27, 0, 0, tzinfo=UTC)),  # the 13th OR a Friday, as cron does
        ("0 0 29 2 *", datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),
        ("15,45 10 * * *", datetime(2026, 11, 21, 10, 45, tzinfo=UTC)),
    ],
)
def test_next_fire(expression: str, expected: datetime) -> None:
    assert next_fire(parse_crontab(expression), T0) == expected


def test_next_fire_is_strictly_after_and_converts_to_utc() -> None:
    cron = parse_crontab("30 10 * * *")
    assert next_fire(cron, datetime(2026, 11, 21, 10, 30, tzinfo=UTC)) == datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
    tokyo = timezone(timedelta(hours=9))
    assert next_fire(cron, datetime(2026, 11, 21, 19, 0, tzinfo=tokyo)) == datetime(2026, 11, 21, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "five fields"),
        ("61 * * * *", "minute field '61' is outside 0-59"),
        ("* * * 13 *", "month"),
        ("*/0 * * * *", "outside"),
        ("a * * * *", "not valid"),
        ("0 0 30 2 *", "never fires"),
        ("5-1 * * * *", "outside"),
    ],
)
def test_bad_expressions_are_refused(expression: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_crontab(expression)
