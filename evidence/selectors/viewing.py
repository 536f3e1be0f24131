"""Reads for showing evidence in the browser: what a user blurs, how a file can be shown, a list's filters
and the file's metadata for a person to read."""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from evidence.models import EvidenceItem, MediaBlur, UserPreferences
from evidence.selectors.access import User

# The media types a browser shows in the page, and how. Anything else (HTML, SVG, archives, office
# files…) is never shown from Slid's origin: a browser would run the script an HTML or SVG file holds.
VIEWERS: dict[str, str] = {
    **{media_type: "image" for media_type in (
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/bmp",
    )},
    **{media_type: "video" for media_type in ("video/mp4", "video/webm", "video/ogg", "video/quicktime")},
    **{media_type: "audio" for media_type in (
        "audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/ogg", "audio/wav", "audio/x-wav", "audio/webm",
        "audio/flac", "audio/x-flac", "audio/aac",
    )},
    "application/pdf": "pdf",
}  # fmt: skip


def user_media_blur(*, user: User) -> str:
    """The user's choice of what to blur (MediaBlur); the default for one who never chose."""
    if not user.is_authenticated:
        return MediaBlur.ALWAYS
    chosen = UserPreferences.objects.filter(user=user).values_list("media_blur", flat=True).first()
    return chosen or MediaBlur.GRAPHIC


def evidence_shown_blurred(*, item: EvidenceItem, media_blur: str) -> bool:
    """Whether the item is shown blurred, greyscale and muted until the viewer chooses to see it."""
    if media_blur == MediaBlur.NEVER:
        return False
    return media_blur == MediaBlur.ALWAYS or item.graphic


def evidence_viewer(*, item: EvidenceItem) -> str | None:
    """How the page shows the item's archived original ("image", "video", "audio", "pdf"), or None."""
    if not item.archive_key:
        return None
    return VIEWERS.get(item.media_type.split(";")[0].strip().lower())


def evidence_search(
    items: QuerySet[EvidenceItem],
    *,
    statuses: Sequence[str] = (),
    kinds: Sequence[str] = (),
    incident: int | None = None,
    text: str = "",
) -> QuerySet[EvidenceItem]:
    """``items`` narrowed as the API's evidence filters narrow them (any of the statuses, any of the kinds,
    linked to the incident), and to those whose ERN, title, description, file name or source hold ``text``."""
    if statuses:
        items = items.filter(status__in=statuses)
    if kinds:
        items = items.filter(kind__in=kinds)
    if incident is not None:
        items = items.filter(incident_links__incident_id=incident)
    text = text.replace("\x00", "").strip()
    if text:
        items = items.filter(
            Q(ern__icontains=text)
            | Q(title__icontains=text)
            | Q(description__icontains=text)
            | Q(original_filename__icontains=text)
            | Q(source__icontains=text)
        )
    return items


@dataclass(frozen=True)
class MetadataGroup:
    name: str
    tags: list[tuple[str, str]]


# exiftool's and ffprobe's values can be long (a thumbnail's bytes, a maker note): a page shows this much.
METADATA_VALUE_CHARS = 500
# What exiftool says about Slid's own copy of the file (its name and times on the worker's disk), not about
# the evidence: kept in the metadata as read, left out of what a person is shown as the file's.
SERVER_COPY_TAGS = frozenset({
    "File:FileName", "File:FileAccessDate", "File:FileModifyDate", "File:FileInodeChangeDate",
    "File:FilePermissions", "File:Directory",
})  # fmt: skip
WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def readable_metadata(metadata: dict) -> list[MetadataGroup]:
    """What exiftool (``-G``: "EXIF:DateTimeOriginal") and ffprobe found, for a person to read: the tags by
    group, each name in words ("Date Time Original"), each value as text; the media summary first."""
    groups: dict[str, list[tuple[str, str]]] = {}
    summary = metadata.get("summary")
    if isinstance(summary, dict):
        groups[gettext("Media")] = [(_words(str(name)), _text(value)) for name, value in summary.items()]
    tags = metadata.get("exiftool")
    if isinstance(tags, dict):
        for name, value in tags.items():
            if name in SERVER_COPY_TAGS:
                continue
            group, _, tag = str(name).rpartition(":")
            groups.setdefault(group or gettext("Other"), []).append((_words(tag), _text(value)))
    return [MetadataGroup(name, tags) for name, tags in groups.items()]


def _words(name: str) -> str:
    return WORD_START.sub(" ", name).replace("_", " ").strip()


def _text(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= METADATA_VALUE_CHARS else text[:METADATA_VALUE_CHARS] + "…"
