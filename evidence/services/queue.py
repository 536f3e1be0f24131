"""Sending work to the Celery workers."""

import logging
from typing import Any

from celery import current_app as current_celery_app
from django.conf import settings

logger = logging.getLogger(__name__)


def enqueue_task(task_name: str, *args: Any) -> None:
    """Sends a task to the broker named by the settings; a broker that is down is logged, not raised:
    the sweep re-enqueues whatever is left waiting."""
    try:
        with current_celery_app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
            current_celery_app.send_task(
                task_name,
                args=args,
                connection=connection,
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5},
            )
    except Exception:
        logger.warning("Could not enqueue %s%s; the sweep will retry", task_name, args, exc_info=True)


def evidence_enqueue_processing(item_id: int) -> None:
    enqueue_task("workers.tasks.process_evidence", item_id)
