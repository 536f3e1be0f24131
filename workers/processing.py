"""One evidence item's way from intake to archive, step by step; every change of the item's state
is made by evidence.services.processing, guarded by this worker's claim."""

from django.conf import settings
from django.core.files.storage import storages

from evidence import hashing
from evidence.agents import Agent
from evidence.models import EvidenceItem, EvidenceStatus
from evidence.services.processing import (
    evidence_claim,
    evidence_finish_intake,
    evidence_record_archived,
    evidence_record_description,
    evidence_record_hashes,
    evidence_record_identification,
    evidence_release_claim,
)
from workers import archive, describe, identify, perceptual
from workers.common import local_path


def process(item_id: int, *, agent: Agent) -> str:
    """Processes the item if this worker can claim it; returns the item's resulting status."""
    claim = evidence_claim(item_id=item_id)
    if claim is None:
        return "not claimed"
    item, token = claim
    try:
        return _process_claimed(item, token, agent)
    except BaseException:
        evidence_release_claim(item_id=item_id, token=token)
        raise


def _process_claimed(item: EvidenceItem, token, agent: Agent) -> str:
    with local_path(storages["intake"], item.intake_key) as path:
        digests = hashing.digest_file(path, ["sha256", *settings.SLID_DIGESTS])
        item = evidence_record_hashes(item=item, agent=agent, size=digests.size, hexdigests=digests.hexdigests)
        if item.status == EvidenceStatus.DUPLICATE:
            evidence_finish_intake(item=item)
            return item.status

        found = identify.identify_file(path, item.original_filename)
        evidence_record_identification(
            item=item,
            agent=agent,
            media_type=found.media_type,
            expected=found.expected_from_name,
            mismatch=found.mismatch,
            description=found.description,
        )
        description = describe.describe_file(path, found.media_type, timeout=settings.SLID_TOOL_TIMEOUT_SECONDS)
        phash = perceptual.image_phash(path) if found.media_type.startswith("image/") else None
        evidence_record_description(
            item=item,
            agent=agent,
            metadata=description.metadata,
            errors=description.errors,
            gps=description.gps,
            perceptual_hash=phash,
        )

        key, stored_now = archive.store_in_archive(path, item.sha256)
        verified = archive.hash_archived(key)
        if not evidence_record_archived(
            item=item, agent=agent, token=token, archive_key=key, verified_sha256=verified, stored_now=stored_now
        ):
            return "claimed by another worker"
    evidence_finish_intake(item=item)
    item.refresh_from_db(fields=["status"])
    return item.status
