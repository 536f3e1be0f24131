"""Document facts a file states about itself, read from the metadata describe.py extracted (exiftool's JSON
with group names and ``-n``, ffprobe's format): the number of pages, the duration, the author and the date
the document was created. No tool is run here. What exiftool gives for real files (tests/workers/
test_document_facts.py makes them): a PDF ``PDF:PageCount``, ``PDF:Author``, ``PDF:CreateDate``
("2022:03:04 10:15:00+02:00"), and XMP's ``XMP:Author``/``XMP:CreateDate`` when it has XMP; a photo
``EXIF:Artist``, ``XMP:Creator`` (a list); a video ``QuickTime:Duration`` and ``QuickTime:Artist``; audio
``Composite:Duration`` and ``ID3:Artist``. ffprobe's container duration is preferred to exiftool's, which
for MP3 is an estimate from the bit rate."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from workers.capture_time import parse

PAGE_TAGS = ("PDF:PageCount", "XMP:NPages", "FlashPix:Pages", "XML:Pages")
DURATION_TAGS = ("QuickTime:Duration", "Composite:Duration", "Matroska:Duration", "RIFF:Duration", "ASF:PlayDuration")
AUTHOR_TAGS = (
    "PDF:Author", "XMP:Author", "XMP:Creator", "EXIF:Artist", "QuickTime:Artist", "QuickTime:Author", "ID3:Artist",
    "Vorbis:Artist", "FlashPix:Author", "XML:Creator",
)  # fmt: skip
CREATED_TAGS = ("PDF:CreateDate", "XMP:CreateDate", "XML:CreateDate", "FlashPix:CreateDate")
MAX_AUTHOR = 500


@dataclass(frozen=True)
class FileFacts:
    pages: int | None = None
    duration_seconds: Decimal | None = None
    author: str = ""
    created: datetime | None = None  # aware; naive when the file gave no offset
    created_tag: str = ""  # the tag it was read from
    created_written: str = ""  # as the file wrote it
    tags: tuple[str, ...] = ()  # every tag a fact was read from

    def as_details(self) -> dict:
        """For the ``described`` custody entry."""
        return {
            "pages": self.pages,
            "duration_seconds": str(self.duration_seconds) if self.duration_seconds is not None else None,
            "author": self.author or None,
            "created": self.created.isoformat() if self.created else None,
            "created_written": self.created_written or None,
            "tags": list(self.tags),
        }


def document_facts(metadata: dict) -> FileFacts:
    tags = metadata.get("exiftool") if isinstance(metadata.get("exiftool"), dict) else {}
    used: list[str] = []
    pages = _first(tags, PAGE_TAGS, _pages, used)
    duration = _ffprobe_duration(metadata, used)
    if duration is None:
        duration = _first(tags, DURATION_TAGS, _duration, used)
    author = _first(tags, AUTHOR_TAGS, _author, used) or ""
    created = created_tag = created_written = None
    for tag in CREATED_TAGS:
        moment = parse(tags.get(tag))
        if moment is not None:
            created, created_tag, created_written = moment, tag, tags[tag]
            used.append(tag)
            break
    return FileFacts(
        pages=pages, duration_seconds=duration, author=author, created=created, created_tag=created_tag or "",
        created_written=created_written or "", tags=tuple(used),
    )  # fmt: skip


def _first(tags: dict, names: tuple[str, ...], read, used: list[str]):
    for name in names:
        value = read(tags.get(name))
        if value not in (None, ""):
            used.append(name)
            return value
    return None


def _pages(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        pages = int(value)
    except (ValueError, OverflowError):  # OverflowError: JSON's 1e999 is read as infinity
        return None
    return pages if 1 <= pages <= 10_000_000 else None


def _duration(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = Decimal(str(value))
    except InvalidOperation:
        return None
    if not seconds.is_finite() or not 0 <= seconds < Decimal("1e9"):
        return None
    return seconds.quantize(Decimal("0.001"))


def _ffprobe_duration(metadata: dict, used: list[str]) -> Decimal | None:
    summary = metadata.get("summary") if isinstance(metadata.get("summary"), dict) else {}
    seconds = _duration(summary.get("duration_seconds"))
    if seconds is not None:
        used.append("ffprobe format duration")
    return seconds


def _author(value) -> str:
    if isinstance(value, list):
        value = "; ".join(
            str(part).strip() for part in value if isinstance(part, str | int | float) and str(part).strip()
        )
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "").strip()[:MAX_AUTHOR]
