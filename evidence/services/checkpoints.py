"""Writing checkpoints: linking the audit log into its hash chain, building a Merkle root over every chain's
head (evidence.merkle), and storing the time-stamping authorities' tokens for it.

Building reads (item id, public id, head sequence, head hash) as tuples through a server-side cursor and
hashes in Python: a million items never become a million ORM objects."""

import logging
import struct
from array import array
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from evidence import audit_chain, merkle
from evidence.custody import GENESIS_HASH
from evidence.models import AuditEntry, AuditLink, Checkpoint, CheckpointTimestamp, CheckpointTree
from evidence.services.timestamps import timestamp_digest

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock keys: one linker of the audit log, one builder of checkpoints at a time.
AUDIT_SEAL_LOCK = 0x511D_A0D1
CHECKPOINT_LOCK = 0x511D_C4C7
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
        levels = merkle.build_levels(leaves)
        root = levels[-1][0].hex()
        previous = Checkpoint.objects.order_by("-id").first()
        base, changed = _changes_since(previous, heads, leaves)
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


def _changes_since(previous: Checkpoint | None, heads: _Heads, leaves: list[bytes]) -> tuple[Checkpoint | None, list]:
    """(base, indexes into ``heads`` of the items to record). Against the previous checkpoint's tree when it
    still reproduces that checkpoint's root and every item in it is still here; otherwise every item, with no
    base."""
    everything = (None, list(range(len(heads.ids))))
    if previous is None:
        return everything
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT item_ids, substring(levels FROM 1 FOR %s) FROM evidence_checkpointtree WHERE checkpoint_id = %s",
            [previous.tree_size * merkle.HASH_SIZE, previous.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return everything
    previous_ids = merkle.from_big_endian("q", row[0])
    previous_leaves = bytes(row[1])
    leaf_list = [previous_leaves[i : i + merkle.HASH_SIZE] for i in range(0, len(previous_leaves), merkle.HASH_SIZE)]
    if len(leaf_list) != len(previous_ids) + 1 or merkle.build_levels(leaf_list)[-1][0].hex() != previous.root:
        logger.warning("The tree kept for checkpoint %s does not reproduce its root; recording every leaf", previous.pk)
        return everything
    changed, position = [], 0
    for index, item_id in enumerate(heads.ids):
        if position < len(previous_ids) and previous_ids[position] < item_id:
            return everything  # an item of the previous checkpoint has no chain now: record everything
        if position < len(previous_ids) and previous_ids[position] == item_id:
            if leaf_list[position + 1] != leaves[index + 1]:
                changed.append(index)
            position += 1
        else:
            changed.append(index)
    if position < len(previous_ids):
        return everything
    return previous, changed


def _lock(key: int, *, wait: bool = True) -> bool:
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
        return cursor.fetchone()[0]


# --- Timestamps -------------------------------------------------------------------------------------


def checkpoint_stamp(*, checkpoint: Checkpoint) -> list[CheckpointTimestamp]:
    """Asks every configured authority (SLID_TSA_URLS) for a token over the checkpoint's root (the root itself
    is the SHA-256 message imprint), for redundancy, and stores the verified ones. A separate step from
    building, so that an authority that is down never holds a checkpoint up; a checkpoint without tokens says
    why (evidence.selectors.checkpoints.timestamp_absence). With no authority configured it asks none."""
    if not settings.SLID_TSA_URLS:
        return []
    # The authorities are asked outside any transaction: no lock is held while they answer.
    result = timestamp_digest(checkpoint.root, wanted=len(settings.SLID_TSA_URLS))
    if result.refusals:
        logger.warning("Checkpoint %s: %s", checkpoint.pk, result.summary())
    with transaction.atomic():
        return CheckpointTimestamp.objects.bulk_create(
            CheckpointTimestamp(
                checkpoint=checkpoint,
                tsa=token.tsa_url,
                token=token.der,
                serial=str(token.serial),
                time=token.gen_time,
                verified=True,
            )
            for token in result.tokens
        )
