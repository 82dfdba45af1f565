"""Five-field crontab expressions (minute hour day-of-month month day-of-week), evaluated in UTC.

Fields take ``*``, numbers, ranges ``a-b``, steps ``*/n`` and ``a-b/n``, and lists of those;
day-of-week runs 0-7 with both 0 and 7 meaning Sunday. As in classic cron, when both day fields
are restricted a day matches if either does. ``@hourly``, ``@daily``, ``@weekly``, ``@monthly``
and ``@yearly`` are accepted. Names (``mon``, ``jan``) are not.

Written here rather than borrowed from Celery because the core may not import Celery, and
schedules are data the web process validates too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from compliance.errors import UsageError

_ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
}
_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
# Feb 29 on a given weekday can take 28 years to recur; beyond that an expression never fires.
_HORIZON = timedelta(days=366 * 29)


@dataclass(frozen=True, slots=True)
class Crontab:
    """A parsed expression."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    def day_matches(self, moment: datetime) -> bool:
        """Whether ``moment``'s date matches the two day fields."""
        in_month = moment.day in self.days
        in_week = (moment.weekday() + 1) % 7 in self.weekdays
        if self.any_day and self.any_weekday:
            return True
        if self.any_day:
            return in_week
        if self.any_weekday:
            return in_month
        return in_month or in_week


def parse_crontab(text: str) -> Crontab:
    """Parse an expression; UsageError naming the bad field, or if it can never fire."""
    expression = _ALIASES.get(text.strip().lower(), text.strip())
    parts = expression.split()
    if len(parts) != 5:
        raise UsageError(f"crontab {text!r} must have five fields: minute hour day-of-month month day-of-week")
    sets = [_field(part, name, low, high) for part, (name, low, high) in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in sets[4])
    cron = Crontab(
        text=expression,
        minutes=sets[0],
        hours=sets[1],
        days=sets[2],
        months=sets[3],
        weekdays=weekdays,
        any_day=parts[2] == "*",
        any_weekday=parts[4] == "*",
    )
    next_fire(cron, datetime(2000, 1, 1, tzinfo=UTC))  # raises if it never fires
    return cron


def _field(part: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for item in part.split(","):
        body, _, step_text = item.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if body == "*":
                start, end = low, high
            elif "-" in body:
                a, b = body.split("-", 1)
                start, end = int(a), int(b)
            else:
                start = int(body)
                end = high if step_text else start
        except ValueError:
            raise UsageError(f"crontab {name} field {part!r} is not valid") from None
        if step < 1 or not low <= start <= end <= high:
            raise UsageError(f"crontab {name} field {part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def next_fire(cron: Crontab, after: datetime) -> datetime:
    """The first minute strictly after ``after`` (aware) at which ``cron`` fires, in UTC."""
    moment = after.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    limit = moment + _HORIZON
    while moment < limit:
        if moment.month not in cron.months:
            year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
            moment = moment.replace(year=year, month=month, day=1, hour=0, minute=0)
        elif not cron.day_matches(moment):
            moment = (moment + timedelta(days=1)).replace(hour=0, minute=0)
        elif moment.hour not in cron.hours:
            moment = (moment + timedelta(hours=1)).replace(minute=0)
        elif moment.minute not in cron.minutes:
            moment += timedelta(minutes=1)
        else:
            return moment
    raise UsageError(f"crontab {cron.text!r} never fires")
