"""Reads of resumable uploads (evidence.services.resumable): one's own, and how far each has come, from its
first byte to the end of intake."""

import uuid
from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from evidence.models import Case, CustodyEntry, CustodyEvent, EvidenceStatus, ResumableUpload, UploadState
from evidence.selectors.access import User, restrict_to_user_cases, restrict_uploads_to_owner

# Where an item's intake ends; until then the page keeps asking.
FINAL_STATUSES = frozenset(
    {EvidenceStatus.ARCHIVED, EvidenceStatus.DUPLICATE, EvidenceStatus.CORRUPT, EvidenceStatus.FAILED}
)
FINAL_STATES = frozenset({UploadState.FAILED, UploadState.TERMINATED, UploadState.EXPIRED})


def upload_list(*, user: User, case: Case) -> QuerySet[ResumableUpload]:
    """The user's own uploads in ``case`` (a case of theirs)."""
    uploads = restrict_to_user_cases(ResumableUpload.objects.filter(case=case), user=user)
    return restrict_uploads_to_owner(uploads, user=user).select_related("case", "item")


def upload_get(*, user: User, case: Case, public_id: uuid.UUID) -> ResumableUpload | None:
    return upload_list(user=user, case=case).filter(public_id=public_id).first()


def upload_status_list(*, user: User, case: Case, public_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    """How far each of the user's uploads named has come, in the order named (unknown ids are left out):
    bytes received, then the evidence item's way through intake (received, hashed, then archived,
    duplicate, corrupt or failed), with the receipt's SHA-256 beside the one the browser computed."""
    uploads = {
        upload.public_id: upload for upload in upload_list(user=user, case=case).filter(public_id__in=public_ids)
    }
    item_ids = [upload.item_id for upload in uploads.values() if upload.item_id]
    hashed = set(
        CustodyEntry.objects.filter(evidence_id__in=item_ids, event_type=CustodyEvent.HASHED).values_list(
            "evidence_id", flat=True
        )
    )
    return [upload_status(uploads[key], hashed=uploads[key].item_id in hashed) for key in public_ids if key in uploads]


def upload_status(upload: ResumableUpload, *, hashed: bool) -> dict[str, Any]:
    item = upload.item
    status: dict[str, Any] = {
        "id": str(upload.public_id),
        "filename": upload.filename,
        "length": upload.length,
        "offset": upload.offset,
        "state": upload.state,
        "reason": upload.reason,
        "submitted_sha256": upload.submitted_sha256,
        "stage": upload.state,
        "final": upload.state in FINAL_STATES,
        "item": None,
    }
    if item is not None:
        stage = item.status if item.status in FINAL_STATUSES else ("hashed" if hashed else "received")
        status.update(
            stage=stage,
            final=item.status in FINAL_STATUSES,
            item={
                "ern": item.ern,
                "status": item.status,
                "status_reason": item.status_reason,
                "sha256": item.sha256,
                "size_bytes": item.size_bytes,
                "received_at": item.received_at.isoformat(),
                # The bytes received are the bytes the browser hashed before sending them.
                "matches": (item.sha256 == upload.submitted_sha256) if upload.submitted_sha256 else None,
            },
        )
    return status
