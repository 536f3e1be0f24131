"""Moments given as ISO 8601 dates or date-times, as investigators write them.

A moment is read in two steps, because what a date means depends on the case it is for:
``parse_moment`` reads the text (a bare date stays a ``date``, a date-time without an offset stays
naive), and ``resolve_moment`` places it in the case's time zone once the case is known. So in a
case kept in Europe/Kyiv, 2022-03-04 is the day from 2022-03-04T00:00+02:00 (2022-03-03T22:00Z) to
the last moment before 2022-03-05T00:00+02:00, and 2022-03-04T10:15 is 10:15 in Kyiv."""

import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from datetime import timezone as dt_timezone

from django.utils.dateparse import parse_date, parse_datetime

DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")

# A date or a date-time as written: aware when it had an offset, naive when it had none.
Moment = date | datetime

# The days a moment may fall on: one day inside Python's (and so Django's) range at either end, so that any
# offset or time zone (under a day) and the end of a day can be applied without leaving it.
FIRST_DAY, LAST_DAY = date(1, 1, 2), date(9999, 12, 30)


def parse_moment(value: str) -> Moment:
    """A ``date`` for a bare date (YYYY-MM-DD), else a ``datetime`` (naive when written without an offset).
    Raises ValueError with the reason."""
    text = value.strip()
    moment: Moment | None
    try:
        moment = parse_date(text) if DATE_ONLY.fullmatch(text) else parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(f"{value!r} is not an ISO 8601 date (YYYY-MM-DD) or date-time (YYYY-MM-DDThh:mm[:ss][±hh:mm])")
    day = moment.date() if isinstance(moment, datetime) else moment
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{value!r} is out of range: dates from {FIRST_DAY} to {LAST_DAY} are accepted")
    return moment


def needs_time_zone(moment: Moment) -> bool:
    """Whether the moment means something only once a time zone is known (a bare date or a naive time)."""
    return not isinstance(moment, datetime) or moment.tzinfo is None


def resolve_moment(moment: Moment, *, time_zone: str, end_of_day: bool = False) -> datetime:
    """An aware datetime (in UTC). A bare date is that day in ``time_zone``: its first moment, or with
    ``end_of_day`` its last (so that an end date of 2022-03-31 includes that whole day). A date-time
    without an offset is a wall-clock time in ``time_zone``; one with an offset is kept as it is."""
    zone = zoneinfo.ZoneInfo(time_zone)
    if isinstance(moment, datetime):
        return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)
    if end_of_day:
        # The moment before the next day begins, so that a day of 23 or 25 hours ends where it ends.
        return day_start(moment + timedelta(days=1), zone) - timedelta(microseconds=1)
    return day_start(moment, zone)


def day_start(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    """The first moment of ``day`` in ``zone``, in UTC. Where the clocks jump forward at midnight the
    day begins at 01:00, which is where 00:00 by the old offset falls (zoneinfo's fold=0)."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class GivenMoment:
    """A moment placed in time, with how it was given: PostgreSQL keeps the moment, not its offset."""

    at: datetime  # in UTC
    offset_minutes: int  # east of UTC, as written, or as the time zone had it then
    time_zone: str  # the time zone a date or a time without an offset was read in; "" when it had an offset


def place_moment(moment: Moment, *, time_zone: str, end_of_day: bool = False) -> GivenMoment:
    """``resolve_moment``, keeping the offset the moment was written with (or the one ``time_zone`` had then)."""
    at = resolve_moment(moment, time_zone=time_zone, end_of_day=end_of_day)
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        return GivenMoment(at, offset_minutes(moment), "")
    return GivenMoment(at, offset_minutes(at.astimezone(zoneinfo.ZoneInfo(time_zone))), time_zone)


def offset_minutes(moment: datetime) -> int:
    offset = moment.utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)


def as_given(at: datetime | None, offset: int | None) -> datetime | None:
    """The moment shown in the offset it was given in (in UTC when that is not known)."""
    if at is None:
        return None
    return at.astimezone(dt_timezone(timedelta(minutes=offset or 0)))


def latest_of_day_given(at: datetime, time_zone: str) -> datetime:
    """The last moment a moment can stand for: for a bare date (read in ``time_zone`` at its first moment),
    the end of that day; anything else is itself. A time of exactly midnight given without an offset reads
    as the whole day, which only ever makes a date check more lenient."""
    if not time_zone:
        return at
    local = at.astimezone(zoneinfo.ZoneInfo(time_zone))
    if local.time() != time.min:
        return at
    return resolve_moment(local.date(), time_zone=time_zone, end_of_day=True)
