"""Reads of checkpoints: the list, an item's inclusion proof in the latest one, and the check of every
checkpoint against today's chains (part of verify_custody)."""

import struct
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext

from evidence import merkle
from evidence.audit_chain import first_broken_audit_link
from evidence.custody import GENESIS_HASH
from evidence.models import LEAF_RECORD, AuditLink, Checkpoint, CheckpointTree, EvidenceItem
from evidence.selectors.integrity import Finding


def checkpoint_list() -> QuerySet[Checkpoint]:
    return Checkpoint.objects.defer("changes").prefetch_related("timestamps").order_by("-id")


def timestamp_absence(checkpoint: Checkpoint) -> str | None:
    """Why a checkpoint has no timestamp, in words; None when it has one."""
    if checkpoint.timestamps.all():
        return None
    if not settings.SLID_TSA_URLS:
        return gettext(
            "Not timestamped: no time-stamping authority is configured (SLID_TSA_URLS). The root is anchored only "
            "where it was published."
        )
    return gettext(
        "Not timestamped: no time-stamping authority gave a token for this root. A later checkpoint covers "
        "the same chains."
    )


# --- Inclusion proofs --------------------------------------------------------------------------------


class ProofUnavailable(Exception):
    pass


@dataclass(frozen=True)
class InclusionProof:
    checkpoint: Checkpoint
    leaf_index: int
    tree_size: int
    leaf_hash: str
    head_sequence: int
    head_hash: str  # the custody entry at head_sequence as it is today ("" if there is none)
    audit_path: list[str]
    root: str


def _kept_trees() -> QuerySet[CheckpointTree]:
    return CheckpointTree.objects.select_related("checkpoint").defer(
        "item_ids", "head_sequences", "levels", "checkpoint__changes"
    )


def latest_proof_checkpoint() -> Checkpoint | None:
    """The checkpoint inclusion proofs are of now: the latest one, whose tree is kept."""
    tree = _kept_trees().order_by("-checkpoint_id").first()
    return tree.checkpoint if tree else None


def inclusion_proof(*, item: EvidenceItem, checkpoint: Checkpoint | None = None) -> InclusionProof:
    """The proof that the item's chain head is leaf ``leaf_index`` of the latest checkpoint (RFC 9162
    §2.1.3), or of ``checkpoint`` while its tree is kept (a package gives every item's proof in one
    checkpoint, even if another is built meanwhile). Reads a few slices of the kept tree: four small
    queries, whatever the number of items."""
    trees = _kept_trees() if checkpoint is None else _kept_trees().filter(checkpoint=checkpoint)
    tree = trees.order_by("-checkpoint_id").first()
    if tree is None and checkpoint is not None:
        raise ProofUnavailable(
            gettext("The tree of checkpoint %(id)s is no longer kept: proofs are of the newest checkpoints only.")
            % {"id": checkpoint.pk}
        )
    if tree is None:
        raise ProofUnavailable(gettext("No checkpoint has been built yet."))
    checkpoint = tree.checkpoint
    samples = merkle.from_big_endian("q", tree.id_samples)
    block = bisect_right(samples, item.pk) - 1
    if block < 0:
        raise ProofUnavailable(_not_in(checkpoint))
    block_start = block * CheckpointTree.SAMPLE_EVERY
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT substring(item_ids FROM %s FOR %s) FROM evidence_checkpointtree WHERE checkpoint_id = %s",
            [block_start * 8 + 1, CheckpointTree.SAMPLE_EVERY * 8, checkpoint.pk],
        )
        ids = merkle.from_big_endian("q", cursor.fetchone()[0])
        offset = bisect_left(ids, item.pk)
        if offset == len(ids) or ids[offset] != item.pk:
            raise ProofUnavailable(_not_in(checkpoint))
        leaf_index = block_start + offset + 1  # leaf 0 is the audit log's
        level_starts = _level_starts(checkpoint.tree_size)
        wanted = [(0, leaf_index), *merkle.path_positions(checkpoint.tree_size, leaf_index)]
        slices = ", ".join(["substring(levels FROM %s FOR 32)"] * len(wanted))
        cursor.execute(
            f"SELECT substring(head_sequences FROM %s FOR 4), {slices} "  # noqa: S608 - placeholders only
            "FROM evidence_checkpointtree WHERE checkpoint_id = %s",
            [
                (leaf_index - 1) * 4 + 1,
                *((level_starts[level] + position) * merkle.HASH_SIZE + 1 for level, position in wanted),
                checkpoint.pk,
            ],
        )
        sequence_bytes, leaf, *path = cursor.fetchone()
    (head_sequence,) = struct.unpack(">I", bytes(sequence_bytes))
    head_hash = item.custody.filter(sequence=head_sequence).values_list("entry_hash", flat=True).first() or ""
    return InclusionProof(
        checkpoint=checkpoint,
        leaf_index=leaf_index,
        tree_size=checkpoint.tree_size,
        leaf_hash=bytes(leaf).hex(),
        head_sequence=head_sequence,
        head_hash=head_hash,
        audit_path=[bytes(node).hex() for node in path],
        root=checkpoint.root,
    )


def _level_starts(size: int) -> list[int]:
    starts, total = [], 0
    for level_size in merkle.level_sizes(size):
        starts.append(total)
        total += level_size
    return starts


def _not_in(checkpoint: Checkpoint) -> str:
    return gettext(
        "The item is not in the latest checkpoint (%(id)s, %(time)s UTC): it was received after it. The next "
        "checkpoint is built within %(minutes)s minutes."
    ) % {
        "id": checkpoint.pk,
        "time": checkpoint.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "minutes": settings.SLID_CHECKPOINT_MINUTES,
    }


# --- Checking checkpoints against today's chains ------------------------------------------------------


@dataclass
class CheckpointReport:
    checkpoints_checked: int = 0
    audit_links_checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    today_roots: dict[int, str] = field(default_factory=dict)  # checkpoint id -> the root today's chains give


def _when(checkpoint: Checkpoint) -> str:
    return f"checkpoint {checkpoint.pk} ({checkpoint.created_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC)"


def checkpoint_records(checkpoint: Checkpoint) -> Iterator[tuple[int, int, bytes]]:
    """(item id, head sequence, head hash) of each leaf the checkpoint records (its changes since its base)."""
    changes = bytes(checkpoint.changes)
    for start in range(0, len(changes), LEAF_RECORD):
        item_id, sequence = struct.unpack_from(">qI", changes, start)
        yield item_id, sequence, changes[start + 12 : start + LEAF_RECORD]


def _entry_hashes_today(records: list[tuple[int, int, bytes]]) -> dict[tuple[int, int], bytes]:
    if not records:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.evidence_id, c.sequence, decode(c.entry_hash, 'hex') FROM evidence_custodyentry AS c
               JOIN unnest(%s::bigint[], %s::int[]) AS wanted(item, sequence)
                 ON c.evidence_id = wanted.item AND c.sequence = wanted.sequence""",
            [[item for item, _, _ in records], [sequence for _, sequence, _ in records]],
        )
        return {(item, sequence): bytes(entry_hash) for item, sequence, entry_hash in cursor.fetchall()}


def _audit_hash_today(position: int) -> str | None:
    if position == 0:
        return GENESIS_HASH
    return AuditLink.objects.filter(position=position).values_list("link_hash", flat=True).first()


def checkpoints_check(*, case_reference: str | None = None) -> CheckpointReport:
    """Every checkpoint, oldest first, against today's chains: each leaf it recorded must be the hash of the
    same custody entry today, the audit log's head it recorded must be the same link today, and today's
    chains must reproduce its root. One finding per rewritten head, naming the item and the checkpoint that
    recorded it; a root that is not reproduced although every leaf matches (the checkpoint's own records
    were changed) names the checkpoint. With a case, only that case's items are checked (the audit log and
    the roots cover every case, and are checked without one)."""
    report = CheckpointReport()
    items = EvidenceItem.objects.all()
    if case_reference is not None:
        items = items.filter(case__reference=case_reference)
    known = {item_id: (label.bytes, ern) for item_id, label, ern in items.values_list("id", "public_id", "ern")}
    if case_reference is None:
        report.findings.extend(_audit_findings(report))
    tree = merkle.IncrementalTree([bytes(32)])  # leaf 0, the audit log's, is set for each checkpoint
    order: list[int] = []  # item ids, ascending: item order[i] is leaf i + 1
    mismatched: set[int] = set()
    previous_id = None
    for checkpoint in Checkpoint.objects.order_by("id").iterator(chunk_size=1):
        report.checkpoints_checked += 1
        if checkpoint.base_id is None:
            tree, order, mismatched = merkle.IncrementalTree([bytes(32)]), [], set()
        elif checkpoint.base_id != previous_id:
            problem = f"records its leaves as changes to checkpoint {checkpoint.base_id}, not to the one before it"
            report.findings.append(Finding(_when(checkpoint).capitalize(), problem, "checkpoint"))
        previous_id = checkpoint.pk
        records = list(checkpoint_records(checkpoint))
        order, tree = _place_new_items(order, tree, records)
        positions = {item_id: index + 1 for index, item_id in enumerate(order)}
        today = _entry_hashes_today(records)
        for item_id, sequence, recorded in records:
            label, ern = known.get(item_id, (bytes(16), None))
            now = today.get((item_id, sequence))
            tree.set(positions[item_id], merkle.leaf_hash(label, now or bytes(32)))
            if now == recorded:
                mismatched.discard(item_id)
                continue
            mismatched.add(item_id)
            if ern is None and case_reference is not None:
                continue  # another case's item
            problem = _rewritten(checkpoint, sequence, recorded, now)
            report.findings.append(Finding(ern or f"item {item_id}", problem, "checkpoint"))
        if case_reference is not None:
            continue
        audit_today = _audit_hash_today(checkpoint.audit_position)
        tree.set(0, merkle.leaf_hash(merkle.AUDIT_LABEL, bytes.fromhex(audit_today or GENESIS_HASH)))
        today_root = report.today_roots[checkpoint.pk] = tree.root().hex()
        if audit_today != checkpoint.audit_head:
            problem = (
                f"{_when(checkpoint)} recorded link {checkpoint.audit_position} of the audit log's chain as its head, "
                f"with hash {checkpoint.audit_head}; today it is {audit_today or 'missing'}: the audit log was "
                "rewritten after the checkpoint"
            )
            report.findings.append(Finding("audit log", problem, "checkpoint"))
        elif not mismatched and (len(tree) != checkpoint.tree_size or today_root != checkpoint.root):
            problem = (
                f"today's chains give {len(tree)} leaves and root {today_root}, not the {checkpoint.tree_size} "
                f"leaves and root {checkpoint.root} it recorded: its records were changed"
            )
            report.findings.append(Finding(_when(checkpoint).capitalize(), problem, "checkpoint"))
    return report


def _place_new_items(
    order: list[int], tree: merkle.IncrementalTree, records: list[tuple[int, int, bytes]]
) -> tuple[list[int], merkle.IncrementalTree]:
    """Items a checkpoint records for the first time go after the others (items are received in ascending
    id); one committed late, below an item already in, puts the leaves in order again and rebuilds."""
    known = set(order)
    new = sorted(item_id for item_id, _, _ in records if item_id not in known)
    if not new:
        return order, tree
    if order and new[0] < order[-1]:
        leaves = dict(zip(order, tree.levels[0][1:], strict=True))
        order = sorted([*order, *new])
        in_order = [leaves.get(item_id, bytes(32)) for item_id in order]
        return order, merkle.IncrementalTree([tree.levels[0][0], *in_order])
    for item_id in new:
        order.append(item_id)
        tree.set(len(tree), bytes(32))  # set to its real leaf by the caller
    return order, tree


def _rewritten(checkpoint: Checkpoint, sequence: int, recorded: bytes, now: bytes | None) -> str:
    today = (
        f"today that entry's hash is {now.hex()}: the chain was rewritten after the checkpoint"
        if now
        else "today there is no such entry: the chain was cut after the checkpoint"
    )
    return (
        f"{_when(checkpoint)} recorded custody entry {sequence} as the head of its chain, with hash "
        f"{recorded.hex()}; {today}"
    )


def _audit_findings(report: CheckpointReport) -> Iterator[Finding]:
    links = AuditLink.objects.select_related("entry").order_by("position").iterator(chunk_size=2000)

    def counted():
        for link in links:
            report.audit_links_checked += 1
            yield link

    broken = first_broken_audit_link(counted())
    if broken:
        position, reason = broken
        yield Finding("audit log", f"link {position}: {reason}", "audit")
