"""A worker SIGKILLed three times while it works through a batch with large files: while it hashes a
large file, in the middle of writing a large file's archive copy, and a second after it took a large
file up again. Once a worker runs again, every item ends archived, with each step recorded once.
A worker's short timings (checks.FAST_RECOVERY) stand in for the production ones."""

import os
import time
from pathlib import Path

import pytest
from django.utils import timezone

from evidence.models import EvidenceItem
from evidence.services.processing import steps_recorded
from tests.faults.checks import (
    FAST_RECOVERY,
    account_for,
    archive_keys,
    receive,
    seconds_until_final,
    status_counts,
    store_location,
    wait_until,
    write_random_file,
)
from tests.workers.worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)

LARGE, LARGE_COUNT = 128 * 1024 * 1024, 2
SMALL_COUNT = 12


def files_open_in(worker: Worker) -> set[str]:
    """The files the worker's processes (its process group) have open now."""
    opened = set()
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            if int((process / "stat").read_text().rsplit(")", 1)[1].split()[2]) != worker.process.pid:
                continue
            for descriptor in (process / "fd").iterdir():
                opened.add(os.readlink(descriptor))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # the process or the descriptor went away meanwhile
    return opened


def large_item_being_hashed(worker: Worker, large_ids: list[int]) -> int | None:
    """A large item claimed but not yet hashed, whose intake file the worker has open: it is hashing it."""
    claimed = EvidenceItem.objects.filter(pk__in=large_ids, status="processing").values_list("pk", "intake_key")
    for item_id, intake_key in claimed:
        if "hashed" not in steps_recorded(item_id=item_id):
            if str(store_location("intake") / intake_key) in files_open_in(worker):
                return item_id
    return None


def archive_copy_being_written(sha256s: list[str]) -> Path | None:
    """The temporary file of an archive copy being written (it gets its key once complete)."""
    for sha256 in sha256s:
        folder = store_location("archive") / "sha256" / sha256[:2] / sha256[2:4]
        if folder.is_dir():
            for entry in os.scandir(folder):
                if entry.name.startswith(f".{sha256}.") and entry.name.endswith(".partial"):
                    return Path(entry.path)
    return None


def test_a_batch_ends_archived_once_however_often_its_worker_is_killed(
    own_broker, case_a, investigator, tmp_path, figures
):
    sources = tmp_path / "sources"
    sources.mkdir()
    large_sha256s = [write_random_file(sources / f"video-{n}.bin", LARGE) for n in range(LARGE_COUNT)]
    for n in range(SMALL_COUNT):
        write_random_file(sources / f"photo-{n:02d}.bin", 64 * 1024 * (n + 1))
    photos = sorted(sources.glob("photo-*"))
    # Some photos go first, so that the kills find the videos in the middle of the batch.
    batch = [*photos[:4], *sorted(sources.glob("video-*")), *photos[4:]]
    items = [receive(investigator, case_a, path) for path in batch]
    item_ids = [item.pk for item in items]
    large_ids = [item.pk for item in items if item.size_bytes == LARGE]
    assert sorted(item.sha256 for item in items if item.size_bytes == LARGE) == sorted(large_sha256s)
    environment = {"CELERY_BROKER_URL": own_broker.url, **FAST_RECOVERY}
    workers: list[Worker] = []
    kills: list[str] = []

    def start_worker() -> Worker:
        workers.append(Worker(tmp_path / f"worker-{len(workers) + 1}.log", **environment))
        return workers[-1]

    try:
        # 1. While it hashes a large file.
        worker = start_worker()
        hashing = wait_until(
            lambda: large_item_being_hashed(worker, large_ids), timeout=120, interval=0.02, what="a large file hashed"
        )
        worker.kill()
        assert EvidenceItem.objects.get(pk=hashing).status == "processing"
        assert "hashed" not in steps_recorded(item_id=hashing)
        kills.append(f"hashing {EvidenceItem.objects.get(pk=hashing).ern}")

        # 2. In the middle of writing a large file's archive copy.
        worker = start_worker()
        partial = wait_until(
            lambda: archive_copy_being_written(large_sha256s),
            timeout=120,
            interval=0.02,
            what="a large file's archive copy being written",
        )
        worker.kill()
        sha256 = partial.name.split(".")[1]
        assert partial.exists(), "the copy was complete before the kill"
        assert sha256 not in {path.name for path in archive_keys()}, "the copy was complete before the kill"
        kills.append(f"writing the archive copy of {sha256[:12]}… ({partial.stat().st_size} of {LARGE} bytes)")

        # 3. A second after it took up a large file again.
        started_at = timezone.now()
        worker = start_worker()
        wait_until(
            lambda: EvidenceItem.objects.filter(pk__in=large_ids, status="processing", claimed_at__gt=started_at),
            timeout=120,
            what="a large file taken up again",
        )
        time.sleep(1)
        worker.kill()
        kills.append(f"resuming a large file, with {status_counts(item_ids)['archived']} of {len(item_ids)} archived")

        back = time.monotonic()
        worker = start_worker()
        started_in = time.monotonic() - back
        recovery = seconds_until_final(item_ids, since=back, timeout=60)
        counts = account_for(item_ids)
        assert worker.alive
    finally:
        for worker in workers:
            worker.stop()

    # Each killed attempt counts, and a re-claim resumed instead of repeating what was recorded.
    attempts = sorted(EvidenceItem.objects.filter(pk__in=item_ids).values_list("attempts", flat=True))
    assert attempts[-1] >= 2
    figures(
        large_files=f"{LARGE_COUNT} × {LARGE // 1024**2} MiB",
        small_files=SMALL_COUNT,
        kills="; ".join(kills),
        seconds_for_the_last_worker_to_start=started_in,
        seconds_from_restart_to_all_archived=recovery,
        most_attempts_of_one_item=attempts[-1],
        **counts,
    )
