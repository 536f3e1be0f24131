"""The broker dies in the middle of a stream of uploads. Uploads go on being accepted (their tasks
wait in the outbox), and once the broker is back every item is archived within a minute, with the
production timings (outbox relay every 2 s, sweep every 15 s, lease 60 s)."""

import os
import time

import pytest

from evidence.models import EvidenceItem, OutboxTask
from evidence.services.queue import PROCESS_EVIDENCE
from tests.faults.checks import account_for, seconds_until_final, status_counts
from tests.workers.worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE, DURING = 6, 12


def test_uploads_while_the_broker_is_down_are_accepted_and_all_archived_within_a_minute_of_its_return(
    own_broker, upload, case_a, investigator, tmp_path, figures
):
    worker = Worker(tmp_path / "worker.log", CELERY_BROKER_URL=own_broker.url)
    try:
        before = [upload(investigator, case_a, os.urandom(200 * 1024), name=f"before-{n}.bin") for n in range(BEFORE)]
        own_broker.kill()  # as in a crash, in the middle of the batch
        started = time.monotonic()
        during = [upload(investigator, case_a, os.urandom(200 * 1024), name=f"during-{n}.bin") for n in range(DURING)]
        upload_seconds = (time.monotonic() - started) / DURING

        assert [response.status_code for response in before + during] == [201] * (BEFORE + DURING)
        during_ids = [response.json()["id"] for response in during]
        assert status_counts(during_ids) == {"received": DURING}
        # Not one of them is lost: each waits in the outbox for the broker.
        waiting = {args[0] for args in OutboxTask.objects.filter(task=PROCESS_EVIDENCE).values_list("args", flat=True)}
        assert waiting >= set(during_ids)
        time.sleep(max(0.0, 5 - (time.monotonic() - started)))  # down for at least 5 s

        own_broker.start()
        back = time.monotonic()
        item_ids = [response.json()["id"] for response in before + during]
        recovery = seconds_until_final(item_ids, since=back, timeout=60)
        counts = account_for(item_ids)
        assert worker.alive
    finally:
        worker.stop()

    assert EvidenceItem.objects.filter(case=case_a).count() == BEFORE + DURING
    figures(
        uploads_before=BEFORE,
        uploads_while_down=DURING,
        seconds_per_upload_while_down=upload_seconds,
        seconds_down=back - started,
        seconds_from_return_to_all_archived=recovery,
        **counts,
    )
