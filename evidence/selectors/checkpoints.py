"""Reads of checkpoints: the list, an item's inclusion proof in the latest one, the check of every
checkpoint against today's chains and of every stored timestamp token (part of verify_custody), and the
checkpoints' part of the health report."""

import hashlib
import logging
import struct
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from evidence import merkle
from evidence.audit_chain import first_broken_audit_link
from evidence.custody import GENESIS_HASH
from evidence.models import (
    LEAF_RECORD,
    AuditAction,
    AuditEntry,
    AuditLink,
    Checkpoint,
    CheckpointTree,
    CustodyEntry,
    CustodyEvent,
    EvidenceItem,
    TimestampToken,
)
from evidence.selectors.integrity import Finding
from evidence.timestamping import TrustRootsError, load_roots, verify_token

logger = logging.getLogger(__name__)

# An item's `received` entry may predate the checkpoint before the one that first holds it by this much: a
# receipt whose transaction was still open while that checkpoint read the chains. More is a backdated item.
RECEIPT_MARGIN = timedelta(minutes=10)
# A checkpoint's token may state a time a little before the checkpoint (the authority's clock and ours).
CLOCK_MARGIN = timedelta(minutes=5)
# The health report raises the alarm over an anomaly a build found this recently.
ANOMALY_ALARM = timedelta(days=7)


def checkpoint_list() -> QuerySet[Checkpoint]:
    tokens = TimestampToken.objects.only(
        "id", "checkpoint_id", "tsa_url", "gen_time", "serial", "verified", "token"
    ).order_by("gen_time", "id")
    return Checkpoint.objects.defer("changes").prefetch_related(Prefetch("timestamps", queryset=tokens)).order_by("-id")


def timestamp_absence(checkpoint: Checkpoint) -> str | None:
    """Why a checkpoint has no verified timestamp, in words; None when it has one."""
    if any(token.verified for token in checkpoint.timestamps.all()):
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
    holds: bool  # leaf_hash is H(0x00 || label || head_hash): that entry is unchanged since the checkpoint
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
    queries, whatever the number of items. The kept tree is derived data the app can write, so the path is
    checked against the checkpoint's root (which is append-only) before it is answered; ``holds`` says
    whether the leaf is still today's chain head."""
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
    leaf, path = bytes(leaf), [bytes(node) for node in path]
    if merkle.root_from_path(leaf_index, checkpoint.tree_size, leaf, path) != bytes.fromhex(checkpoint.root):
        logger.error("The tree kept for checkpoint %s does not give its root for leaf %s", checkpoint.pk, leaf_index)
        raise ProofUnavailable(
            gettext(
                "The tree kept for checkpoint %(id)s does not reproduce its root, so no proof is given from it. "
                "Run verify_custody; the next checkpoint keeps a new tree."
            )
            % {"id": checkpoint.pk}
        )
    head_hash = item.custody.filter(sequence=head_sequence).values_list("entry_hash", flat=True).first() or ""
    holds = bool(head_hash) and merkle.leaf_hash(item.public_id.bytes, bytes.fromhex(head_hash)) == leaf
    return InclusionProof(
        checkpoint=checkpoint,
        leaf_index=leaf_index,
        tree_size=checkpoint.tree_size,
        leaf_hash=leaf.hex(),
        head_sequence=head_sequence,
        head_hash=head_hash,
        holds=holds,
        audit_path=[node.hex() for node in path],
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
    tokens_checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # what weakens the anchoring without showing tampering
    today_roots: dict[int, str] = field(default_factory=dict)  # checkpoint id -> the root today's chains give


def _when(checkpoint: Checkpoint) -> str:
    return f"checkpoint {checkpoint.pk} ({_utc(checkpoint.created_at)} UTC)"


def _subject(checkpoint: Checkpoint) -> str:
    when = _when(checkpoint)
    return when[0].upper() + when[1:]


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}"


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


def _received_at(item_ids: list[int]) -> dict[int, datetime]:
    """When each item's chain says it was received (its first entry)."""
    if not item_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT evidence_id, occurred_at FROM evidence_custodyentry WHERE sequence = 1 AND evidence_id = ANY(%s)",
            [item_ids],
        )
        return dict(cursor.fetchall())


def _audit_hash_today(position: int) -> str | None:
    if position == 0:
        return GENESIS_HASH
    return AuditLink.objects.filter(position=position).values_list("link_hash", flat=True).first()


def checkpoints_check(*, case_reference: str | None = None) -> CheckpointReport:
    """Every checkpoint, oldest first, against today's chains: each leaf it recorded must be the hash of the
    same custody entry today, the audit log's head it recorded must be the same link today, and today's
    chains must reproduce its root. One finding per rewritten head, naming the item and the checkpoint that
    recorded it; a root that is not reproduced although every leaf matches (the checkpoint's own records
    were changed) names the checkpoint; so do a gap in the checkpoints' ids and an item that first appears
    in a checkpoint although its chain says it was received before the checkpoint before (a backdated item:
    its presence is proven only from the checkpoint that first holds it). Then every stored timestamp token
    (checkpoint_tokens_check, evidence_tokens_check). With a case, only that case's items and tokens are
    checked (the audit log, the roots and their tokens cover every case, and are checked without one)."""
    report = CheckpointReport()
    items = EvidenceItem.objects.all()
    if case_reference is not None:
        items = items.filter(case__reference=case_reference)
    known = {item_id: (label.bytes, ern) for item_id, label, ern in items.values_list("id", "public_id", "ern")}
    if case_reference is None:
        report.findings.extend(_audit_findings(report))
    tree = merkle.IncrementalTree([bytes(32)])  # leaf 0, the audit log's, is set for each checkpoint
    order: list[int] = []  # item ids, ascending: item order[i] is leaf i + 1
    positions: dict[int, int] = {}  # item id -> its leaf
    seen: set[int] = set()  # every item some checkpoint held, across checkpoints without a base
    mismatched: set[int] = set()
    previous: Checkpoint | None = None
    for checkpoint in Checkpoint.objects.order_by("id").iterator(chunk_size=1):
        report.checkpoints_checked += 1
        if previous is not None and checkpoint.pk != previous.pk + 1 and case_reference is None:
            missing = f"{previous.pk + 1}" + (f" to {checkpoint.pk - 1}" if checkpoint.pk > previous.pk + 2 else "")
            problem = f"comes after checkpoint {previous.pk}: checkpoint {missing} is missing (deleted?)"
            report.findings.append(Finding(_subject(checkpoint), problem, "checkpoint"))
        if checkpoint.base_id is None:
            tree, order, positions, mismatched = merkle.IncrementalTree([bytes(32)]), [], {}, set()
        elif previous is None or checkpoint.base_id != previous.pk:
            problem = f"records its leaves as changes to checkpoint {checkpoint.base_id}, not to the one before it"
            report.findings.append(Finding(_subject(checkpoint), problem, "checkpoint"))
        records = list(checkpoint_records(checkpoint))
        order, tree = _place_new_items(order, positions, tree, records)
        today = _entry_hashes_today(records)
        new = [item_id for item_id, _, _ in records if item_id not in seen]
        if previous is not None:
            report.findings.extend(_backdated(checkpoint, previous, new, known, case_reference))
        seen.update(new)
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
        previous = checkpoint
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
            report.findings.append(Finding(_subject(checkpoint), problem, "checkpoint"))
    roots = _trust_roots(report)
    if case_reference is None:
        checkpoint_tokens_check(report, roots=roots)
    evidence_tokens_check(report, roots=roots, case_reference=case_reference)
    return report


def _backdated(
    checkpoint: Checkpoint, previous: Checkpoint, new: list[int], known: dict, case_reference: str | None
) -> Iterator[Finding]:
    received = _received_at(new)
    for item_id in new:
        label, ern = known.get(item_id, (None, None))
        if ern is None and case_reference is not None:
            continue
        at = received.get(item_id)
        if at is not None and at < previous.created_at - RECEIPT_MARGIN:
            yield Finding(
                ern or f"item {item_id}",
                f"first appears in {_when(checkpoint)}, but its chain says it was received at {_utc(at)} UTC, "
                f"before {_when(previous)}, which does not hold it: it was inserted with a backdated receipt. "
                f"Its presence is proven only from {_when(checkpoint)}",
                "checkpoint",
            )


def _place_new_items(
    order: list[int], positions: dict[int, int], tree: merkle.IncrementalTree, records: list[tuple[int, int, bytes]]
) -> tuple[list[int], merkle.IncrementalTree]:
    """Items a checkpoint records for the first time go after the others (items are received in ascending
    id), their leaves added to ``positions``; one committed late, below an item already in, puts the leaves
    in order again and rebuilds (the only step that costs as many steps as there are items)."""
    new = sorted(item_id for item_id, _, _ in records if item_id not in positions)
    if not new:
        return order, tree
    if order and new[0] < order[-1]:
        leaves = dict(zip(order, tree.levels[0][1:], strict=True))
        order = sorted([*order, *new])
        positions.clear()
        positions.update((item_id, index + 1) for index, item_id in enumerate(order))
        in_order = [leaves.get(item_id, bytes(32)) for item_id in order]
        return order, merkle.IncrementalTree([tree.levels[0][0], *in_order])
    for item_id in new:
        order.append(item_id)
        positions[item_id] = len(tree)
        tree.set(len(tree), bytes(32))  # set to its real leaf by the caller
    return order, tree


# --- Checking the stored timestamp tokens --------------------------------------------------------------


def _trust_roots(report: CheckpointReport) -> tuple | None:
    if not settings.SLID_TSA_ROOTS:
        return None
    try:
        return load_roots(tuple(settings.SLID_TSA_ROOTS))
    except TrustRootsError as error:
        report.notices.append(f"Timestamp tokens were not checked: {error}")
        return None


def checkpoint_tokens_check(report: CheckpointReport, *, roots: tuple | None) -> None:
    """Each verified token of a checkpoint must verify again over its checkpoint's root as stored today
    (imprint, signature, chain to SLID_TSA_ROOTS) and state a time no later than SLID_CHECKPOINT_STAMP_HOURS
    after the checkpoint (nothing stamps later: a later token is over a root written later); a checkpoint
    built while an authority was configured must have one once that time has passed."""
    tokens = (
        TimestampToken.objects.filter(checkpoint__isnull=False, verified=True)
        .order_by("checkpoint_id", "id")
        .values_list("checkpoint_id", "checkpoint__root", "checkpoint__created_at", "tsa_url", "token", "gen_time")
    )
    window = timedelta(hours=settings.SLID_CHECKPOINT_STAMP_HOURS)
    unchecked = 0
    for checkpoint_id, root, created_at, tsa_url, der, gen_time in tokens.iterator(chunk_size=200):
        where = f"Checkpoint {checkpoint_id} ({_utc(created_at)} UTC)"
        if not created_at - CLOCK_MARGIN <= gen_time <= created_at + window + CLOCK_MARGIN:
            report.findings.append(
                Finding(
                    where,
                    f"its token from {tsa_url} states {_utc(gen_time)} UTC, not within "
                    f"{settings.SLID_CHECKPOINT_STAMP_HOURS} hours after the checkpoint: a token asked for a root "
                    "written later",
                    "token",
                )
            )
        if roots is None:
            unchecked += 1
            continue
        report.tokens_checked += 1
        try:
            verify_token(bytes(der), root, roots=roots, tsa_url=tsa_url)
        except Exception as error:  # noqa: BLE001 - whatever keeps it from verifying is the finding
            report.findings.append(
                Finding(where, f"its token from {tsa_url} does not hold over its root {root}: {error}", "token")
            )
    if unchecked:
        report.notices.append(
            f"{unchecked} checkpoint token(s) were not verified again: SLID_TSA_ROOTS names no trust root."
        )
    late = (
        Checkpoint.objects.filter(stamp_wanted=True, created_at__lt=timezone.now() - window - CLOCK_MARGIN)
        .exclude(timestamps__verified=True)
        .order_by("id")
        .values_list("id", "created_at")
    )
    refused = _stamp_refusals()
    for checkpoint_id, created_at in late:
        reason = refused.get(checkpoint_id)
        where = f"Checkpoint {checkpoint_id} ({_utc(created_at)} UTC)"
        if reason:
            report.notices.append(f"{where} has no token: {reason}")
        else:
            problem = (
                "was built while a time-stamping authority was configured, and has no token and no refusal "
                "recorded: its tokens were removed, or no worker stamped it"
            )
            report.findings.append(Finding(where, problem, "token"))


def _stamp_refusals() -> dict[int, str]:
    """The latest reasons the audit log holds, per checkpoint, why the authorities gave no token."""
    reasons: dict[int, str] = {}
    entries = AuditEntry.objects.filter(action=AuditAction.CHECKPOINT_NOT_STAMPED).order_by("id")
    for details in entries.values_list("details", flat=True).iterator(chunk_size=1000):
        refusals = "; ".join(f"{r.get('tsa')}: {r.get('reason')}" for r in details.get("refusals", []))
        reasons[details.get("checkpoint")] = refusals or "no reason recorded"
    return reasons


def evidence_tokens_check(report: CheckpointReport, *, roots: tuple | None, case_reference: str | None) -> None:
    """Each verified token of an evidence file must verify again over the item's SHA-256, and be the token
    its custody's ``timestamped`` entry names (``token_sha256``); each such entry must name a stored token."""
    scope = "" if case_reference is None else "AND i.case_id = (SELECT id FROM evidence_case WHERE reference = %s)"
    params = [] if case_reference is None else [case_reference]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT i.ern, c.sequence, c.details->>'token_sha256' FROM evidence_custodyentry AS c
                JOIN evidence_evidenceitem AS i ON i.id = c.evidence_id
                WHERE c.event_type = %s {scope} AND NOT EXISTS (
                    SELECT 1 FROM evidence_timestamptoken AS t WHERE t.evidence_id = c.evidence_id
                    AND t.verified AND encode(sha256(t.token), 'hex') = c.details->>'token_sha256')
                ORDER BY i.ern, c.sequence""",  # noqa: S608 - a fixed clause, values as parameters
            [CustodyEvent.TIMESTAMPED, *params],
        )
        for ern, sequence, token_sha256 in cursor.fetchall():
            problem = f"custody entry {sequence} (timestamped) names token {token_sha256}; no such token is stored"
            report.findings.append(Finding(ern, problem, "token"))
    tokens = TimestampToken.objects.filter(evidence__isnull=False, verified=True)
    if case_reference is not None:
        tokens = tokens.filter(evidence__case__reference=case_reference)
    rows = tokens.order_by("evidence_id", "id").values_list("id", "evidence_id", "evidence__ern", "evidence__sha256",
                                                            "tsa_url", "token")  # fmt: skip
    batch: list[tuple] = []
    for row in rows.iterator(chunk_size=500):
        batch.append(row)
        if len(batch) == 500:
            _check_evidence_tokens(report, batch, roots=roots)
            batch = []
    _check_evidence_tokens(report, batch, roots=roots)


def _check_evidence_tokens(report: CheckpointReport, rows: list[tuple], *, roots: tuple | None) -> None:
    if not rows:
        return
    named = set(
        CustodyEntry.objects.filter(
            evidence_id__in={row[1] for row in rows}, event_type=CustodyEvent.TIMESTAMPED
        ).values_list("evidence_id", "details__token_sha256")
    )
    for _, item_id, ern, sha256, tsa_url, der in rows:
        der = bytes(der)
        if (item_id, hashlib.sha256(der).hexdigest()) not in named:
            problem = f"a verified token from {tsa_url} is stored that no custody entry (timestamped) names"
            report.findings.append(Finding(ern, problem, "token"))
        if roots is None:
            continue
        report.tokens_checked += 1
        try:
            verify_token(der, sha256, roots=roots, tsa_url=tsa_url)
        except Exception as error:  # noqa: BLE001 - whatever keeps it from verifying is the finding
            report.findings.append(
                Finding(ern, f"its token from {tsa_url} does not hold over its SHA-256 {sha256}: {error}", "token")
            )


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


# --- Health -----------------------------------------------------------------------------------------------


def health_checkpoints() -> dict:
    """The checkpoints' part of the health report: the latest, how many recent ones wait for a token (the
    sweep asks again for SLID_CHECKPOINT_STAMP_HOURS) and the authorities' latest reasons, and the anomalies
    builds found (``alarm``: one in the last week: a checkpoint's kept tree or an item of it changed)."""
    latest = Checkpoint.objects.order_by("-id").values("id", "created_at").first()
    since = timezone.now() - timedelta(hours=settings.SLID_CHECKPOINT_STAMP_HOURS)
    waiting = Checkpoint.objects.filter(created_at__gte=since, stamp_wanted=True).exclude(timestamps__verified=True)
    refusal = (
        AuditEntry.objects.filter(action=AuditAction.CHECKPOINT_NOT_STAMPED, at__gte=since)
        .order_by("-id")
        .values_list("details", flat=True)
        .first()
    )
    anomalies = AuditEntry.objects.filter(action=AuditAction.CHECKPOINT_ANOMALY).order_by("-id")
    last_anomaly = anomalies.values("at", "details").first()
    return {
        "latest": latest["id"] if latest else None,
        "latest_at": latest["created_at"] if latest else None,
        "waiting_for_token": waiting.count(),
        "last_refusal": "; ".join(f"{r['tsa']}: {r['reason']}" for r in (refusal or {}).get("refusals", [])),
        "anomalies": anomalies.count(),
        "last_anomaly": _anomaly_text(last_anomaly["details"]) if last_anomaly else "",
        "alarm": bool(last_anomaly and last_anomaly["at"] >= timezone.now() - ANOMALY_ALARM),
    }


def _anomaly_text(details: dict) -> str:
    return f"checkpoint {details.get('checkpoint')}: {details.get('problem', '')}"
