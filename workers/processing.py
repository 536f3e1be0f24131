"""One evidence item's way from intake to archive, step by step. Every change of the item's state
is made by evidence.services.processing, guarded by this worker's claim, which a heartbeat keeps
alive while the worker works."""

import contextlib
import logging
import threading
from collections.abc import Iterator

from django.conf import settings
from django.core.files.storage import storages
from django.db import connection

from evidence import hashing
from evidence.agents import Agent
from evidence.models import CustodyEvent, EvidenceStatus
from evidence.services.processing import (
    Claim,
    ClaimLost,
    Description,
    Hashes,
    Identification,
    evidence_claim,
    evidence_for_processing,
    evidence_mark_failed,
    evidence_record_archived,
    evidence_record_examination,
    evidence_record_hashes,
    evidence_release_claim,
    evidence_renew_lease,
    max_attempts,
)
from workers import archive, describe, document_facts, identify, perceptual, provenance
from workers.common import local_path

logger = logging.getLogger(__name__)


def process(item_id: int, *, agent: Agent) -> str:
    """Processes the item if this worker can claim it; returns what became of it. An error ends the
    attempt: the item goes back to wait for the next one, or is ``failed`` after the last."""
    claim = evidence_claim(item_id=item_id)
    if claim is None:
        return "not claimed"
    if claim.attempt > max_attempts():
        # Earlier attempts never reported back: their worker died (e.g. the file kills it every time).
        reason = f"The worker stopped during each of {claim.attempt - 1} attempts"
        return "failed" if evidence_mark_failed(claim=claim, agent=agent, reason=reason) else "claim lost"
    try:
        with lease_kept(claim):
            return _process_claimed(claim, agent)
    except ClaimLost as lost:
        logger.warning("Stopped processing evidence %s: %s", item_id, lost)
        return "claim lost"
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
        logger.exception("Attempt %s at evidence %s failed", claim.attempt, item_id)
        if claim.is_last_attempt:
            return "failed" if evidence_mark_failed(claim=claim, agent=agent, reason=reason) else "claim lost"
        released = evidence_release_claim(claim=claim, agent=agent, reason=reason)
        return "will retry" if released is not None else "claim lost"


def _process_claimed(claim: Claim, agent: Agent) -> str:
    item, done = evidence_for_processing(item_id=claim.item_id)
    with local_path(storages["intake"], item.intake_key) as path:
        # Each step not recorded by an earlier attempt; all are recorded together, in one transaction.
        hashes = identification = description = provenance_record = None
        if CustodyEvent.HASHED not in done:
            digests = hashing.digest_file(path, ["sha256", *settings.SLID_DIGESTS])
            hashes = Hashes(size=digests.size, hexdigests=digests.hexdigests)
        media_type = item.media_type
        if CustodyEvent.IDENTIFIED not in done:
            found = identify.identify_file(path, item.original_filename)
            media_type = found.media_type
            identification = Identification(
                media_type=found.media_type,
                expected_from_name=found.expected_from_name,
                mismatch=found.mismatch,
                libmagic=found.description,
            )
        if CustodyEvent.DESCRIBED not in done:
            described = describe.describe_file(path, media_type, timeout=settings.SLID_TOOL_TIMEOUT_SECONDS)
            captured = described.captured
            description = Description(
                metadata=described.metadata,
                errors=described.errors,
                gps=described.gps,
                perceptual_hash=perceptual.image_phash(path) if media_type.startswith("image/") else None,
                captured_at=captured.moment if captured else None,
                captured_at_source=captured.source if captured else "",
                captured_at_tags=captured.tags if captured else "",
                captured_at_written=captured.written if captured else "",
                **_file_facts(described.metadata),
            )
        if CustodyEvent.PROVENANCE_READ not in done and provenance.reads(media_type):
            provenance_record = provenance.read_provenance(
                path, media_type, timeout=settings.SLID_TOOL_TIMEOUT_SECONDS, final=claim.is_last_attempt
            )
        if hashes or identification or description or provenance_record:
            item = evidence_record_examination(
                claim=claim,
                agent=agent,
                hashes=hashes,
                identification=identification,
                description=description,
                provenance=provenance_record,
            )
            if item.status == EvidenceStatus.CORRUPT:
                return item.status  # the intake copy is not what arrived: it is kept, never archived

        try:
            stored = archive.store_in_archive(path, item.sha256)
        except archive.ContentMismatch:
            # The intake copy changed after it was hashed: hash it again, and the item is corrupt.
            digests = hashing.digest_file(path, ["sha256", *settings.SLID_DIGESTS])
            item = evidence_record_hashes(claim=claim, agent=agent, size=digests.size, hexdigests=digests.hexdigests)
            if item.status == EvidenceStatus.CORRUPT:
                return item.status
            raise
        verified = archive.hash_archived(stored.key)
    item = evidence_record_archived(
        claim=claim,
        agent=agent,
        archive_key=stored.key,
        verified_sha256=verified,
        damaged_kept_as=stored.damaged_kept_as,
    )
    return item.status


def _file_facts(metadata: dict) -> dict:
    """What the file says of its pages, duration, author and creation date, as Description's fields."""
    facts = document_facts.document_facts(metadata)
    return {
        "pages_from_file": facts.pages,
        "duration_seconds_from_file": facts.duration_seconds,
        "author_from_file": facts.author,
        "created_from_file": facts.created,
        "document_facts_details": facts.as_details(),
    }


@contextlib.contextmanager
def lease_kept(claim: Claim) -> Iterator[None]:
    """Renews the claim's lease in the background while the body runs, so a long hash or archive
    write keeps the item, and a worker that dies lets it go within one lease."""
    stop = threading.Event()
    interval = max(settings.SLID_LEASE_SECONDS / 4, 0.5)

    def renew() -> None:
        try:
            while not stop.wait(interval):
                try:
                    if not evidence_renew_lease(claim=claim):
                        return  # another worker has it; the next recording step will notice
                except Exception:
                    logger.warning("Could not renew the lease of evidence %s", claim.item_id, exc_info=True)
        finally:
            connection.close()

    heartbeat = threading.Thread(target=renew, name=f"lease-{claim.item_id}", daemon=True)
    heartbeat.start()
    try:
        yield
    finally:
        stop.set()
        heartbeat.join()
