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
    """Records one fixity check of the archived copy; returns whether it held."""
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    held = sha256 == item.sha256
    now = timezone.now()
    if held:
        item.last_verified_at = now
        item.save(update_fields=["last_verified_at"])
        detail = f"Archived copy re-hashed: SHA-256 {sha256} matches"
    else:
        item.fixity_failed_at = item.fixity_failed_at or now
        item.save(update_fields=["fixity_failed_at"])
        detail = error or f"Archived copy's SHA-256 is {sha256}, expected {item.sha256}"
        logger.error("Fixity check failed for %s (%s): %s", item.ern, item.archive_key, detail)
    custody_append(
        item=item,
        event_type=CustodyEvent.FIXITY_CHECK,
        agent=agent,
        outcome=Outcome.SUCCESS if held else Outcome.FAILURE,
        detail=detail,
        details={"archive_key": item.archive_key, "sha256": sha256},
    )
    return held
