"""Reads for the details of the health report, which only staff see: archived copies that failed their
fixity check, work waiting, work stuck, archived files waiting for a timestamp, and archived files with fewer
good copies than they should have. Counts are of the
whole service (they name no case); the ERNs listed are only those of the cases the user may see."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from evidence.models import ArchiveCopy, EvidenceItem, EvidenceStatus, Export, ExportStatus, OutboxTask
from evidence.selectors.access import User, restrict_to_user_cases
from evidence.selectors.copies import configured_stores, evidence_below_min_copies
from evidence.selectors.timestamps import timestamps_not_configured_reason

# How many ERNs a list in the report names at most (the counts are complete).
MAX_LISTED = 20


def health_fixity_failures(*, user: User) -> dict:
    failed = EvidenceItem.objects.filter(fixity_failed_at__isnull=False)
    return {"count": failed.count(), "erns": _erns(failed, user=user)}


def health_queue() -> dict:
    now = timezone.now()
    items = EvidenceItem.objects.filter(status__in=[EvidenceStatus.RECEIVED, EvidenceStatus.PROCESSING])
    exports = Export.objects.filter(status__in=[ExportStatus.QUEUED, ExportStatus.BUILDING])
    return {
        "outbox": OutboxTask.objects.count(),
        "outbox_due": OutboxTask.objects.filter(due_at__lte=now).count(),
        "evidence_received": items.filter(status=EvidenceStatus.RECEIVED).count(),
        "evidence_processing": items.filter(status=EvidenceStatus.PROCESSING).count(),
        "exports_waiting": exports.count(),
    }


def health_stuck(*, user: User) -> dict:
    """Work whose worker's lease ran out, or received long ago and never claimed: what the sweeps
    (evidence_sweep_stuck, export_sweep_stuck) send again. Many of these for long means no worker runs."""
    now = timezone.now()
    stale = timedelta(seconds=settings.SLID_RECEIVED_STALE_SECONDS)
    lapsed = Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True)
    items = EvidenceItem.objects.filter(
        Q(status=EvidenceStatus.PROCESSING) & lapsed
        | Q(status=EvidenceStatus.RECEIVED)
        & (Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, received_at__lt=now - stale))
    )
    exports = Export.objects.filter(status__in=[ExportStatus.QUEUED, ExportStatus.BUILDING]).filter(lapsed)
    return {"evidence": items.count(), "exports": exports.count(), "erns": _erns(items, user=user)}


def health_timestamps(*, user: User) -> dict:
    """Archived files without a verified timestamp: ``waiting`` all of them, ``failing`` those whose last
    request got none (``last_error`` the newest reason). Unless no TSA is configured (``configured`` false,
    ``reason`` why), these are what the sweep sends again; many failing means the TSAs are down or refused."""
    reason = timestamps_not_configured_reason()
    waiting = EvidenceItem.objects.filter(timestamped_at__isnull=True).exclude(archive_key="")
    failing = waiting.filter(timestamp_attempts__gt=0)
    last = failing.exclude(timestamp_error="").order_by("-timestamp_due_at").values_list("timestamp_error", flat=True)
    return {
        "configured": not reason,
        "reason": reason,
        "waiting": waiting.count(),
        "failing": failing.count(),
        "last_error": last.first() or "",
        "erns": _erns(failing, user=user),
    }


def health_copies(*, user: User) -> dict:
    """Archived items with fewer good copies than SLID_ARCHIVE_MIN_COPIES (``below_min``): replicas not
    copied yet (the replication task and the sweep see to them), and copies that failed a check and could not
    be repaired yet. ``stores`` counts each store's copies by state."""
    below = evidence_below_min_copies()
    stores = configured_stores()
    by_store: dict[str, dict[str, int]] = {store: {} for store in stores}
    counted = ArchiveCopy.objects.filter(store__in=stores).values_list("store", "state").annotate(count=Count("id"))
    for store, state, count in counted:
        by_store[store][state] = count
    return {
        "min_copies": settings.SLID_ARCHIVE_MIN_COPIES,
        "stores": by_store,
        "below_min": below.count(),
        "erns": _erns(below, user=user),
    }


def _erns(items: QuerySet[EvidenceItem], *, user: User) -> list[str]:
    visible = restrict_to_user_cases(items, user=user).order_by("ern")
    return list(visible.values_list("ern", flat=True)[:MAX_LISTED])
