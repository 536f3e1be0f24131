"""RFC 3161 timestamps: asking the configured Time Stamping Authorities about a digest, and recording
the tokens of evidence files.

``timestamp_digest`` is the one way to ask (any SHA-256: a file's, a checkpoint's root). For evidence,
archiving enqueues a request (``evidence_timestamp_enqueue``, in the archiving transaction: it never
waits for a TSA); the worker asks and ``evidence_record_timestamps`` records the answer. A request that
got no verified token sets the item's next try after a backoff that doubles each time, and the sweep
(``timestamps_sweep``, run by beat) sends what is due, at most a batch a run: the items whose request
failed, those whose message was lost, and those archived before timestamps existed or while none was
configured."""

import logging
from datetime import timedelta

from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from evidence.agents import Agent
from evidence.custody import canonical_time
from evidence.models import CustodyEvent, EvidenceItem, OutboxTask, TimestampToken
from evidence.selectors.timestamps import (
    TimestampsNotConfigured,  # noqa: F401 - what timestamp_digest raises: its callers import it from here
    configured_roots,
    timestamp_tokens_wanted,
    timestamps_not_configured_reason,
)
from evidence.services.custody import NewEntry, custody_append_many
from evidence.services.queue import enqueue_task, outbox_send
from evidence.timestamping import Refusal, StampResult, Token, request_timestamp

logger = logging.getLogger(__name__)

TIMESTAMP_EVIDENCE = "workers.tasks.timestamp_evidence"


def timestamp_digest(sha256_hex: str, *, wanted: int | None = None) -> StampResult:
    """Asks the configured TSAs (SLID_TSA_URLS, in order) for ``wanted`` verified tokens (by default
    SLID_TSA_TOKENS_WANTED, at most one per TSA) over the SHA-256 digest ``sha256_hex``; each failing TSA
    is a Refusal in the result, and the next one is asked. Raises TimestampsNotConfigured if none can be
    asked. Touches no database: call it outside a transaction."""
    return request_timestamp(
        sha256_hex.lower(),
        tsa_urls=settings.SLID_TSA_URLS,
        roots=configured_roots(),
        timeout=settings.SLID_TSA_TIMEOUT_SECONDS,
        wanted=timestamp_tokens_wanted() if wanted is None else wanted,
    )


def evidence_timestamp_enqueue(item: EvidenceItem) -> None:
    """In the caller's transaction: asks for the item's timestamp once that commits, when a TSA is
    configured. The sweep leaves the item alone while the message is on its way."""
    if not settings.SLID_TSA_URLS or item.timestamped_at is not None:
        return
    enqueue_task(TIMESTAMP_EVIDENCE, item.pk)
    EvidenceItem.objects.filter(pk=item.pk).update(timestamp_due_at=_in_flight_until())


def _in_flight_until():
    return timezone.now() + timedelta(seconds=settings.SLID_RECEIVED_STALE_SECONDS)


@transaction.atomic
def evidence_record_timestamps(*, item_id: int, result: StampResult, agent: Agent) -> bool:
    """Records what the TSAs answered about the item's SHA-256; returns whether it is timestamped now.

    Each verified token is kept, with the chain it was verified with, and a custody entry ``timestamped``;
    the item's time is the earliest token's. A token that came but did not verify
    is kept unverified with the reason (one per TSA and item: a retry does not pile up copies), with no
    custody entry. Without a verified token the item's next try is due after a backoff
    (SLID_TSA_RETRY_BASE_SECONDS, doubling each attempt, at most SLID_TSA_RETRY_MAX_SECONDS), and the
    reasons are on the item for the health report. An item timestamped meanwhile (the task ran twice)
    records nothing more."""
    item = EvidenceItem.objects.select_for_update().get(pk=item_id)
    if item.timestamped_at is not None:
        return True
    for refusal in result.refusals:
        _keep_refused(item, refusal)
    tokens = [token for token in result.tokens if token.sha256 == item.sha256]
    item.timestamp_attempts += 1
    if tokens:
        TimestampToken.objects.bulk_create(timestamp_token_row(token, verified=True, evidence=item) for token in tokens)
        custody_append_many(item=item, agent=agent, entries=[_timestamped_entry(token) for token in tokens])
        earliest = min(token.gen_time for token in tokens)
        item.timestamped_at, item.timestamp_error, item.timestamp_due_at = earliest, "", None
    else:
        backoff = settings.SLID_TSA_RETRY_BASE_SECONDS * 2 ** min(item.timestamp_attempts - 1, 30)
        delay = min(backoff, settings.SLID_TSA_RETRY_MAX_SECONDS)
        item.timestamp_due_at = timezone.now() + timedelta(seconds=delay)
        item.timestamp_error = (result.summary() or "no time-stamping authority answered")[:4000]
        logger.warning(
            "No timestamp for %s (attempt %d, next in %d s): %s",
            item.ern,
            item.timestamp_attempts,
            delay,
            item.timestamp_error,
        )
    item.save(update_fields=["timestamped_at", "timestamp_attempts", "timestamp_error", "timestamp_due_at"])
    return bool(tokens)


def _keep_refused(item: EvidenceItem, refusal: Refusal) -> None:
    if refusal.token is None or len(refusal.token.sha256) != 64:
        return  # nothing that parsed, or an imprint that is not even a SHA-256: the reason on the item says it
    if TimestampToken.objects.filter(evidence=item, tsa_url=refusal.tsa_url, verified=False).exists():
        return
    timestamp_token_row(refusal.token, verified=False, refusal=refusal.reason[:4000], evidence=item).save()


def timestamp_token_row(token: Token, *, verified: bool, refusal: str = "", **stamped) -> TimestampToken:
    """The (unsaved) row of a token; ``stamped`` names what it stamps (``evidence=item``). A verified token
    keeps the chain it was verified with, which a court package needs to check it again."""
    return TimestampToken(
        sha256=token.sha256,
        tsa_url=token.tsa_url,
        token=token.der,
        serial=str(token.serial),
        gen_time=token.gen_time,
        policy=token.policy,
        chain=token.chain_pem if verified else "",
        verified=verified,
        refusal=refusal,
        **stamped,
    )


def _timestamped_entry(token: Token) -> NewEntry:
    """The custody entry of a verified token; ``token_sha256`` ties the stored DER to the chain."""
    details = {
        "tsa": token.tsa_url,
        "serial": str(token.serial),
        "time": canonical_time(token.gen_time),
        "sha256": token.sha256,
        "policy": token.policy,
        "token_sha256": token.token_sha256,
    }
    signer = token.signer_certificate()
    if signer is not None:
        details["tsa_certificate"] = {
            "subject": signer.subject.rfc4514_string(),
            "issuer": signer.issuer.rfc4514_string(),
            "serial": str(signer.serial_number),
            "sha256": signer.fingerprint(hashes.SHA256()).hex(),
        }
    return NewEntry(
        event_type=CustodyEvent.TIMESTAMPED,
        detail=(
            f"RFC 3161 timestamp by {token.tsa_url}: serial {token.serial}, time {details['time']}; verified "
            "(its imprint is this SHA-256, its signer chains to a configured root and may stamp time)"
        ),
        details=details,
    )


def timestamps_sweep(*, limit: int | None = None) -> list[int]:
    """Sends a timestamp request for archived items without a verified token whose next try is due (or
    never was asked: items archived before timestamps, or while none was configured), the longest waiting
    first, at most ``limit`` (SLID_TSA_SWEEP_BATCH) a run. Nothing when no TSA is configured. Returns the
    items sent."""
    if timestamps_not_configured_reason():
        return []
    now = timezone.now()
    limit = settings.SLID_TSA_SWEEP_BATCH if limit is None else limit
    with transaction.atomic():
        due = (
            EvidenceItem.objects.filter(timestamped_at__isnull=True)
            .exclude(archive_key="")
            .filter(Q(timestamp_due_at__isnull=True) | Q(timestamp_due_at__lte=now))
            .order_by(F("timestamp_due_at").asc(nulls_first=True), "id")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        item_ids = list(due)
        # Written at once, and sent after the commit in one go (what the broker does not take, the relay sends).
        messages = OutboxTask.objects.bulk_create(
            OutboxTask(task=TIMESTAMP_EVIDENCE, args=[item_id], due_at=now) for item_id in item_ids
        )
        EvidenceItem.objects.filter(pk__in=item_ids).update(timestamp_due_at=_in_flight_until())
        message_ids = [message.pk for message in messages]
        transaction.on_commit(lambda: outbox_send(task_ids=message_ids, limit=len(message_ids)), robust=True)
    return item_ids
