"""Court submission packages: requesting, building (claimed by one worker) and register profiles.

A builder claims an export with a token and a lease (``export_claim``) that it renews while it works
(``export_renew_lease``, ``export_set_progress``). Every write of the builder is guarded by its
token, so a builder whose lease ran out and was taken over can no longer change the export. While an
export is queued, its lease is the time by which a builder should have taken its message; after
that the sweep sends it again."""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from evidence.agents import Agent
from evidence.errors import DomainError, NotAllowed
from evidence.models import (
    PRIMARY_STORE,
    AuditAction,
    Case,
    CustodyEvent,
    EvidenceItem,
    Export,
    ExportStatus,
    Incident,
    OutboxTask,
    Outcome,
    ProtectedPerson,
)
from evidence.package import register
from evidence.selectors.access import Action, user_may, user_may_download_export
from evidence.selectors.packages import export_profile_latest_revision
from evidence.services.audit import audit_record
from evidence.services.common import check_same_case
from evidence.services.custody import custody_append
from evidence.services.fixity import evidence_record_fixity
from evidence.services.queue import BUILD_EXPORT, enqueue_task
from evidence.services.witnesses import package_identities_reveal, package_identities_seal

logger = logging.getLogger(__name__)

IDENTITIES_FOR_LEADS = gettext_noop(
    "This package holds witness and victim identities; only a lead of the case may download it."
)


@transaction.atomic
def export_request(
    *,
    actor: AbstractBaseUser,
    case: Case,
    incidents: Iterable[Incident] = (),
    evidence: Iterable[EvidenceItem] = (),
    profile: str = "default",
    include_identities: bool = False,
    include_analysis_chart: bool = False,
) -> Export:
    """Queues a package of the chosen incidents' evidence and the chosen items. Only legal members
    and leads export; only a lead may ask for witness identities, and that request is recorded."""
    if not user_may(user=actor, case=case, action=Action.EXPORT):
        raise NotAllowed(gettext("Your role in %(case)s does not allow exports.") % {"case": case.reference})
    if include_identities and not user_may(user=actor, case=case, action=Action.REVEAL_IDENTITY):
        raise NotAllowed(gettext("Only a lead of the case may include witness identities."))
    incidents, evidence = list(incidents), list(evidence)
    for obj in (*incidents, *evidence):
        check_same_case(case, **{"incidents" if isinstance(obj, Incident) else "evidence": obj})
    if not incidents and not evidence:
        raise DomainError(gettext("Choose at least one incident or evidence item."), field="incidents")
    chosen = register.profile_named(profile, case=case)
    if chosen is None:
        message = gettext("No export profile %(profile)s; see /api/v1/export-profiles/.") % {"profile": repr(profile)}
        raise DomainError(message, field="profile")
    export = Export.objects.create(
        case=case,
        requested_by=actor,
        incident_ids=sorted(i.pk for i in incidents),
        evidence_ids=sorted(e.pk for e in evidence),
        profile=profile,
        # The profile as it stands now: an edit or a retirement before the package is built changes nothing in it.
        profile_revision=export_profile_latest_revision(profile_id=chosen.id) if chosen.id else None,
        include_identities=include_identities,
        include_analysis_chart=include_analysis_chart,
        lease_expires_at=_message_deadline(),
    )
    audit_record(
        actor=actor,
        case=case,
        action=AuditAction.EXPORT_IDENTITIES_REQUESTED if include_identities else AuditAction.EXPORT_REQUEST,
        target=export.public_id,
        details={
            "incidents": export.incident_ids,
            "evidence": export.evidence_ids,
            "profile": profile,
            "analysis_chart": include_analysis_chart,
        },  # fmt: skip
    )
    enqueue_task(BUILD_EXPORT, export.pk)
    return export


def _lease_until() -> datetime:
    return timezone.now() + timedelta(seconds=settings.SLID_LEASE_SECONDS)


def _message_deadline() -> datetime:
    """When a queued export's message counts as lost if no builder has claimed it."""
    return timezone.now() + timedelta(seconds=settings.SLID_RECEIVED_STALE_SECONDS)


def _lapsed(now: datetime) -> Q:
    # No lease at all: claimed or queued before leases existed; its builder is long gone.
    return Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True)


def export_claim(*, export_id: int) -> Export | None:
    """Claims an export for building with one conditional UPDATE, so only one builder proceeds: a
    queued export, or one whose builder's lease ran out. The export returned carries this builder's
    ``claim_token``; every later write of the builder names it."""
    now = timezone.now()
    claimed = (
        Export.objects.filter(pk=export_id)
        .filter(Q(status=ExportStatus.QUEUED) | Q(status=ExportStatus.BUILDING) & _lapsed(now))
        .update(
            status=ExportStatus.BUILDING,
            started_at=now,
            progress=0,
            claim_token=uuid.uuid4(),
            lease_expires_at=_lease_until(),
        )
    )
    return Export.objects.select_related("case").get(pk=export_id) if claimed == 1 else None


def _held(export_id: int, token: uuid.UUID):
    return Export.objects.filter(pk=export_id, status=ExportStatus.BUILDING, claim_token=token)


def export_renew_lease(*, export_id: int, token: uuid.UUID) -> bool:
    """Extends the builder's lease; False when its claim was lost (the builder must stop)."""
    return _held(export_id, token).update(lease_expires_at=_lease_until()) == 1


def export_set_progress(*, export_id: int, token: uuid.UUID, percent: int) -> bool:
    """Records progress and extends the lease; False when the claim was lost."""
    return _held(export_id, token).update(progress=max(0, min(99, percent)), lease_expires_at=_lease_until()) == 1


@dataclass
class SealedIdentities:
    """A package's identities.json as the builder wrote it (in memory only), and the people it names."""

    document: bytes
    persons: list[ProtectedPerson]


@transaction.atomic
def export_mark_ready(
    *,
    export: Export,
    token: uuid.UUID,
    agent: Agent,
    items: list[EvidenceItem],
    package_key: str,
    sha256: str,
    size: int,
    identities: SealedIdentities | None = None,
) -> bool:
    """The package is built: the export is ready and each item gets an ``exported`` entry; the
    identities, if a lead asked for them, are stored sealed with the identity keys. False, and
    nothing written, when this builder's claim was lost (another builder holds the export now)."""
    finished = _held(export.pk, token).update(
        status=ExportStatus.READY,
        progress=100,
        finished_at=timezone.now(),
        lease_expires_at=None,
        package_key=package_key,
        sha256=sha256,
        size_bytes=size,
        item_count=len(items),
    )
    if finished != 1:
        return False
    export.refresh_from_db()
    if identities is not None:
        package_identities_seal(export=export, document=identities.document, persons=identities.persons)
    for item in items:
        custody_append(
            item=item,
            event_type=CustodyEvent.EXPORTED,
            agent=agent,
            detail=f"Exported in package {export.public_id} (SHA-256 {sha256})",
            details={"export": str(export.public_id), "package_sha256": sha256, "requested_by": export.requested_by_id},
        )
    return True


@transaction.atomic
def export_mark_failed(
    *, export_id: int, token: uuid.UUID, reason: str, agent: Agent, damaged_ern: str | None = None
) -> bool:
    """The build failed: the export is ``failed`` with the reason, and an archived original found
    damaged is marked and written in its custody. False, and nothing written, when this builder's
    claim was lost."""
    failed = _held(export_id, token).update(
        status=ExportStatus.FAILED, status_reason=reason[:2000], finished_at=timezone.now(), lease_expires_at=None
    )
    if failed != 1:
        return False
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
    return True


def export_record_damaged_original(
    *,
    export: Export,
    archive_key: str,
    sha256: str,
    agent: Agent,
    store: str = PRIMARY_STORE,
    key: str | None = None,
    while_doing: str = "downloaded",
) -> int:
    """A package's download (or build: ``while_doing``) read an archived original at ``key`` in ``store`` and
    found bytes that no longer match: a failed fixity check of that copy of each item stored under that
    archive key, in whatever case (they share the bytes, and the next read must not pick that copy again; the
    package is named only in its own case's items), so the sweep repairs it. A copy whose record names
    another key by now (repaired meanwhile) is left as it is. Returns how many copies were recorded bad."""
    where = "archived copy" if store == PRIMARY_STORE else f"copy in {store}"
    recorded = 0
    for item in EvidenceItem.objects.filter(archive_key=archive_key).order_by("pk"):
        package = f"package {export.public_id}" if item.case_id == export.case_id else "a package of another case"
        error = f"While {package} was {while_doing}: the {where}'s SHA-256 is {sha256}, expected {item.sha256}"
        held = evidence_record_fixity(item=item, agent=agent, sha256=sha256, error=error, store=store, key=key)
        recorded += held is False
    return recorded


def export_sweep_stuck() -> list[int]:
    """Puts back in the queue the exports whose builder's lease ran out (it died, or lost the
    database), and sends again those and the queued exports whose message was lost (no builder
    claimed them in time), unless a message waits in the outbox already. Returns the exports sent."""
    now = timezone.now()
    stuck = Export.objects.filter(status__in=[ExportStatus.QUEUED, ExportStatus.BUILDING]).filter(_lapsed(now))
    stuck_ids = list(stuck.values_list("pk", flat=True))
    waiting_messages = OutboxTask.objects.filter(task=BUILD_EXPORT).values_list("args", flat=True)
    in_outbox = {args[0] for args in waiting_messages if args}
    export_ids = [export_id for export_id in stuck_ids if export_id not in in_outbox]
    with transaction.atomic():
        # The same conditions again: a builder that renewed its lease in the meantime keeps its export.
        stuck.filter(pk__in=stuck_ids).update(
            status=ExportStatus.QUEUED, progress=0, claim_token=None, lease_expires_at=_message_deadline()
        )
        for export_id in export_ids:
            enqueue_task(BUILD_EXPORT, export_id)
    return export_ids


@transaction.atomic
def export_record_download(*, actor: AbstractBaseUser, export: Export, byte_range: str | None) -> None:
    """A download of the package, in the audit log; for a package with identities, only a lead's, and
    each identity in it is revealed (an audit entry per person, every time)."""
    if not user_may_download_export(user=actor, export=export):
        raise NotAllowed(gettext(IDENTITIES_FOR_LEADS))
    audit_record(
        actor=actor,
        case=export.case,
        action=AuditAction.EXPORT_DOWNLOAD,
        target=export.public_id,
        details={"range": byte_range},
    )
    package_identities_reveal(actor=actor, export=export, byte_range=byte_range)
