"""Reads of evidence items: lists, near duplicates and what fixity checks next."""

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import F, Prefetch, QuerySet

from evidence.dates import as_given
from evidence.models import (
    ArchiveCopy,
    EvidenceItem,
    Incident,
)
from evidence.selectors.access import User, restrict_to_user_cases
from evidence.selectors.timestamps import timestamp_tokens_shown


def evidence_list(*, user: User) -> QuerySet[EvidenceItem]:
    """The user's evidence, with what a page shows fetched for the whole page: the case and receiver
    joined, the linked incidents' ids, the witnesses, the timestamp tokens and the copies in one query each
    (near duplicates: see ``evidence_near_duplicates_of_many``)."""
    items = EvidenceItem.objects.select_related("case", "received_by").prefetch_related(
        Prefetch("incidents", queryset=Incident.objects.only("id")),
        "protected_persons",
        Prefetch("timestamps", queryset=timestamp_tokens_shown()),
        Prefetch("copies", queryset=ArchiveCopy.objects.only("id", "evidence_id", "store", "verified_at", "state")),
    )
    return restrict_to_user_cases(items, user=user)


def evidence_search(items: QuerySet[EvidenceItem], *, text: str) -> QuerySet[EvidenceItem]:
    """Items whose title, description, source, file name or extracted metadata hold the words of ``text``
    (web search syntax: "quoted phrases", or, -excluded), in any script; words are matched whole, without
    stemming, so that Ukrainian and English are searched alike."""
    return items.filter(search_document__document=SearchQuery(text, config="simple", search_type="websearch"))


# A person's date and the file's own that differ by more than this are flagged, as a far GPS position is.
CAPTURE_TIME_TOLERANCE = timedelta(days=1)


def captured_at_differs_from_file(item: EvidenceItem) -> dict | None:
    """When the capture time on record differs from the one the file states by more than a day: both, in
    the offsets they were given in, and the difference in hours; else None."""
    if item.captured_at is None or item.file_captured_at is None:
        return None
    difference = abs(item.captured_at - item.file_captured_at)
    if difference <= CAPTURE_TIME_TOLERANCE:
        return None
    return {
        "given": as_given(item.captured_at, item.captured_at_offset),
        "file": as_given(item.file_captured_at, item.file_captured_at_offset),
        "difference_hours": round(difference.total_seconds() / 3600, 1),
    }


def evidence_near_duplicates(*, item: EvidenceItem) -> list[dict]:
    """Images in the same case whose perceptual hash is within a few bits of this one's, nearest first."""
    return evidence_near_duplicates_of_many(items=[item]).get(item.pk, [])


def evidence_near_duplicates_of_many(*, items: Sequence[EvidenceItem]) -> dict[int, list[dict]]:
    """The near duplicates of each of ``items`` (by id), found in one query for all of them
    (a page of a list), each as {"id", "ern", "distance_bits"}, nearest first."""
    found: dict[int, list[dict]] = {item.pk: [] for item in items}
    images = [item.pk for item in items if item.perceptual_hash]
    if not images:
        return found
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT item.id, other.id, other.ern,
                   bit_count(('x' || other.perceptual_hash)::bit(64) # ('x' || item.perceptual_hash)::bit(64))
                       AS distance
            FROM evidence_evidenceitem AS item
            JOIN evidence_evidenceitem AS other
              ON other.case_id = item.case_id AND other.id <> item.id AND other.perceptual_hash <> ''
            WHERE item.id = ANY(%s) AND item.perceptual_hash <> ''
              AND bit_count(('x' || other.perceptual_hash)::bit(64) # ('x' || item.perceptual_hash)::bit(64)) <= %s
            ORDER BY item.id, distance, other.id
            """,
            [images, settings.SLID_NEAR_DUPLICATE_MAX_DISTANCE],
        )
        for item_id, pk, ern, distance in cursor.fetchall():
            found[item_id].append({"id": pk, "ern": ern, "distance_bits": distance})
    return found


def evidence_fixity_batch_size() -> int:
    """How many archived items one fixity run checks, so that each is checked every SLID_FIXITY_DAYS."""
    archived = EvidenceItem.objects.exclude(archive_key="").count()
    runs_per_period = max(1, settings.SLID_FIXITY_DAYS * 24 * 60 // settings.SLID_FIXITY_RUN_MINUTES)
    return -(-archived // runs_per_period)  # rounded up


def evidence_fixity_due(*, limit: int | None, erns: Sequence[str] = ()) -> QuerySet[EvidenceItem]:
    """Archived items (only those ``erns`` if given), the ones checked longest ago first (never
    checked before any); ``limit`` None means all. Ordered by the last *check*, whatever it found,
    so an item whose check fails goes to the back like any other."""
    items = EvidenceItem.objects.exclude(archive_key="")
    if erns:
        items = items.filter(ern__in=erns)
    items = items.order_by(F("last_checked_at").asc(nulls_first=True), "pk")
    return items if limit is None else items[:limit]


def evidence_fixity_failures() -> QuerySet[EvidenceItem]:
    return EvidenceItem.objects.filter(fixity_failed_at__isnull=False)
