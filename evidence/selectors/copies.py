"""Reads of archived files' copies: which stores hold an item, where to read its good bytes, and which items
have fewer good copies than they should (SLID_ARCHIVE_MIN_COPIES)."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import storages
from django.db.models import Count, Q, QuerySet

from evidence import replication
from evidence.models import GOOD_COPY_STATES, PRIMARY_STORE, ArchiveCopy, EvidenceItem

logger = logging.getLogger(__name__)


def replica_stores() -> list[str]:
    """The Django storages of the configured replicas, in the order SLID_ARCHIVE_REPLICAS names them."""
    return [f"{settings.REPLICA_STORE_PREFIX}{name}" for name in settings.SLID_ARCHIVE_REPLICAS]


def configured_stores() -> list[str]:
    """Every store an archived file is kept in: the primary archive, then the replicas."""
    return [PRIMARY_STORE, *replica_stores()]


@dataclass(frozen=True)
class GoodCopy:
    store: str
    key: str


def _candidates(copies: QuerySet[ArchiveCopy]) -> list[GoodCopy]:
    """The good copies among ``copies`` in configured stores: the primary first, then the replicas verified
    most recently."""
    stores = configured_stores()
    good = copies.filter(state__in=GOOD_COPY_STATES, store__in=stores).values_list("store", "key", "verified_at")
    ordered = sorted(good, key=lambda copy: (copy[0] != PRIMARY_STORE, -(copy[2].timestamp() if copy[2] else 0)))
    seen, candidates = set(), []
    for store, key, _ in ordered:
        if (store, key) not in seen:
            seen.add((store, key))
            candidates.append(GoodCopy(store, key))
    return candidates


def evidence_good_copies(*, item: EvidenceItem) -> list[GoodCopy]:
    """Where the item's bytes were last found good, best first, as recorded (nothing is read). An item archived
    before copies were recorded, with no record of its primary copy, has it unless its fixity check failed."""
    if not item.archive_key:
        return []
    copies = ArchiveCopy.objects.filter(evidence_id=item.pk)
    candidates = _candidates(copies)
    if not candidates and not copies.filter(store=PRIMARY_STORE).exists() and item.fixity_failed_at is None:
        return [GoodCopy(PRIMARY_STORE, item.archive_key)]
    return candidates


def evidence_good_copy(*, item: EvidenceItem) -> GoodCopy | None:
    """Where to read the item's good bytes now: the first of its good copies whose store answers with a file
    of the item's size (the primary, unless it is damaged or cannot be reached; then a replica). None when no
    copy is known good; the best recorded one when none answers (reading it then says why)."""
    return _first_answering(evidence_good_copies(item=item), size=item.size_bytes)


def good_copy_of_key(*, archive_key: str, size: int | None) -> GoodCopy | None:
    """Where to read the bytes archived at ``archive_key`` (the same bytes for every item stored under it, of
    any case), as ``evidence_good_copy`` chooses."""
    candidates = _candidates(ArchiveCopy.objects.filter(evidence__archive_key=archive_key))
    if not candidates and not ArchiveCopy.objects.filter(evidence__archive_key=archive_key).exists():
        candidates = [GoodCopy(PRIMARY_STORE, archive_key)]  # archived before copies were recorded
    return _first_answering(candidates, size=size)


def _first_answering(candidates: list[GoodCopy], *, size: int | None) -> GoodCopy | None:
    """Asked on a web thread: each store gets a short probe (evidence.replication.probe_size), and one that did
    not answer lately is passed over without waiting for it again."""
    for candidate in candidates:
        try:
            found = replication.probe_size(storages[candidate.store], candidate.key)
        except Exception as problem:  # noqa: BLE001 - a store that does not answer: the next copy is read
            logger.warning("The copy %s in %s could not be reached: %s", candidate.key, candidate.store, problem)
            continue
        if size is None or found == size:
            return candidate
        logger.warning("The copy %s in %s has %s bytes, not %s", candidate.key, candidate.store, found, size)
    return candidates[0] if candidates else None


@dataclass(frozen=True)
class ItemCopies:
    """An archived item with fewer good copies than SLID_ARCHIVE_MIN_COPIES: its good stores, and each other
    configured store with the state of its copy there ("absent" when it has none yet)."""

    item_id: int
    ern: str
    good: list[str]
    bad: dict[str, str]


ABSENT = "absent"


def evidence_below_min_copies() -> QuerySet[EvidenceItem]:
    """Archived items with fewer good copies in the configured stores than SLID_ARCHIVE_MIN_COPIES."""
    good = Count("copies", filter=Q(copies__state__in=GOOD_COPY_STATES, copies__store__in=configured_stores()))
    return (
        EvidenceItem.objects.exclude(archive_key="")
        .annotate(good_copies=good)
        .filter(good_copies__lt=settings.SLID_ARCHIVE_MIN_COPIES)
    )


def items_below_min_copies(*, limit: int | None = None) -> list[ItemCopies]:
    """The archived items below SLID_ARCHIVE_MIN_COPIES good copies, by ERN, each with its good stores and its
    bad ones (the state of each: pending, missing, damaged, unreadable or absent)."""
    items = evidence_below_min_copies().order_by("ern").values_list("pk", "ern")
    found = list(items if limit is None else items[:limit])
    states: dict[int, dict[str, str]] = {pk: {} for pk, _ in found}
    copies = ArchiveCopy.objects.filter(evidence_id__in=states).values_list("evidence_id", "store", "state")
    for item_id, store, state in copies:
        states[item_id][store] = state
    stores = configured_stores()
    below = []
    for pk, ern in found:
        recorded = states[pk]
        good = [store for store in stores if recorded.get(store) in GOOD_COPY_STATES]
        bad = {store: recorded.get(store, ABSENT) for store in stores if store not in good}
        below.append(ItemCopies(item_id=pk, ern=ern, good=good, bad=bad))
    return below


def evidence_copies_shown(*, item: EvidenceItem) -> list[ArchiveCopy]:
    """The item's copies as the API shows them: the primary's first, then the replicas by store (from the
    prefetched ``copies`` of a list, else one query)."""
    copies = list(item.copies.all())
    return sorted(copies, key=lambda copy: (copy.store != PRIMARY_STORE, copy.store))
