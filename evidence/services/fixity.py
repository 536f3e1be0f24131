"""Fixity: recording each re-check of an archived copy (the primary's or a replica's)."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from evidence.agents import Agent
from evidence.models import (
    BAD_COPY_STATES,
    PRIMARY_STORE,
    ArchiveCopy,
    CopyState,
    CustodyEvent,
    EvidenceItem,
    Outcome,
)
from evidence.selectors.copies import configured_stores
from evidence.services.custody import custody_append

logger = logging.getLogger(__name__)


@transaction.atomic
def evidence_record_fixity(
    *,
    item: EvidenceItem,
    agent: Agent,
    sha256: str | None,
    error: str = "",
    store: str = PRIMARY_STORE,
    missing: bool = False,
    key: str | None = None,
) -> bool | None:
    """Records one fixity check of the item's copy in ``store``; returns whether it held. ``error`` is why the
    copy could not be read (``sha256`` is then None); ``missing``: nothing was at its key. ``key`` is the key
    that was read: when the copy's record names another one by now (a repair moved it while this check read),
    what was found says nothing of the copy, and nothing is recorded (returns None).

    Every check moves the item to the back of the fixity queue (``last_checked_at``), whatever it found, so a
    damaged item cannot hold up the rest. ``last_verified_at`` is the last time a copy held. A copy that
    failed is due for repair at once (evidence.services.copies). ``fixity_failed_at`` is since when one of
    the item's copies has failed its checks, cleared once none has (a check that holds again, e.g. once a
    storage outage is over, or a repair: the failures stay in custody)."""
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    copy = _copy_of(item, store)
    if key is not None and copy.key != key:
        logger.info(
            "Fixity of %s in %s read %s, but the copy is at %s now: not recorded", item.ern, store, key, copy.key
        )
        return None
    held = sha256 == item.sha256
    now = timezone.now()
    failed_before = copy.state in BAD_COPY_STATES
    copy.checked_at = item.last_checked_at = now
    where = "Archived copy" if store == PRIMARY_STORE else f"Copy in {store} ({copy.key})"
    if held:
        detail = f"{where} re-hashed: SHA-256 {sha256} matches"
        if failed_before and item.fixity_failed_at is not None:
            detail += f" (its checks had failed since {item.fixity_failed_at.isoformat(timespec='seconds')})"
        if copy.state != CopyState.REPAIRED:
            copy.state = CopyState.VERIFIED
        copy.verified_at = item.last_verified_at = now
    else:
        copy.state = CopyState.MISSING if missing else CopyState.UNREADABLE if sha256 is None else CopyState.DAMAGED
        copy.due_at = None  # repaired from a good copy as soon as the sweep (or the fixity run) gets to it
        if missing:
            detail = f"{where} is missing: nothing is stored at {copy.key}"
        else:
            detail = error or f"{where}'s SHA-256 is {sha256}, expected {item.sha256}"
        logger.error("Fixity check failed for %s in %s (%s): %s", item.ern, store, copy.key, detail)
    copy.save()
    evidence_settle_fixity(item, now=now)
    custody_append(
        item=item,
        event_type=CustodyEvent.FIXITY_CHECK,
        agent=agent,
        outcome=Outcome.SUCCESS if held else Outcome.FAILURE,
        detail=detail,
        details={"archive_key": item.archive_key, "sha256": sha256, "store": store, "key": copy.key},
    )
    return held


def _copy_of(item: EvidenceItem, store: str) -> ArchiveCopy:
    """The item's copy in ``store``, locked; the primary's is made for an item archived before copies were
    recorded."""
    copy = ArchiveCopy.objects.select_for_update().filter(evidence=item, store=store).first()
    if copy is None:
        copy = ArchiveCopy(evidence=item, store=store, key=item.archive_key, state=CopyState.VERIFIED)
        copy.verified_at = item.last_verified_at if store == PRIMARY_STORE else None
    return copy


def evidence_settle_fixity(item: EvidenceItem, *, now: datetime | None = None) -> None:
    """After a copy of the locked ``item`` changed state: ``fixity_failed_at`` set (kept if it was) while one
    of its copies in the configured stores is bad, cleared once none is."""
    bad = ArchiveCopy.objects.filter(evidence=item, store__in=configured_stores(), state__in=BAD_COPY_STATES)
    item.fixity_failed_at = (item.fixity_failed_at or now or timezone.now()) if bad.exists() else None
    item.save(update_fields=["last_checked_at", "last_verified_at", "fixity_failed_at"])
