"""The periods an analysis counts by (day, ISO week, month, year) and their labels.

>>> period_of(dt.date(2026, 2, 19), "week")
'2026-W08'
>>> period_start("2026-W08", "week")
datetime.date(2026, 2, 16)
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

Period = Literal["day", "week", "month", "year"]
#: The valid periods, shortest first: the one list the API, the CLI and the charts offer.
PERIODS: Final[tuple[Period, ...]] = ("day", "week", "month", "year")


def as_period(by: str) -> Period:
    """``by`` as a period, or a ValueError if it is not one of :data:`PERIODS`.

    >>> as_period("decade")
    Traceback (most recent call last):
    ValueError: by: 'decade' is not one of day, week, month, year
    """
    for period in PERIODS:
        if by == period:
            return period
    raise ValueError(f"by: {by!r} is not one of {', '.join(PERIODS)}")


def period_of(day: dt.date, by: Period) -> str:
    """The label of the period ``day`` falls in: ``2026-02-19``, ``2026-W08`` (ISO
    8601 week), ``2026-02``, ``2026``."""
    if by == "day":
        return day.isoformat()
    if by == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if by == "month":
        return f"{day.year}-{day.month:02d}"
    return str(day.year)


def period_start(label: str, by: Period) -> dt.date:
    """The first day of a period, from its label."""
    if by == "day":
        return dt.date.fromisoformat(label)
    if by == "week":
        year, week = label.split("-W")
        return dt.date.fromisocalendar(int(year), int(week), 1)
    if by == "month":
        return dt.date.fromisoformat(f"{label}-01")
    return dt.date(int(label), 1, 1)
