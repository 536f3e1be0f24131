"""Moments given as ISO 8601 dates or date-times, as investigators write them."""

import re
from datetime import UTC, datetime, time

from django.utils.dateparse import parse_date, parse_datetime

DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_moment(value: str, *, end_of_day: bool = False) -> datetime:
    """A timezone-aware datetime. A bare date is the day's first moment in UTC, or its last with
    ``end_of_day`` (so that an end date of 2022-03-31 includes that whole day). Naive times are UTC."""
    text = value.strip()
    try:
        if DATE_ONLY.fullmatch(text):
            day = parse_date(text)
            moment = datetime.combine(day, time.max if end_of_day else time.min) if day else None
        else:
            moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(f"{value!r} is not an ISO 8601 date (YYYY-MM-DD) or date-time (YYYY-MM-DDThh:mm[:ss][±hh:mm])")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
