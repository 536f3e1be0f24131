"""Court submission packages: requesting, building (claimed by one worker) and register profiles."""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from evidence.agents import Agent
from evidence.errors import DomainError, NotAllowed
from evidence.models import (
    Case,
    CustodyEvent,
    EvidenceItem,
    Export,
    ExportProfile,
    ExportStatus,
    Incident,
    Outcome,
)
from evidence.package import register
from evidence.selectors.access import Action, user_may
from evidence.services.audit import audit_record
from evidence.services.common import check_same_case
from evidence.services.custody import custody_append
from evidence.services.fixity import evidence_record_fixity
from evidence.services.queue import enqueue_task

logger = logging.getLogger(__name__)


@transaction.atomic
def export_request(
    *,
    actor: AbstractBaseUser,
    case: Case,
    incidents: Iterable[Incident] = (),
    evidence: Iterable[EvidenceItem] = (),
    profile: str = "default",
    include_identities: bool = False,
) -> Export:
    """Queues a package of the chosen incidents' evidence and the chosen items. Only legal members
    and leads export; only a lead may ask for witness identities, and that request is recorded."""
    if not user_may(user=actor, case=case, action=Action.EXPORT):
        raise NotAllowed(f"Your role in {case.reference} does not allow exports.")
    if include_identities and not user_may(user=actor, case=case, action=Action.REVEAL_IDENTITY):
        raise NotAllowed("Only a lead of the case may include witness identities.")
    incidents, evidence = list(incidents), list(evidence)
    for obj in (*incidents, *evidence):
        check_same_case(case, **{"incidents" if isinstance(obj, Incident) else "evidence": obj})
    if not incidents and not evidence:
        raise DomainError("Choose at least one incident or evidence item.", field="incidents")
    if register.profile_named(profile) is None:
        raise DomainError(f"No export profile {profile!r}; see /api/v1/export-profiles/.", field="profile")
    export = Export.objects.create(
        case=case,
        requested_by=actor,
        incident_ids=sorted(i.pk for i in incidents),
        evidence_ids=sorted(e.pk for e in evidence),
        profile=profile,
        include_identities=include_identities,
    )
    audit_record(
        actor=actor,
        case=case,
        action="export.identities_requested" if include_identities else "export.request",
        target=export.public_id,
        details={"incidents": export.incident_ids, "evidence": export.evidence_ids, "profile": profile},
    )
    transaction.on_commit(lambda: enqueue_task("workers.tasks.build_export", export.pk))
    return export


def export_claim(*, export_id: int) -> Export | None:
    claimed = Export.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.BUILDING, started_at=timezone.now(), progress=0
    )
    return Export.objects.select_related("case").get(pk=export_id) if claimed == 1 else None


def export_set_progress(*, export_id: int, percent: int) -> None:
    Export.objects.filter(pk=export_id, status=ExportStatus.BUILDING).update(progress=max(0, min(99, percent)))


@transaction.atomic
def export_mark_ready(
    *, export: Export, agent: Agent, items: list[EvidenceItem], package_key: str, sha256: str, size: int
) -> Export:
    export.status, export.progress, export.finished_at = ExportStatus.READY, 100, timezone.now()
    export.package_key, export.sha256, export.size_bytes, export.item_count = package_key, sha256, size, len(items)
    export.save()
    for item in items:
        custody_append(
            item=item,
            event_type=CustodyEvent.EXPORTED,
            agent=agent,
            detail=f"Exported in package {export.public_id} (SHA-256 {sha256})",
            details={"export": str(export.public_id), "package_sha256": sha256, "requested_by": export.requested_by_id},
        )
    return export


@transaction.atomic
def export_mark_failed(*, export_id: int, reason: str, agent: Agent, damaged_ern: str | None = None) -> None:
    Export.objects.filter(pk=export_id).update(
        status=ExportStatus.FAILED, status_reason=reason[:2000], finished_at=timezone.now()
    )
    if damaged_ern:
        item = EvidenceItem.objects.get(ern=damaged_ern)
        EvidenceItem.objects.filter(pk=item.pk, fixity_failed_at__isnull=True).update(fixity_failed_at=timezone.now())
        custody_append(
            item=item,
            event_type=CustodyEvent.EXPORTED,
            agent=agent,
            outcome=Outcome.FAILURE,
            detail=f"Not exported: {reason}",
            details={"export_id": export_id},
        )
        logger.error("Export %s stopped: %s", export_id, reason)


def export_record_damaged_original(*, export: Export, archive_key: str, sha256: str, agent: Agent) -> None:
    """A package's download found an archived original that no longer matches: a failed fixity
    check of each item stored under that key (the download itself is broken off)."""
    for item in EvidenceItem.objects.filter(case=export.case, archive_key=archive_key):
        error = (
            f"While package {export.public_id} was downloaded: the archived copy's SHA-256 is {sha256}, "
            f"expected {item.sha256}"
        )
        evidence_record_fixity(item=item, agent=agent, sha256=sha256, error=error)


@transaction.atomic
def export_profile_create(
    *, actor: AbstractBaseUser, name: str, columns: list[dict], description: str = ""
) -> ExportProfile:
    errors = register.column_errors(columns)
    if errors:
        raise DomainError("; ".join(errors), field="columns")
    if register.profile_named(name) is not None:
        raise DomainError(f"A profile named {name!r} exists already.", field="name")
    profile = ExportProfile.objects.create(name=name, description=description, columns=columns, created_by=actor)
    audit_record(actor=actor, case=None, action="export_profile.create", target=name, details={"columns": columns})
    return profile


def export_sweep_stuck() -> list[int]:
    """Re-enqueues exports never picked up, and gives back those whose builder must be gone."""
    now = timezone.now()
    stale_build = now - timedelta(seconds=settings.SLID_PROCESSING_STALE_SECONDS)
    Export.objects.filter(status=ExportStatus.BUILDING, started_at__lt=stale_build).update(
        status=ExportStatus.QUEUED, progress=0
    )
    waiting = Export.objects.filter(
        status=ExportStatus.QUEUED, created_at__lt=now - timedelta(seconds=settings.SLID_RECEIVED_STALE_SECONDS)
    ).values_list("pk", flat=True)
    export_ids = list(waiting)
    for export_id in export_ids:
        enqueue_task("workers.tasks.build_export", export_id)
    return export_ids
