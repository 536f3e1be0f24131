"""Reads of assessments and reviews: the assessments a user may see, the review queue of a case, and an evidence
item's review checklist with the findings a reviewer weighs (near duplicates, provenance, distance to the
incidents, the capture time)."""

from dataclasses import dataclass

from django.db.models import QuerySet

from evidence.models import (
    Assessment,
    EvidenceItem,
    EvidenceReviewCheck,
    Incident,
    ReviewCheck,
)
from evidence.selectors.access import User, restrict_to_user_cases
from evidence.selectors.items import captured_at_differs_from_file, evidence_near_duplicates

REVIEW_TYPES = ("incident", "evidence", "assessment")


def assessment_list(*, user: User) -> QuerySet[Assessment]:
    assessments = Assessment.objects.select_related(
        "evidence", "created_by", "updated_by", "reviewed_by", "review_requested_of"
    )
    return restrict_to_user_cases(assessments, user=user)


@dataclass(frozen=True)
class QueueEntry:
    type: str
    obj: Incident | EvidenceItem | Assessment
    state: str


def review_queue(
    *, user: User, case_ids: list[int] | None, state: str | None, types: list[str], reviewer_id: int | None
) -> list[QueueEntry]:
    """The records of the user's cases (``case_ids`` of them, if given) in ``state`` (any, if None), of the
    ``types`` asked for, asked of ``reviewer_id`` if given; oldest change first, so that nothing waits forever."""
    found: list[QueueEntry] = []
    sources = {
        "incident": (Incident.objects.only("id", "case_id", "title", "status", "review_requested_of_id",
                                           "updated_at", "reopened_at", "review_reason"), "status", "updated_at"),
        "evidence": (EvidenceItem.objects.only("id", "case_id", "ern", "title", "review_state", "reopened_at",
                                               "review_requested_of_id", "received_at", "review_reason"),
                     "review_state", "received_at"),
        "assessment": (Assessment.objects.select_related("evidence").only(
            "id", "case_id", "element", "review_state", "review_requested_of_id", "updated_at", "reopened_at",
            "bearing", "review_reason", "evidence__ern"), "review_state", "updated_at"),
    }  # fmt: skip
    for kind in types:
        queryset, state_field, changed_field = sources[kind]
        queryset = restrict_to_user_cases(queryset, user=user)
        if case_ids is not None:
            queryset = queryset.filter(case_id__in=case_ids)
        if state is not None:
            queryset = queryset.filter(**{state_field: state})
        if reviewer_id is not None:
            queryset = queryset.filter(review_requested_of_id=reviewer_id)
        for obj in queryset.order_by(changed_field, "pk"):
            found.append(QueueEntry(kind, obj, getattr(obj, state_field)))
    return found


def evidence_checklist(*, item: EvidenceItem) -> dict:
    """Every box of the item's checklist (ticked or not, by whom and when) and the findings beside it."""
    checks = {
        check.box: check
        for check in EvidenceReviewCheck.objects.filter(evidence=item)
        .select_related("checked_by")
        .prefetch_related("corroborating")
    }
    boxes = []
    for box, label in ReviewCheck.choices:
        check = checks.get(box)
        boxes.append({
            "box": box,
            "label": str(label),
            "checked": bool(check and check.checked),
            "by": check.checked_by.get_username() if check else None,
            "at": check.checked_at if check else None,
            "note": check.note if check else "",
            "corroborating": [{"id": o.pk, "ern": o.ern} for o in check.corroborating.all()] if check else [],
        })  # fmt: skip
    provenance = item.provenance or {}
    findings = {
        "source": {"source_type": item.source_type, "source": item.source, "source_url": item.source_url},
        "content": {
            "sha256": item.sha256,
            "near_duplicates": evidence_near_duplicates(item=item),
            "duplicate_of": item.duplicate_of.ern if item.duplicate_of_id else None,
            "provenance": provenance.get("state") if isinstance(provenance, dict) else None,
            "media_type_mismatch": item.media_type_mismatch,
        },
        "geolocation": {
            "captured_location": item.captured_location.coords if item.captured_location else None,
            "distance_to_incidents_m": item.incident_distances_m,
        },
        "chronolocation": {"captured_at": item.captured_at, "differs_from_file": captured_at_differs_from_file(item)},
    }
    return {"review_state": item.review_state, "boxes": boxes, "findings": findings}
