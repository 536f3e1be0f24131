"""Celery tasks: thin — load by id and call a worker module or a service. Importing this module
also starts the outbox relay in each worker (workers.outbox)."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from evidence.selectors.items import evidence_fixity_batch_size
from evidence.services.checkpoints import checkpoint_build, checkpoint_stamp, checkpoints_stamp_sweep
from evidence.services.copies import copies_sweep
from evidence.services.intake import intake_remove_orphans
from evidence.services.packages import export_sweep_stuck
from evidence.services.processing import evidence_sweep_stuck
from evidence.services.resumable import uploads_expire
from evidence.services.timestamps import timestamps_sweep

# outbox starts the relay; connections checks the kept database connection before each task
from workers import common, connections, exports, fixity, outbox, processing, replication, timestamps  # noqa: F401

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def process_evidence(self, item_id: int) -> str:
    # A failed attempt gives the item back with a backoff through the outbox (evidence.services.processing),
    # and it is "failed" after the last one. Only a database that cannot be reached at all is retried here,
    # through the broker: without the database the item's state cannot even be read.
    try:
        return processing.process(item_id, agent=common.worker_agent(self.request.hostname or "worker"))
    except (OperationalError, InterfaceError) as error:
        raise self.retry(exc=error, countdown=min(2 * 2**self.request.retries, 30)) from error


# Scheduled jobs are acknowledged when they start: a run that dies is simply run again at its next
# time, and a long one is never handed to a second worker meanwhile (the broker's visibility timeout).
@shared_task(acks_late=False)
def sweep_stuck_evidence() -> dict[str, list[int]]:
    return {"evidence": evidence_sweep_stuck(), "exports": export_sweep_stuck()}


@shared_task(acks_late=False)
def fixity_check() -> dict[str, int]:
    limit = evidence_fixity_batch_size()
    checked, failed = fixity.fixity_check_due(agent=common.worker_agent("fixity"), limit=limit)
    return {"checked": checked, "failed": failed}


# Each TSA has SLID_TSA_TIMEOUT_SECONDS in all (evidence.timestamping), so asking all of them ends by then;
# the limits stop what nothing else would (a stuck database, openssl). A task stopped by them leaves its
# item to the sweep, once the item's in-flight time (SLID_RECEIVED_STALE_SECONDS) is over.
TIMESTAMP_SOFT_TIME_LIMIT = settings.SLID_TSA_TIMEOUT_SECONDS * max(1, len(settings.SLID_TSA_URLS)) + 60


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
    soft_time_limit=TIMESTAMP_SOFT_TIME_LIMIT,
    time_limit=TIMESTAMP_SOFT_TIME_LIMIT + 30,
)
def timestamp_evidence(self, item_id: int) -> str:
    # A TSA that fails is recorded on the item and asked again by the sweep (sweep_timestamps); only a
    # database that cannot be reached is retried here, as for processing.
    try:
        return timestamps.timestamp_item(item_id, agent=common.worker_agent(self.request.hostname or "worker"))
    except (OperationalError, InterfaceError) as error:
        raise self.retry(exc=error, countdown=min(2 * 2**self.request.retries, 30)) from error


@shared_task(acks_late=False)
def sweep_timestamps() -> list[int]:
    return timestamps_sweep()


# Making one item's copies good reads the file from a good copy, writes it to each store that needs it (at
# most every store but one) and reads each copy back: three passes of the largest file allowed
# (SLID_MAX_UPLOAD_BYTES) per store, at no less than REPLICATION_MIN_BYTES_PER_SECOND (an off-site link),
# and never less than any task's limit (CELERY_TASK_TIME_LIMIT). A copy stopped by the soft limit is recorded
# as failed and tried again after its backoff; one stopped by the hard limit is left to the sweep.
# The broker hands a message not yet acknowledged out again after SLID_BROKER_VISIBILITY_SECONDS: a copy
# running longer may then be made a second time alongside. That is safe (a key is written once, and a copy
# found good already records nothing more), at the cost of the transfer; with large files, raise the
# visibility timeout towards the time a copy takes.
REPLICATION_MIN_BYTES_PER_SECOND = 10 * 1024**2


def replicate_soft_time_limit(*, max_file_bytes: int, replicas: int) -> int:
    copying = 3 * max_file_bytes * max(1, replicas) // REPLICATION_MIN_BYTES_PER_SECOND
    return max(settings.CELERY_TASK_SOFT_TIME_LIMIT, copying)


REPLICATE_SOFT_TIME_LIMIT = replicate_soft_time_limit(
    max_file_bytes=settings.SLID_MAX_UPLOAD_BYTES, replicas=len(settings.SLID_ARCHIVE_REPLICAS)
)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
    soft_time_limit=REPLICATE_SOFT_TIME_LIMIT,
    time_limit=REPLICATE_SOFT_TIME_LIMIT + 60,
)
def replicate_evidence(self, item_id: int) -> str:
    # A store that fails is recorded on the copy and tried again through the outbox after a backoff (and by
    # sweep_copies); only a database that cannot be reached is retried here, as for processing.
    try:
        return replication.replicate_item(item_id, agent=common.worker_agent(self.request.hostname or "worker"))
    except (OperationalError, InterfaceError) as error:
        raise self.retry(exc=error, countdown=min(2 * 2**self.request.retries, 30)) from error


@shared_task(acks_late=False)
def sweep_copies() -> list[int]:
    return copies_sweep()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def build_export(self, export_id: int) -> str:
    return exports.build_export(export_id, agent=common.worker_agent(self.request.hostname or "worker"))


@shared_task(acks_late=False)
def remove_intake_orphans() -> list[str]:
    # Also the bytes of resumable uploads abandoned for SLID_UPLOAD_EXPIRY_HOURS (evidence.services.resumable).
    expired = uploads_expire()
    if expired:
        logger.info("Removed %d abandoned resumable uploads", len(expired))
    return intake_remove_orphans()


# A build reads every chain's head (a minute or two at a million items); one still running at the next beat
# is stuck. Stamping waits on at most every authority's timeout once.
CHECKPOINT_TIME_LIMIT = max(600, settings.SLID_CHECKPOINT_MINUTES * 60)
STAMP_TIME_LIMIT = max(300, settings.SLID_TSA_SWEEP_MINUTES * 60)


@shared_task(acks_late=False, time_limit=CHECKPOINT_TIME_LIMIT, soft_time_limit=CHECKPOINT_TIME_LIMIT - 30)
def build_checkpoint() -> dict[str, object]:
    # Building and stamping are separate steps: an authority that is down never holds a checkpoint up. What
    # stamping does not get, it records (the audit log), and the sweep (stamp_checkpoints) asks again.
    checkpoint = checkpoint_build()
    if checkpoint is None:
        return {"checkpoint": None, "reason": "another build is running"}
    tokens = 0
    if not checkpoint.timestamps.filter(verified=True).exists():
        tokens = len(checkpoint_stamp(checkpoint=checkpoint))
    return {"checkpoint": checkpoint.pk, "leaves": checkpoint.tree_size, "root": checkpoint.root, "tokens": tokens}


@shared_task(acks_late=False, time_limit=STAMP_TIME_LIMIT, soft_time_limit=STAMP_TIME_LIMIT - 30)
def stamp_checkpoints() -> list[int]:
    return checkpoints_stamp_sweep()
