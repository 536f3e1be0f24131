"""Sending work to the Celery workers through a transactional outbox.

A task is first written as an ``OutboxTask`` row in the same transaction as the change that needs
it, so the work is never lost: not when the broker is down, not when the process dies right after
the commit. Once the transaction commits, the row is sent at once; whatever could not be sent then
(or is due later, like a retry's backoff) is sent by the relay every worker runs (workers.outbox)
as soon as the broker answers."""

import logging
from datetime import datetime, timedelta
from typing import Any

import kombu.pools
from celery import current_app as current_celery_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from evidence.models import OutboxTask

logger = logging.getLogger(__name__)

PROCESS_EVIDENCE = "workers.tasks.process_evidence"
BUILD_EXPORT = "workers.tasks.build_export"


def enqueue_task(task_name: str, *args: Any, delay_seconds: float = 0) -> OutboxTask:
    """Records the task in the outbox (in the caller's transaction) and sends it once that commits,
    unless it is due later."""
    due_at = timezone.now() + timedelta(seconds=delay_seconds)
    task = OutboxTask.objects.create(task=task_name, args=list(args), due_at=due_at)
    if not delay_seconds:
        # Robust: the change is committed whatever the broker does; the relay sends what is left.
        transaction.on_commit(lambda: outbox_send(task_ids=[task.pk]), robust=True)
    return task


def evidence_enqueue_processing(item_id: int, *, delay_seconds: float = 0) -> OutboxTask:
    return enqueue_task(PROCESS_EVIDENCE, item_id, delay_seconds=delay_seconds)


def _broker_connection():
    """A connection to the broker from this process's pool. A new connection for each upload cost
    more than the rest of the upload (connecting, authenticating, declaring the queue again); one
    that died while pooled (the broker restarted) is reconnected by send_task's retry."""
    broker = current_celery_app.connection_for_write(settings.CELERY_BROKER_URL)
    return kombu.pools.connections[broker].acquire(block=True, timeout=10)


def outbox_send(*, task_ids: list[int] | None = None, limit: int = 500, now: datetime | None = None) -> int:
    """Sends due outbox tasks (or just ``task_ids``) and removes each one sent. Rows another process
    is sending are skipped. A broker that does not answer leaves the rest for the next round.
    Returns how many were sent."""
    sent = 0
    with transaction.atomic():
        due = OutboxTask.objects.select_for_update(skip_locked=True).filter(due_at__lte=now or timezone.now())
        if task_ids is not None:
            due = due.filter(pk__in=task_ids)
        tasks = list(due.order_by("due_at", "id")[:limit])
        if not tasks:
            return 0
        try:
            with _broker_connection() as connection:
                for task in tasks:
                    current_celery_app.send_task(
                        task.task,
                        args=task.args,
                        connection=connection,
                        retry=True,
                        retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5},
                    )
                    OutboxTask.objects.filter(pk=task.pk).delete()
                    sent += 1
        except Exception as error:
            logger.warning("The broker did not take %s task(s); the outbox relay will send them", len(tasks) - sent)
            OutboxTask.objects.filter(pk__in=[task.pk for task in tasks[sent:]]).update(
                attempts=F("attempts") + 1, last_error=str(error)[:2000]
            )
    return sent
