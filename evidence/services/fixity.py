"""Fixity: recording each re-check of an archived copy."""

import logging

from django.db import transaction
from django.utils import timezone

from evidence.agents import Agent
from evidence.models import (
    CustodyEvent,
    EvidenceItem,
    Outcome,
)
from evidence.services.custody import custody_append

logger = logging.getLogger(__name__)


@transaction.atomic
def evidence_record_fixity(*, item: EvidenceItem, agent: Agent, sha256: str | None, error: str = "") -> bool:
    """Records one fixity check of the archived copy; returns whether it held. ``error`` is why the
    copy could not be read (``sha256`` is then None).

    Every check moves the item to the back of the fixity queue (``last_checked_at``), whatever it
    found, so a damaged item cannot hold up the rest. ``last_verified_at`` is the last time the copy
    held; ``fixity_failed_at`` is since when its checks fail, cleared by one that holds again (e.g.
    once a storage outage that made the copy unreadable is over: the failures stay in custody)."""
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    held = sha256 == item.sha256
    now = timezone.now()
    item.last_checked_at = now
    if held:
        detail = f"Archived copy re-hashed: SHA-256 {sha256} matches"
        if item.fixity_failed_at is not None:
            failed_since = item.fixity_failed_at.isoformat(timespec="seconds")
            detail += f" (its checks had failed since {failed_since})"
        item.last_verified_at, item.fixity_failed_at = now, None
    else:
        item.fixity_failed_at = item.fixity_failed_at or now
        detail = error or f"Archived copy's SHA-256 is {sha256}, expected {item.sha256}"
        logger.error("Fixity check failed for %s (%s): %s", item.ern, item.archive_key, detail)
    item.save(update_fields=["last_checked_at", "last_verified_at", "fixity_failed_at"])
    custody_append(
        item=item,
        event_type=CustodyEvent.FIXITY_CHECK,
        agent=agent,
        outcome=Outcome.SUCCESS if held else Outcome.FAILURE,
        detail=detail,
        details={"archive_key": item.archive_key, "sha256": sha256},
    )
    return held
