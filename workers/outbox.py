"""The outbox relay: a thread in every Celery worker's main process. It sends the tasks waiting in
the outbox (written while the broker was down, or due after a retry's backoff) as soon as the
broker answers, and regularly sweeps for evidence and packages left waiting by a dead worker."""

import logging
import threading
import time

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import close_old_connections, connection

from evidence.services.packages import export_sweep_stuck
from evidence.services.processing import evidence_sweep_stuck
from evidence.services.queue import outbox_send

logger = logging.getLogger(__name__)


class Relay(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name="outbox-relay", daemon=True)
        self.stopping = threading.Event()
        self.last_sweep = 0.0

    def run(self) -> None:
        try:
            while not self.stopping.wait(settings.SLID_OUTBOX_INTERVAL_SECONDS):
                self.round()
        finally:
            connection.close()

    def round(self) -> None:
        close_old_connections()  # a database restart must not leave this thread on a dead connection
        try:
            while outbox_send() == 500:
                pass
            if time.monotonic() - self.last_sweep >= settings.SLID_SWEEP_INTERVAL_SECONDS:
                self.last_sweep = time.monotonic()
                evidence_sweep_stuck()
                export_sweep_stuck()
        except Exception:
            logger.warning("The outbox relay will try again", exc_info=True)
            connection.close()


_relay: Relay | None = None


@worker_ready.connect
def start_relay(**_) -> None:
    global _relay
    _relay = Relay()
    _relay.start()


@worker_shutdown.connect
def stop_relay(**_) -> None:
    if _relay is not None:
        _relay.stopping.set()
        _relay.join(timeout=10)
