"""A full disk under the upload folder, the intake store and the archive: each write fails cleanly (a
JSON answer, never a crash; no partial file left; a failed attempt that is tried again), and once
there is room again every item ends archived. The small disks are tmpfs mounts over the test's own
store folders (config/settings/test.py), unmounted at the end."""

import contextlib
import errno
import functools
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from evidence.models import Case, CustodyEntry, EvidenceItem, OutboxTask
from tests.faults.checks import (
    FAST_RECOVERY,
    account_for,
    api_server,
    archive_temporaries,
    assert_refused_in_json,
    files_under,
    post_file,
    seconds_until_final,
    status_counts,
    store_location,
    wait_until,
)
from tests.tokens import token_for
from tests.workers.worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted over ``folder`` for the duration."""
    if os.geteuid() != 0:
        pytest.skip("Mounting a small disk (tmpfs) needs root.")
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "slid-test-small-disk", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"Cannot mount a tmpfs over {folder}: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        for _ in range(20):  # busy for as long as a process has a file open there
            if subprocess.run(["umount", str(folder)], capture_output=True, check=False).returncode == 0:
                break
            time.sleep(0.5)
        else:
            subprocess.run(["umount", "--lazy", str(folder)], check=True)


def fill(folder: Path) -> Path:
    """Writes a file until the disk is full; returns it."""
    filler = folder / "filler"
    with filler.open("wb") as handle:
        try:
            while True:
                handle.write(bytes(1024 * 1024))
                handle.flush()
        except OSError as full:
            assert full.errno == errno.ENOSPC, full
    assert os.statvfs(folder).f_bavail == 0
    return filler


def test_uploads_to_a_full_disk_are_refused_cleanly_and_archived_once_there_is_room(
    own_broker, case_a, investigator, tmp_path, figures
):
    token = token_for(investigator)
    contents = [os.urandom(300 * 1024) for _ in range(4)]
    uploads = Path(settings.FILE_UPLOAD_TEMP_DIR)
    with (
        small_disk(uploads, "4m"),
        small_disk(store_location("intake"), "4m") as intake,
        api_server(tmp_path, own_broker.url) as server,
    ):
        send = functools.partial(post_file, server, token, case_a)
        # The intake store is full.
        filler = fill(intake)
        intake_refused = [send(content, f"photo-{n}.bin") for n, content in enumerate(contents)]
        for response in intake_refused:
            assert_refused_in_json(response)
        assert files_under(intake) == [filler]
        # The request's temporary file goes once the server closes the answer, just after sending it.
        wait_until(lambda: files_under(uploads) == [], timeout=5, what="the temporary upload files removed")
        # Nothing was recorded, and no evidence number was used.
        assert (EvidenceItem.objects.count(), CustodyEntry.objects.count(), OutboxTask.objects.count()) == (0, 0, 0)
        assert Case.objects.get(pk=case_a.pk).evidence_counter == 0
        filler.unlink()

        freed = time.monotonic()
        worker = Worker(tmp_path / "worker.log", CELERY_BROKER_URL=own_broker.url, **FAST_RECOVERY)
        try:
            accepted = [send(content, f"photo-{n}.bin") for n, content in enumerate(contents)]
            assert [response.status_code for response in accepted] == [201] * len(contents)
            item_ids = [response.json()["id"] for response in accepted]
            assert [item.ern for item in EvidenceItem.objects.order_by("pk")] == [
                "UA-2022-BUCHA-000001", "UA-2022-BUCHA-000002", "UA-2022-BUCHA-000003", "UA-2022-BUCHA-000004",
            ]  # fmt: skip
            recovery = seconds_until_final(item_ids, since=freed, timeout=60)
            counts = account_for(item_ids)
        finally:
            worker.stop()

    figures(
        intake_full=f"{len(intake_refused)} × {intake_refused[0].status_code} {intake_refused[0].json()['detail']}",
        seconds_from_room_to_all_archived=recovery,
        **counts,
    )


class FileLeftBehind(AssertionError):
    pass


def test_an_upload_to_a_full_upload_folder_is_refused_and_leaves_no_temporary_file(
    own_broker, case_a, investigator, tmp_path, figures
):
    token = token_for(investigator)
    uploads = Path(settings.FILE_UPLOAD_TEMP_DIR)
    with small_disk(uploads, "4m"), api_server(tmp_path, own_broker.url) as server:
        filler = fill(uploads)
        refused = post_file(server, token, case_a, os.urandom(300 * 1024), "photo.bin")
        assert_refused_in_json(refused)
        assert EvidenceItem.objects.count() == 0
        time.sleep(1)  # the answer is out; give a clean-up every chance
        left = [(path.name, path.stat().st_size) for path in files_under(uploads) if path != filler]
        figures(upload_folder_full=f"{refused.status_code} {refused.json()['detail']}", files_left_behind=left)

        if left:
            raise FileLeftBehind(f"{left} left in the upload folder after the answer")


def test_archiving_to_a_full_disk_fails_cleanly_and_every_item_ends_archived_once_there_is_room(
    own_broker, upload, case_a, investigator, tmp_path, figures
):
    count = 6
    environment = {**FAST_RECOVERY, "SLID_PROCESSING_MAX_RETRIES": "12"}  # the disk stays full a while
    with small_disk(store_location("archive"), "8m") as archive:
        filler = fill(archive)
        worker = Worker(tmp_path / "worker.log", CELERY_BROKER_URL=own_broker.url, **environment)
        try:
            responses = [
                upload(investigator, case_a, os.urandom(512 * 1024), name=f"video-{n}.bin") for n in range(count)
            ]
            item_ids = [response.json()["id"] for response in responses]

            def failed_attempts() -> list[CustodyEntry]:
                return list(CustodyEntry.objects.filter(evidence_id__in=item_ids, event_type="failed"))

            wait_until(
                lambda: {entry.evidence_id for entry in failed_attempts()} == set(item_ids),
                timeout=60,
                what="an attempt of every item failed on the full disk",
            )
            # Each failure is a warning with the reason, the item waits for its next attempt, the
            # worker lives on, and the archive holds nothing but the filler: no partial copy.
            assert all("No space left on device" in entry.detail for entry in failed_attempts())
            assert all(entry.outcome == "warning" for entry in failed_attempts())
            assert set(status_counts(item_ids)) <= {"received", "processing"}
            assert files_under(archive) == [filler]
            assert worker.alive
            failures_while_full = len(failed_attempts())

            filler.unlink()
            freed = time.monotonic()
            recovery = seconds_until_final(item_ids, since=freed, timeout=60)
            counts = account_for(item_ids)
            assert archive_temporaries() == []
        finally:
            worker.stop()

    figures(
        items=count,
        failed_attempts_while_full=failures_while_full,
        seconds_from_room_to_all_archived=recovery,
        **{key: value for key, value in counts.items() if key != "items"},
    )
