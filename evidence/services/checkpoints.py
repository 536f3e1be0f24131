"""Writing checkpoints: linking the audit log into its hash chain, building a Merkle root over every chain's
head (evidence.merkle), and storing the time-stamping authorities' tokens for it (TimestampToken rows with
their ``checkpoint`` set), or, when they gave none, their reasons in the audit log.

Building reads (item id, public id, head sequence, head hash) as tuples through a server-side cursor and
hashes in Python: a million items never become a million ORM objects."""

import logging
import struct
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from evidence import audit_chain, merkle
from evidence.custody import GENESIS_HASH
from evidence.models import AuditAction, AuditEntry, AuditLink, Checkpoint, CheckpointTree, TimestampToken
from evidence.services.audit import audit_record
from evidence.services.timestamps import timestamp_digest, timestamp_token_row, timestamps_not_configured_reason
from evidence.timestamping import Refusal, StampResult

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock keys: one linker of the audit log, one builder of checkpoints at a time.
AUDIT_SEAL_LOCK = 0x511D_A0D1
CHECKPOINT_LOCK = 0x511D_C4C7
# A session lock (pg_try_advisory_lock): one stamper of checkpoints at a time, the build's or the sweep's.
CHECKPOINT_STAMP_LOCK = 0x511D_C4C8
AUDIT_SEAL_BATCH = 5000
FETCH_BATCH = 50_000
# How many recent checkpoints keep their tree for proofs (the newest; and the one before, for a request
# that began just before a new one was built).
TREES_KEPT = 2

HEADS_SQL = """
SELECT item.id, uuid_send(item.public_id), head.sequence, decode(head.entry_hash, 'hex')
FROM evidence_evidenceitem AS item
JOIN LATERAL (
    SELECT sequence, entry_hash FROM evidence_custodyentry
    WHERE evidence_id = item.id ORDER BY sequence DESC LIMIT 1
) AS head ON true
ORDER BY item.id
"""


def audit_seal() -> int:
    """Links every audit entry not yet in the audit log's chain, in the order of their ids; returns how many.
    Entries are linked afterwards rather than as they are written, so that audited requests never wait for
    one another; a checkpoint links them first, so it covers every entry committed before it."""
    linked = 0
    while True:
        with transaction.atomic():
            _lock(AUDIT_SEAL_LOCK)
            last = AuditLink.objects.order_by("-position").values_list("position", "link_hash").first()
            position, previous = last or (0, GENESIS_HASH)
            entries = list(AuditEntry.objects.filter(link__isnull=True).order_by("id")[:AUDIT_SEAL_BATCH])
            links = []
            for entry in entries:
                position += 1
                fields = audit_chain.link_fields(entry, position=position, previous_hash=previous)
                link = AuditLink(entry=entry, position=position, previous_hash=previous)
                link.link_hash = previous = audit_chain.link_hash(fields)
                links.append(link)
            AuditLink.objects.bulk_create(links)
        linked += len(links)
        if len(entries) < AUDIT_SEAL_BATCH:
            return linked


@dataclass
class _Heads:
    """Every item's chain head, in ascending item id, as compact arrays."""

    ids: array
    sequences: array
    heads: list[bytes]
    labels: list[bytes]


def _read_heads() -> _Heads:
    heads = _Heads(ids=array("q"), sequences=array("L"), heads=[], labels=[])
    with connection.chunked_cursor() as cursor:
        cursor.execute(HEADS_SQL)
        while rows := cursor.fetchmany(FETCH_BATCH):
            for item_id, label, sequence, head in rows:
                heads.ids.append(item_id)
                heads.sequences.append(sequence)
                heads.heads.append(bytes(head))
                heads.labels.append(bytes(label))
    return heads


def checkpoint_build() -> Checkpoint | None:
    """Links the audit log, then records a checkpoint of every chain's head, with the tree kept for proofs.
    When nothing changed since the latest checkpoint (no chain moved, no item came, no audit entry), records
    nothing and returns that one: an hourly build of a million items writes its tree only when it must.
    None when another build holds the lock (two beats at once, or a run by hand)."""
    audit_seal()
    with transaction.atomic():
        if not _lock(CHECKPOINT_LOCK, wait=False):
            return None
        created_at = timezone.now()
        audit = AuditLink.objects.order_by("-position").values_list("position", "link_hash").first()
        audit_position, audit_head = audit or (0, GENESIS_HASH)
        heads = _read_heads()
        leaves = [merkle.leaf_hash(merkle.AUDIT_LABEL, bytes.fromhex(audit_head))]
        leaves.extend(map(merkle.leaf_hash, heads.labels, heads.heads))
        previous = Checkpoint.objects.defer("changes").order_by("-id").first()
        base, changed, anomaly = _changes_since(previous, heads, leaves)
        if anomaly:
            # Tampering, or a bug: either way the operator must hear of it (health, the audit log), and the
            # new checkpoint records every leaf so that it does not rest on the doubtful one.
            logger.error("Checkpoint %s: %s; recording every leaf", previous.pk, anomaly)
            audit_record(
                actor=None,
                case=None,
                action=AuditAction.CHECKPOINT_ANOMALY,
                target=f"checkpoint {previous.pk}",
                details={"checkpoint": previous.pk, "problem": anomaly},
            )
        elif base is not None and not changed and base.audit_position == audit_position:
            logger.info("Checkpoint %s still holds: nothing changed since, nothing recorded", base.pk)
            return base
        levels = merkle.build_levels(leaves)
        root = levels[-1][0].hex()
        changes = b"".join(
            struct.pack(">qI", heads.ids[index], heads.sequences[index]) + heads.heads[index] for index in changed
        )
        checkpoint = Checkpoint.objects.create(
            created_at=created_at,
            tree_size=len(leaves),
            root=root,
            audit_position=audit_position,
            audit_head=audit_head,
            base=base,
            changes=changes,
            changed_leaves=len(changed),
            stamp_wanted=bool(settings.SLID_TSA_URLS),
        )
        CheckpointTree.objects.create(
            checkpoint=checkpoint,
            item_ids=merkle.to_big_endian(heads.ids),
            id_samples=merkle.to_big_endian(heads.ids[:: CheckpointTree.SAMPLE_EVERY]),
            head_sequences=merkle.to_big_endian(array("I", heads.sequences)),
            levels=merkle.pack(levels),
        )
        kept = Checkpoint.objects.order_by("-id").values_list("id", flat=True)[:TREES_KEPT]
        CheckpointTree.objects.exclude(checkpoint__in=list(kept)).delete()
    logger.info("Checkpoint %s: %d leaves, %d changed, root %s", checkpoint.pk, len(leaves), len(changed), root)
    return checkpoint


def _changes_since(
    previous: Checkpoint | None, heads: _Heads, leaves: list[bytes]
) -> tuple[Checkpoint | None, list[int], str]:
    """(base, indexes into ``heads`` of the items to record, the anomaly found or ""). Against the previous
    checkpoint's tree when it still reproduces that checkpoint's root and every item in it is still here;
    otherwise every item, with no base, and the anomaly in words."""
    everything = list(range(len(heads.ids)))
    if previous is None:
        return None, everything, ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT item_ids, substring(levels FROM 1 FOR %s) FROM evidence_checkpointtree WHERE checkpoint_id = %s",
            [previous.tree_size * merkle.HASH_SIZE, previous.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return None, everything, "the tree kept for it is gone"
    previous_ids = merkle.from_big_endian("q", row[0])
    previous_leaves = bytes(row[1])
    leaf_list = [previous_leaves[i : i + merkle.HASH_SIZE] for i in range(0, len(previous_leaves), merkle.HASH_SIZE)]
    if len(leaf_list) != len(previous_ids) + 1 or merkle.build_levels(leaf_list)[-1][0].hex() != previous.root:
        return None, everything, "the tree kept for it does not reproduce its root"
    changed, position = [], 0
    for index, item_id in enumerate(heads.ids):
        if position < len(previous_ids) and previous_ids[position] < item_id:
            return None, everything, f"item {previous_ids[position]}, in it, has no chain of custody now"
        if position < len(previous_ids) and previous_ids[position] == item_id:
            if leaf_list[position + 1] != leaves[index + 1]:
                changed.append(index)
            position += 1
        else:
            changed.append(index)
    if position < len(previous_ids):
        return None, everything, f"item {previous_ids[position]}, in it, has no chain of custody now"
    return previous, changed, ""


def _lock(key: int, *, wait: bool = True) -> bool:
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
        return cursor.fetchone()[0]


# --- Timestamps -------------------------------------------------------------------------------------


def checkpoint_stamp(*, checkpoint: Checkpoint) -> list[TimestampToken]:
    """Asks every configured authority (SLID_TSA_URLS) for a token over the checkpoint's root (the root itself
    is the SHA-256 message imprint), for redundancy, and stores what they gave: the verified tokens, and a
    token that came but did not verify with its reason. When any authority gave none, its reason goes in the
    audit log (``checkpoint.not_stamped``), which the next checkpoint covers. A separate step from building,
    so that an authority that is down never holds a checkpoint up; the sweep (checkpoints_stamp_sweep) asks
    again. With no authority configured it asks none; while another stamping runs, it asks none either.
    Returns the verified tokens stored."""
    if not settings.SLID_TSA_URLS:
        return []
    with _stamp_lock() as locked:
        if not locked:
            logger.info("Checkpoint %s: another stamping runs; the sweep stamps it if that one does not", checkpoint.pk)
            return []
        return _stamp(checkpoint)


def _stamp(checkpoint: Checkpoint) -> list[TimestampToken]:
    # The authorities are asked outside any transaction: no lock on a row is held while they answer.
    try:
        result = timestamp_digest(checkpoint.root, wanted=len(settings.SLID_TSA_URLS))
    except Exception as error:  # noqa: BLE001 - whatever went wrong is recorded as the reason, never lost
        logger.exception("Checkpoint %s: the authorities could not be asked", checkpoint.pk)
        result = StampResult(refusals=[Refusal(tsa_url="(all)", reason=f"{type(error).__name__}: {error}")])
    verified = [token for token in result.tokens if token.sha256 == checkpoint.root]
    rows = [_checkpoint_row(checkpoint, token, verified=True) for token in verified]
    for refusal in result.refusals:
        if refusal.token is not None and refusal.token.sha256 and len(refusal.token.sha256) == 64:
            row = _checkpoint_row(checkpoint, refusal.token, verified=False)
            row.refusal = refusal.reason[:4000]
            rows.append(row)
    with transaction.atomic():
        stored = TimestampToken.objects.bulk_create(rows)
        if result.refusals:
            logger.warning("Checkpoint %s: %s", checkpoint.pk, result.summary())
            audit_record(
                actor=None,
                case=None,
                action=AuditAction.CHECKPOINT_NOT_STAMPED,
                target=f"checkpoint {checkpoint.pk}",
                details={
                    "checkpoint": checkpoint.pk,
                    "root": checkpoint.root,
                    "tokens": len(verified),
                    "refusals": [{"tsa": r.tsa_url, "reason": r.reason[:1000]} for r in result.refusals],
                },
            )
    return [row for row in stored if row.verified]


def _checkpoint_row(checkpoint: Checkpoint, token, *, verified: bool) -> TimestampToken:
    # The one row builder of tokens (evidence.services.timestamps), for a checkpoint rather than an item.
    return timestamp_token_row(token, verified=verified, checkpoint=checkpoint)


def checkpoints_stamp_sweep() -> list[int]:
    """Stamps the checkpoints of the last SLID_CHECKPOINT_STAMP_HOURS that have no verified token (the
    authorities were down, or the worker died between building and stamping), newest first; stops at the
    first that gets none (asking for the older ones would only wait on the same authorities again). Older
    checkpoints are left as they are: a token much later than its checkpoint proves little, and
    verify_custody reports one. Returns the checkpoints that got a token."""
    if timestamps_not_configured_reason():
        return []
    since = timezone.now() - timedelta(hours=settings.SLID_CHECKPOINT_STAMP_HOURS)
    stamped = []
    with _stamp_lock() as locked:
        if not locked:
            return []
        unstamped = (
            Checkpoint.objects.filter(created_at__gte=since)
            .exclude(timestamps__verified=True)
            .defer("changes")
            .order_by("-id")
        )
        for checkpoint in unstamped:
            if not _stamp(checkpoint):
                break
            stamped.append(checkpoint.pk)
    return stamped


@contextmanager
def _stamp_lock() -> Iterator[bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [CHECKPOINT_STAMP_LOCK])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [CHECKPOINT_STAMP_LOCK])
