"""Reads of evidence items: lists, near duplicates and what fixity checks next."""

from django.conf import settings
from django.db import connection
from django.db.models import F, QuerySet

from evidence.models import (
    EvidenceItem,
)
from evidence.selectors.access import User, restrict_to_user_cases


def evidence_list(*, user: User) -> QuerySet[EvidenceItem]:
    items = EvidenceItem.objects.select_related("case", "duplicate_of", "received_by").prefetch_related(
        "incident_links", "protected_persons"
    )
    return restrict_to_user_cases(items, user=user)


def evidence_near_duplicates(*, item: EvidenceItem) -> list[dict]:
    """Images in the same case whose perceptual hash is within a few bits of this one's."""
    if not item.perceptual_hash:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT id, ern, bit_count(('x' || perceptual_hash)::bit(64) # ('x' || %s)::bit(64)) AS distance
            FROM evidence_evidenceitem
            WHERE case_id = %s AND id <> %s AND perceptual_hash <> ''
              AND bit_count(('x' || perceptual_hash)::bit(64) # ('x' || %s)::bit(64)) <= %s
            ORDER BY distance, id
            """,
            [
                item.perceptual_hash,
                item.case_id,
                item.pk,
                item.perceptual_hash,
                settings.SLID_NEAR_DUPLICATE_MAX_DISTANCE,
            ],
        )
        return [{"id": pk, "ern": ern, "distance_bits": distance} for pk, ern, distance in cursor.fetchall()]


def evidence_fixity_batch_size() -> int:
    """How many archived items one fixity run checks, so that each is checked every SLID_FIXITY_DAYS."""
    archived = EvidenceItem.objects.exclude(archive_key="").count()
    runs_per_period = max(1, settings.SLID_FIXITY_DAYS * 24 * 60 // settings.SLID_FIXITY_RUN_MINUTES)
    return -(-archived // runs_per_period)  # rounded up


def evidence_fixity_due(*, limit: int) -> QuerySet[EvidenceItem]:
    return EvidenceItem.objects.exclude(archive_key="").order_by(F("last_verified_at").asc(nulls_first=True), "pk")[
        :limit
    ]


def evidence_fixity_failures() -> QuerySet[EvidenceItem]:
    return EvidenceItem.objects.filter(fixity_failed_at__isnull=False)
