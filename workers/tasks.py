"""Celery tasks: thin — load by id, call the pipeline or a service, own the retry policy."""

import logging

from celery import shared_task
from django.conf import settings

from evidence.selectors.items import evidence_fixity_batch_size
from evidence.services.packages import export_sweep_stuck
from evidence.services.processing import evidence_mark_failed, evidence_sweep_stuck
from workers import common, exports, fixity, processing

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def process_evidence(self, item_id: int) -> str:
    agent = common.worker_agent(self.request.hostname or "worker")
    try:
        return processing.process(item_id, agent=agent)
    except Exception as error:
        retries = self.request.retries
        if retries >= settings.SLID_PROCESSING_MAX_RETRIES:
            logger.exception("Evidence %s failed after %s attempts", item_id, retries + 1)
            evidence_mark_failed(item_id=item_id, agent=agent, reason=f"{type(error).__name__}: {error}")
            return "failed"
        # The claim was given back; try again later, waiting longer each time.
        raise self.retry(exc=error, countdown=min(30 * 2**retries, 3600)) from error


@shared_task(acks_late=True)
def sweep_stuck_evidence() -> dict[str, list[int]]:
    return {"evidence": evidence_sweep_stuck(), "exports": export_sweep_stuck()}


@shared_task(acks_late=True)
def fixity_check() -> dict[str, int]:
    limit = evidence_fixity_batch_size()
    checked, failed = fixity.fixity_check_due(agent=common.worker_agent("fixity"), limit=limit)
    return {"checked": checked, "failed": failed}


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def build_export(self, export_id: int) -> str:
    return exports.build_export(export_id, agent=common.worker_agent(self.request.hostname or "worker"))
