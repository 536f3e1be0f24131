"""The evidence state machine: every change of an item's status, guarded by the worker's claim."""

import json
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.geos import Point
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from evidence.agents import Agent
from evidence.errors import DomainError
from evidence.models import (
    Case,
    CustodyEvent,
    EvidenceItem,
    EvidenceStatus,
    Outcome,
)
from evidence.services.audit import audit_record
from evidence.services.custody import custody_append
from evidence.services.intake import record_incident_distances
from evidence.services.queue import evidence_enqueue_processing


def evidence_claim(*, item_id: int) -> tuple[EvidenceItem, uuid.UUID] | None:
    """Claims an item for processing with one conditional UPDATE, so only one worker proceeds: an
    item just received, or one whose earlier claim is so old that its worker must be gone."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.SLID_PROCESSING_STALE_SECONDS)
    token = uuid.uuid4()
    claimed = (
        EvidenceItem.objects.filter(pk=item_id)
        .filter(Q(status=EvidenceStatus.RECEIVED) | Q(status=EvidenceStatus.PROCESSING, claimed_at__lt=stale))
        .update(status=EvidenceStatus.PROCESSING, claimed_at=now, claim_token=token, attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return None
    return EvidenceItem.objects.select_related("case").get(pk=item_id), token


@transaction.atomic
def evidence_release_claim(*, item_id: int, token: uuid.UUID) -> None:
    """Gives a claimed item back (before a retry), unless another worker has claimed it since."""
    EvidenceItem.objects.filter(pk=item_id, claim_token=token, status=EvidenceStatus.PROCESSING).update(
        status=EvidenceStatus.RECEIVED, claimed_at=None, claim_token=None
    )


@transaction.atomic
def evidence_record_hashes(*, item: EvidenceItem, agent: Agent, size: int, hexdigests: dict[str, str]) -> EvidenceItem:
    """Records the digests (once: the database refuses to change them) and decides whether the item
    is corrupt (the submitter's hash differs) or a duplicate of an earlier item in the case."""
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    sha256 = hexdigests["sha256"]
    if item.sha256 is None:
        item.sha256, item.md5, item.size_bytes, item.digests = sha256, hexdigests.get("md5"), size, hexdigests
        item.save(update_fields=["sha256", "md5", "size_bytes", "digests"])
    elif item.sha256 != sha256:
        # A second pass over the same intake file disagrees with the first: the stored bytes changed.
        raise DomainError(f"{item.ern}: the intake copy changed between two hashing passes.")
    custody_append(
        item=item,
        event_type=CustodyEvent.HASHED,
        agent=agent,
        detail=f"{size} bytes; " + "; ".join(f"{name} {value}" for name, value in sorted(hexdigests.items())),
        details={"size_bytes": size, "digests": hexdigests},
    )
    if item.submitted_sha256 and item.submitted_sha256.lower() != sha256:
        item.status = EvidenceStatus.CORRUPT
        item.status_reason = f"The submitter's SHA-256 {item.submitted_sha256} differs from the received {sha256}."
        item.save(update_fields=["status", "status_reason"])
        return item
    # Lock the case while looking, so two copies processed at once cannot both be "the first".
    Case.objects.select_for_update().filter(pk=item.case_id).values_list("pk", flat=True).get()
    original = (
        EvidenceItem.objects.filter(case_id=item.case_id, sha256=sha256)
        .exclude(pk=item.pk)
        .exclude(status__in=[EvidenceStatus.DUPLICATE, EvidenceStatus.CORRUPT])
        .order_by("received_at", "pk")
        .first()
    )
    if original is not None:
        item.status, item.duplicate_of = EvidenceStatus.DUPLICATE, original
        item.status_reason = f"Same SHA-256 as {original.ern}; the file is kept once."
        item.save(update_fields=["status", "duplicate_of", "status_reason"])
        custody_append(
            item=item,
            event_type=CustodyEvent.DUPLICATE_FOUND,
            agent=agent,
            detail=f"Identical to {original.ern}; not archived a second time",
            details={"duplicate_of": original.ern, "archive_key": original.archive_key},
        )
    return item


@transaction.atomic
def evidence_record_identification(
    *, item: EvidenceItem, agent: Agent, media_type: str, expected: str | None, mismatch: bool, description: str
) -> None:
    EvidenceItem.objects.filter(pk=item.pk).update(media_type=media_type, media_type_mismatch=mismatch)
    item.media_type, item.media_type_mismatch = media_type, mismatch
    custody_append(
        item=item,
        event_type=CustodyEvent.IDENTIFIED,
        agent=agent,
        outcome=Outcome.WARNING if mismatch else Outcome.SUCCESS,
        detail=(
            f"Content is {media_type}, but the name suggests {expected}" if mismatch else f"Content is {media_type}"
        ),
        details={"media_type": media_type, "expected_from_name": expected, "libmagic": description},
    )


@transaction.atomic
def evidence_record_description(
    *,
    item: EvidenceItem,
    agent: Agent,
    metadata: dict,
    errors: list[str],
    gps: tuple[float, float] | None,
    perceptual_hash: str | None,
) -> None:
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    item.metadata = json.loads(json.dumps(metadata, default=str).replace("\\u0000", ""))
    item.metadata_error = "; ".join(errors)
    item.captured_location = Point(*gps, srid=4326) if gps else None
    item.perceptual_hash = perceptual_hash or ""
    item.save(update_fields=["metadata", "metadata_error", "captured_location", "perceptual_hash"])
    if gps:
        record_incident_distances(item)
    custody_append(
        item=item,
        event_type=CustodyEvent.DESCRIBED,
        agent=agent,
        outcome=Outcome.WARNING if errors else Outcome.SUCCESS,
        detail="; ".join(errors) or "Metadata extracted",
        details={"gps": gps, "perceptual_hash": perceptual_hash, "tools": sorted(metadata)},
    )


@transaction.atomic
def evidence_record_archived(
    *, item: EvidenceItem, agent: Agent, token: uuid.UUID, archive_key: str, verified_sha256: str, stored_now: bool
) -> bool:
    """Marks the item archived once its archived copy was read back and matched; False when
    another worker has claimed the item since (it will finish the job)."""
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    if verified_sha256 != item.sha256:
        raise DomainError(f"{item.ern}: the archived copy's SHA-256 {verified_sha256} is not {item.sha256}.")
    if item.claim_token != token:
        return False
    now = timezone.now()
    custody_append(
        item=item,
        event_type=CustodyEvent.ARCHIVED,
        agent=agent,
        detail=f"Stored write-once as {archive_key}" if stored_now else f"Already in the archive as {archive_key}",
        details={"archive_key": archive_key, "written": stored_now},
    )
    custody_append(
        item=item,
        event_type=CustodyEvent.VERIFIED,
        agent=agent,
        detail=f"Archived copy read back: SHA-256 {verified_sha256} matches",
        details={"archive_key": archive_key, "sha256": verified_sha256},
    )
    item.archive_key, item.archived_at, item.last_verified_at = archive_key, now, now
    if item.status == EvidenceStatus.PROCESSING:
        item.status = EvidenceStatus.ARCHIVED
    item.save(update_fields=["archive_key", "archived_at", "last_verified_at", "status"])
    return True


@transaction.atomic
def evidence_finish_intake(*, item: EvidenceItem) -> None:
    """Removes the intake copy, once the archive holds the bytes (or the item is a duplicate)."""
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    if item.intake_key:
        storages["intake"].delete(item.intake_key)
        item.intake_key = ""
        item.claim_token = None
        item.save(update_fields=["intake_key", "claim_token"])


@transaction.atomic
def evidence_mark_failed(*, item_id: int, agent: Agent, reason: str) -> None:
    item = EvidenceItem.objects.select_for_update().get(pk=item_id)
    if item.status != EvidenceStatus.PROCESSING:
        return
    item.status, item.status_reason, item.claim_token = EvidenceStatus.FAILED, reason[:2000], None
    item.save(update_fields=["status", "status_reason", "claim_token"])
    custody_append(item=item, event_type=CustodyEvent.FAILED, agent=agent, outcome=Outcome.FAILURE, detail=reason)


@transaction.atomic
def evidence_retry(*, actor: AbstractBaseUser, item: EvidenceItem) -> EvidenceItem:
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    if item.status != EvidenceStatus.FAILED:
        raise DomainError(f"Only failed items are retried; {item.ern} is {item.status}.", field="status")
    item.status, item.status_reason, item.claimed_at = EvidenceStatus.RECEIVED, "", None
    item.save(update_fields=["status", "status_reason", "claimed_at"])
    audit_record(actor=actor, case=item.case, action="evidence.retry", target=item.ern)
    transaction.on_commit(lambda: evidence_enqueue_processing(item.pk))
    return item


def evidence_sweep_stuck() -> list[int]:
    """Re-enqueues items left waiting: received but never picked up (the broker was down), or
    claimed by a worker that has not finished in time (it was killed). Returns their ids."""
    now = timezone.now()
    stuck = EvidenceItem.objects.filter(
        Q(status=EvidenceStatus.RECEIVED, received_at__lt=now - timedelta(seconds=settings.SLID_RECEIVED_STALE_SECONDS))
        | Q(
            status=EvidenceStatus.PROCESSING,
            claimed_at__lt=now - timedelta(seconds=settings.SLID_PROCESSING_STALE_SECONDS),
        )
    ).values_list("pk", flat=True)
    item_ids = list(stuck)
    for item_id in item_ids:
        evidence_enqueue_processing(item_id)
    return item_ids
