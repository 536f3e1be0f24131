"""When a file says it was captured, read from the metadata that describe.py extracted: exiftool's JSON
(group names, ``-n``) and ffprobe's container tags. No tool is run here.

In order of preference:
1. EXIF ``DateTimeOriginal``, with ``OffsetTimeOriginal`` when the camera wrote one (source ``exif``).
   Without it the time is the camera's local clock: the moment is returned naive, and the service
   places it in the case's time zone (source ``exif_case_time_zone``);
2. QuickTime ``CreationDate`` (written by phones, local time with its offset), then QuickTime
   ``CreateDate``, which the QuickTime specification keeps in UTC (source ``quicktime``);
3. the container's ``creation_time`` as ffprobe reads it, for formats exiftool has no QuickTime tags
   for, such as Matroska and WebM (source ``ffprobe``; UTC unless it carries an offset).

A date that cannot be a real one (``0000:00:00 00:00:00``, which cameras write when the clock was never
set, a 30th of February, an offset beyond ±14 hours) is passed over, never guessed at."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from evidence.dates import FIRST_DAY, LAST_DAY
from evidence.models.items import CapturedAtSource

# "2022:03:04 10:15:30", "2022-03-04T10:15:30.000000Z", "2022:03:04 10:15:30+02:00"
MOMENT = re.compile(
    r"(?P<date>\d{4}[:-]\d{2}[:-]\d{2})[ T](?P<time>\d{2}:\d{2}:\d{2})(?:\.\d+)?"
    r"(?:(?P<utc>Z)|(?P<offset>[+-]\d{2}:?\d{2}))?"
)
OFFSET = re.compile(r"(?P<sign>[+-])(?P<hours>\d{2}):?(?P<minutes>\d{2})")


@dataclass(frozen=True)
class CaptureTime:
    moment: datetime  # aware; naive for a camera's local time with no offset recorded
    source: str  # a CapturedAtSource value
    tags: str  # the tags it was read from, e.g. "EXIF:DateTimeOriginal, EXIF:OffsetTimeOriginal"
    written: str  # the value as the file wrote it


def capture_time(metadata: dict) -> CaptureTime | None:
    exif = metadata.get("exiftool") if isinstance(metadata.get("exiftool"), dict) else {}
    return _exif(exif) or _quicktime(exif) or _ffprobe(metadata.get("ffprobe"))


def _exif(tags: dict) -> CaptureTime | None:
    written = tags.get("EXIF:DateTimeOriginal")
    moment = parse(written)
    if moment is None:
        return None
    offset = tags.get("EXIF:OffsetTimeOriginal")
    zone = parse_offset(offset) if moment.tzinfo is None else None
    if zone is not None:
        return CaptureTime(
            moment.replace(tzinfo=zone),
            CapturedAtSource.EXIF,
            "EXIF:DateTimeOriginal, EXIF:OffsetTimeOriginal",
            f"{written} {offset}",
        )
    source = CapturedAtSource.EXIF if moment.tzinfo else CapturedAtSource.EXIF_CASE_TIME_ZONE
    return CaptureTime(moment, source, "EXIF:DateTimeOriginal", written)


def _quicktime(tags: dict) -> CaptureTime | None:
    for tag, default_zone in (("QuickTime:CreationDate", None), ("QuickTime:CreateDate", UTC)):
        moment = parse(tags.get(tag))
        if moment is None or (moment.tzinfo is None and default_zone is None):
            continue  # a CreationDate without an offset says nothing certain; CreateDate is UTC by the spec
        moment = moment if moment.tzinfo else moment.replace(tzinfo=default_zone)
        return CaptureTime(moment, CapturedAtSource.QUICKTIME, tag, tags[tag])
    return None


def _ffprobe(probe) -> CaptureTime | None:
    tags = probe.get("format", {}).get("tags", {}) if isinstance(probe, dict) else {}
    if not isinstance(tags, dict):
        return None
    written = tags.get("creation_time")
    moment = parse(written)
    if moment is None:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return CaptureTime(moment, CapturedAtSource.FFPROBE, "ffprobe format creation_time", written)


def parse(value) -> datetime | None:
    """A date-time as metadata writes it (EXIF's colons or ISO 8601), aware if it carried an offset or Z."""
    if not isinstance(value, str):
        return None
    match = MOMENT.fullmatch(value.strip())
    if match is None:
        return None
    try:
        moment = datetime.fromisoformat(f"{match['date'].replace(':', '-')}T{match['time']}")
    except ValueError:
        return None
    if not FIRST_DAY <= moment.date() <= LAST_DAY:
        return None
    if match["utc"]:
        return moment.replace(tzinfo=UTC)
    if match["offset"]:
        zone = parse_offset(match["offset"])
        return moment.replace(tzinfo=zone) if zone is not None else None
    return moment


def parse_offset(value) -> timezone | None:
    """A UTC offset such as "+02:00"; None for anything else (EXIF leaves blanks when it has none)."""
    match = OFFSET.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    hours, minutes = int(match["hours"]), int(match["minutes"])
    if hours > 14 or minutes >= 60:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if match["sign"] == "-" else delta)
