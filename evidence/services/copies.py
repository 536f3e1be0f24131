"""Copies of archived files in every store: replication to the replicas, and repair of copies that fail.

An item is archived once the primary archive holds it (evidence.services.processing). In the same
transaction its copies are recorded: the primary's, verified, and one ``pending`` per replica, with a task
(through the outbox) that copies the file to each replica from a good copy, reads it back, and records a
custody entry ``replicated`` per store. Fixity checks every copy (``evidence_check_copies``); a copy found
missing, damaged or unreadable is made good again from a good copy, with a custody entry ``repaired`` after
the failed ``fixity_check``. A write-once store never loses bytes to a repair: good bytes go to the archive
key if it is empty, else to a repair key beside it (evidence.replication), which the copy's record names.

A try that fails (a store down, credentials refused) is made again after a backoff that doubles each time,
through the outbox; the sweep (``copies_sweep``, run by beat) back-fills replicas added later and sends
what is due and was lost. Any of it may run twice or die half-way: a copy already good records nothing more."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import storages
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from evidence import replication
from evidence.agents import Agent
from evidence.models import (
    GOOD_COPY_STATES,
    PRIMARY_STORE,
    ArchiveCopy,
    CopyState,
    CustodyEvent,
    EvidenceItem,
    OutboxTask,
)
from evidence.selectors.copies import GoodCopy, configured_stores, evidence_good_copies, replica_stores
from evidence.services.custody import custody_append
from evidence.services.fixity import evidence_record_fixity, evidence_settle_fixity
from evidence.services.queue import enqueue_task, outbox_send

logger = logging.getLogger(__name__)

REPLICATE_EVIDENCE = "workers.tasks.replicate_evidence"


def _in_flight_until():
    """While a task is on its way the sweep leaves the item's copies alone (then it sends them again)."""
    return timezone.now() + timedelta(seconds=settings.SLID_RECEIVED_STALE_SECONDS)


def _backoff_seconds(attempts: int) -> int:
    backoff = settings.SLID_REPLICATION_RETRY_BASE_SECONDS * 2 ** min(max(attempts, 1) - 1, 30)
    return min(backoff, settings.SLID_REPLICATION_RETRY_MAX_SECONDS)


def evidence_copies_on_archive(*, item: EvidenceItem, archive_key: str, verified_at: datetime) -> None:
    """In the archiving transaction: the primary copy, verified (read back) at ``verified_at``, and a pending
    copy per replica, copied by a task once this commits."""
    ArchiveCopy.objects.update_or_create(
        evidence=item,
        store=PRIMARY_STORE,
        defaults={"key": archive_key, "state": CopyState.VERIFIED, "verified_at": verified_at},
    )
    replicas = replica_stores()
    if not replicas:
        return
    due_at = _in_flight_until()
    ArchiveCopy.objects.bulk_create(
        [ArchiveCopy(evidence=item, store=store, key=archive_key, due_at=due_at) for store in replicas],
        ignore_conflicts=True,
    )
    enqueue_task(REPLICATE_EVIDENCE, item.pk)


# --- Making copies good: replication and repair ------------------------------------------------------------


@dataclass
class CopiesReport:
    """What making an item's copies good did: stores written (or found good), failed (with why), and whether
    there was no good copy at all to copy from."""

    written: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    no_good_copy: bool = False


def evidence_make_copies_good(*, item_id: int, agent: Agent, stores: list[str] | None = None) -> CopiesReport:
    """Copies the item's bytes from a good copy to each of its copies (in ``stores``, or every configured
    store) that is not good: pending (replication) or missing, damaged or unreadable (repair). Touches the
    stores outside any transaction; records each result. A store that fails is tried again after a backoff."""
    report = CopiesReport()
    item = EvidenceItem.objects.filter(pk=item_id).only("pk", "ern", "sha256", "archive_key", "size_bytes").first()
    if item is None or not item.archive_key:
        return report
    wanted = [store for store in (stores or configured_stores()) if store in configured_stores()]
    to_do = list(
        ArchiveCopy.objects.filter(evidence=item, store__in=wanted).exclude(state__in=GOOD_COPY_STATES).order_by("id")
    )
    if not to_do:
        return report
    sources = evidence_good_copies(item=item)
    for copy in to_do:
        candidates = [source for source in sources if source.store != copy.store]
        if not candidates:
            report.no_good_copy = True
            report.failed[copy.store] = f"No good copy of {item.ern} to copy from."
            continue
        try:
            written, source = _write_from_first_readable(item, copy, candidates)
        except Exception as problem:  # noqa: BLE001 - an outage or a refusal: recorded, tried again later
            report.failed[copy.store] = f"{type(problem).__name__}: {problem}"[:2000]
            logger.warning("Could not make the copy of %s in %s good: %s", item.ern, copy.store, problem)
            continue
        if evidence_record_copy_written(item_id=item.pk, store=copy.store, written=written, source=source, agent=agent):
            report.written.append(copy.store)
    if report.failed:
        evidence_record_copy_failures(item_id=item.pk, failures=report.failed)
    return report


def _write_from_first_readable(
    item: EvidenceItem, copy: ArchiveCopy, candidates: list[GoodCopy]
) -> tuple[replication.Written, GoodCopy]:
    """Writes from the first good copy that can be read; a source that fails (down, or its bytes are not the
    file's after all) lets the next one be tried, and the last one's error is raised."""
    known_damaged = [copy.key] if copy.state == CopyState.DAMAGED else []
    error: Exception | None = None
    for source in candidates:
        try:
            written = replication.write_good_copy(
                storages[source.store],
                source.key,
                storages[copy.store],
                item.archive_key,
                item.sha256,
                known_damaged=known_damaged,
            )
        except replication.SourceNotGood as failed:
            error = failed  # this source cannot give the bytes: the next one may
            continue
        return written, source
    assert error is not None  # noqa: S101 - there was at least one candidate
    raise error


@transaction.atomic
def evidence_record_copy_written(
    *, item_id: int, store: str, written: replication.Written, source: GoodCopy, agent: Agent
) -> bool:
    """Good bytes are in ``store`` now (written, or found there, and read back): the copy is verified, with a
    custody entry ``replicated`` (its first copy) or ``repaired`` (it had failed a check). Returns False and
    records nothing when the copy was good already (the task ran twice)."""
    item = EvidenceItem.objects.select_for_update().get(pk=item_id)
    copy = ArchiveCopy.objects.select_for_update().filter(evidence=item, store=store).first()
    if copy is None or copy.state in GOOD_COPY_STATES:
        return False
    now = timezone.now()
    details = {
        "store": store,
        "key": written.key,
        "sha256": written.sha256,
        "from_store": source.store,
        "from_key": source.key,
        "stored_now": written.stored_now,
    }
    if written.damaged_keys:
        details["damaged_keys"] = written.damaged_keys
    read_back = f"read back: SHA-256 {written.sha256} matches"
    if copy.state == CopyState.PENDING:
        event = CustodyEvent.REPLICATED
        if written.stored_now:
            detail = f"Copied to {store} as {written.key} from {source.store}, {read_back}"
        else:
            detail = f"Already in {store} as {written.key} (the same bytes), {read_back}"
        copy.state = CopyState.VERIFIED
    else:
        event = CustodyEvent.REPAIRED
        if written.stored_now:
            how = f"the good bytes were written from {source.store} as {written.key}"
        else:
            how = f"the good bytes were found at {written.key}"
        detail = f"The copy in {store} was {copy.state} ({copy.key}); {how} and {read_back}"
        if written.damaged_keys:
            detail += f"; the bytes found at {', '.join(written.damaged_keys)} are left as they were"
        changed = written.stored_now or written.key != copy.key
        copy.state = CopyState.REPAIRED if changed else CopyState.VERIFIED
        if changed:
            copy.repaired_from, copy.repairs = source.store, copy.repairs + 1
    copy.key, copy.verified_at, copy.attempts, copy.last_error, copy.due_at = written.key, now, 0, "", None
    copy.save()
    custody_append(item=item, event_type=event, agent=agent, detail=detail, details=details)
    evidence_settle_fixity(item)
    return True


@transaction.atomic
def evidence_record_copy_failures(*, item_id: int, failures: dict[str, str]) -> float:
    """Copies that could not be made good: each one's reason and count of tries, and one task for the item
    again after the shortest backoff among them. Returns that backoff in seconds."""
    copies = ArchiveCopy.objects.select_for_update().filter(evidence_id=item_id, store__in=list(failures))
    delays = []
    for copy in copies:
        if copy.state in GOOD_COPY_STATES:
            continue
        copy.attempts += 1
        copy.last_error = failures[copy.store][:4000]
        delay = _backoff_seconds(copy.attempts)
        copy.due_at = (
            timezone.now() + timedelta(seconds=delay) + timedelta(seconds=settings.SLID_RECEIVED_STALE_SECONDS)
        )
        copy.save(update_fields=["attempts", "last_error", "due_at"])
        delays.append(delay)
    if not delays:
        return 0
    enqueue_task(REPLICATE_EVIDENCE, item_id, delay_seconds=min(delays))
    return min(delays)


# --- Fixity of every copy ----------------------------------------------------------------------------------


@dataclass
class CopiesCheck:
    """One item's fixity check of every copy: how many copies were looked at, the stores whose copy failed
    (with why), those repaired since, and those still bad."""

    checked: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    repaired: list[str] = field(default_factory=list)
    still_bad: dict[str, str] = field(default_factory=dict)


def evidence_check_copies(*, item: EvidenceItem, agent: Agent, repair: bool = True) -> CopiesCheck:
    """Re-hashes each copy of the item in the configured stores (not those still waiting to be replicated),
    records each check in custody, and, with ``repair``, makes every copy that failed good again from a good
    copy. A copy that cannot be read for whatever reason is a failed check of that copy."""
    report = CopiesCheck()
    copies = ArchiveCopy.objects.filter(evidence=item, store__in=configured_stores()).exclude(state=CopyState.PENDING)
    to_check = {copy.store: copy.key for copy in copies}
    to_check.setdefault(PRIMARY_STORE, item.archive_key)  # archived before copies were recorded
    for store, key in to_check.items():
        report.checked += 1
        look = replication.look_at(storages[store], key)
        if look.error:
            look = replication.Look(error=f"The copy in {store} could not be read: {look.error}")
        held = evidence_record_fixity(
            item=item, agent=agent, sha256=look.sha256, error=look.error, store=store, missing=look.missing, key=key
        )
        if held is None:
            continue  # a repair moved the copy while it was read: its new key is checked next time
        if not held:
            report.failed[store] = look.error or ("missing" if look.missing else f"SHA-256 {look.sha256}")
    if report.failed and repair:
        made = evidence_make_copies_good(item_id=item.pk, agent=agent, stores=list(report.failed))
        report.repaired = made.written
        report.still_bad = {store: made.failed.get(store, "") for store in report.failed if store not in made.written}
    else:
        report.still_bad = dict(report.failed)
    return report


# --- The sweep, and repairing everything -------------------------------------------------------------------


def copies_backfill() -> int:
    """Records a pending copy in each configured replica for every archived item that has none there (a
    replica added later, or items archived while it was not configured). Returns how many were recorded."""
    added = 0
    with connection.cursor() as cursor:
        for store in replica_stores():
            cursor.execute(
                """INSERT INTO evidence_archivecopy
                       (evidence_id, store, key, state, attempts, last_error, repairs, repaired_from, created_at)
                   SELECT item.id, %(store)s, item.archive_key, %(pending)s, 0, '', 0, '', now()
                   FROM evidence_evidenceitem AS item
                   WHERE item.archive_key <> ''
                     AND NOT EXISTS (SELECT 1 FROM evidence_archivecopy AS copy
                                     WHERE copy.evidence_id = item.id AND copy.store = %(store)s)
                   ON CONFLICT DO NOTHING""",
                {"store": store, "pending": CopyState.PENDING},
            )
            added += cursor.rowcount
    return added


def copies_sweep(*, limit: int | None = None, now: datetime | None = None) -> list[int]:
    """Back-fills the replicas (``copies_backfill``), then sends a task for each item with a copy in a
    configured store that is not good and whose next try is due (or never was set), the longest waiting
    first, at most ``limit`` (SLID_REPLICATION_SWEEP_BATCH) items a run. Returns the items sent."""
    added = copies_backfill()
    if added:
        logger.info("Recorded %d copies to make in replicas added since the items were archived", added)
    now = now or timezone.now()
    limit = settings.SLID_REPLICATION_SWEEP_BATCH if limit is None else limit
    with transaction.atomic():
        due = (
            ArchiveCopy.objects.filter(store__in=configured_stores())
            .exclude(state__in=GOOD_COPY_STATES)
            .filter(Q(due_at__isnull=True) | Q(due_at__lte=now))
            .select_for_update(skip_locked=True)
            .order_by(F("due_at").asc(nulls_first=True), "id")
            .values_list("pk", "evidence_id")[: limit * 4]
        )
        item_ids: list[int] = []
        copy_ids = []
        for copy_id, item_id in due:
            if item_id not in item_ids:
                if len(item_ids) == limit:
                    break
                item_ids.append(item_id)
            copy_ids.append(copy_id)
        ArchiveCopy.objects.filter(pk__in=copy_ids).update(due_at=_in_flight_until())
        messages = OutboxTask.objects.bulk_create(
            OutboxTask(task=REPLICATE_EVIDENCE, args=[item_id], due_at=now) for item_id in item_ids
        )
        message_ids = [message.pk for message in messages]
        transaction.on_commit(lambda: outbox_send(task_ids=message_ids, limit=len(message_ids)), robust=True)
    return item_ids


def copies_repair_all(*, agent: Agent | None = None) -> dict[str, int]:
    """Checks every copy of every archived item now, in this process, and makes each one that is missing,
    damaged, unreadable or not yet made good from a good copy: after a restore, the primary is repaired from a
    replica this way. Returns counts: ``items``, ``copies_checked``, ``failed`` (copies that failed their
    check), ``repaired`` (copies made good: those that failed, and replicas not yet written),
    ``still_bad`` (copies that could not be made good), ``no_good_copy`` (items with no good copy at all)."""
    agent = agent or Agent.for_worker("repair_copies")
    copies_backfill()
    counts = dict.fromkeys(("items", "copies_checked", "failed", "repaired", "still_bad", "no_good_copy"), 0)
    items = EvidenceItem.objects.exclude(archive_key="").order_by("pk")
    for item in items.iterator(chunk_size=500):
        counts["items"] += 1
        check = evidence_check_copies(item=item, agent=agent, repair=False)
        counts["copies_checked"] += check.checked
        counts["failed"] += len(check.failed)
        # Every copy not good now: those that failed, and replicas not written yet.
        made = evidence_make_copies_good(item_id=item.pk, agent=agent)
        counts["repaired"] += len(made.written)
        counts["still_bad"] += len(made.failed)
        counts["no_good_copy"] += int(made.no_good_copy)
    return counts
