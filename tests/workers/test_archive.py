"""The local write-once archive under failure: partial files, killed writes, full disks and races."""

import hashlib
import os
import re
import resource
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.files.storage import storages

from evidence.models import Role
from tests.workers.helpers import archived_item
from tests.workers.worker import ROOT
from workers.archive import archive_key, store_in_archive

CONTENT = bytes(range(256)) * 4096  # 1 MiB
# Written by hand from `sha256sum`, not computed with the code under test.
CONTENT_SHA256 = "fbbab289f7f94b25736c58be46a994c441fd02552cc6022352e3d86d2fab7c83"


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "intake-copy.bin"
    path.write_bytes(CONTENT)
    return path


def key_path(sha256: str) -> Path:
    return Path(storages["archive"].path(archive_key(sha256)))


def leave_partial_file_at_the_key(sha256: str, data: bytes) -> Path:
    """What the old code left when its worker was killed mid-write: the first bytes, read-only, at the key."""
    final = key_path(sha256)
    final.parent.mkdir(parents=True, exist_ok=True)
    final.write_bytes(data)
    final.chmod(0o444)
    return final


def test_the_sha256_written_in_this_file_is_the_content_s():
    assert hashlib.sha256(CONTENT).hexdigest() == CONTENT_SHA256


def test_a_copy_is_stored_read_only_at_its_key_with_nothing_else_beside_it(source):
    stored = store_in_archive(str(source), CONTENT_SHA256)

    final = key_path(CONTENT_SHA256)
    assert final.read_bytes() == CONTENT
    assert stat.S_IMODE(final.stat().st_mode) == 0o444
    assert sorted(os.listdir(final.parent)) == [CONTENT_SHA256]
    assert (stored.key, stored.stored_now, stored.replaced_damaged) == (
        f"sha256/fb/ba/{CONTENT_SHA256}",
        True,
        False,
    )


def test_the_same_bytes_stored_again_are_already_archived_and_not_touched(source):
    store_in_archive(str(source), CONTENT_SHA256)
    first_inode = key_path(CONTENT_SHA256).stat().st_ino

    again = store_in_archive(str(source), CONTENT_SHA256)

    assert (again.stored_now, again.replaced_damaged, again.damaged_kept_as) == (False, False, "")
    assert key_path(CONTENT_SHA256).stat().st_ino == first_inode
    assert sorted(os.listdir(key_path(CONTENT_SHA256).parent)) == [CONTENT_SHA256]


def test_a_partial_file_at_the_key_is_kept_aside_and_the_right_bytes_stored(source):
    final = leave_partial_file_at_the_key(CONTENT_SHA256, CONTENT[: len(CONTENT) // 2])

    stored = store_in_archive(str(source), CONTENT_SHA256)

    assert final.read_bytes() == CONTENT
    assert stat.S_IMODE(final.stat().st_mode) == 0o444
    others = sorted(set(os.listdir(final.parent)) - {CONTENT_SHA256})
    assert len(others) == 1
    assert re.fullmatch(rf"{CONTENT_SHA256}\.damaged-\d{{8}}T\d{{6}}\.\d{{6}}Z", others[0])
    kept = final.parent / others[0]
    assert kept.read_bytes() == CONTENT[: len(CONTENT) // 2]
    assert stat.S_IMODE(kept.stat().st_mode) == 0o444
    assert (stored.stored_now, stored.replaced_damaged) == (True, True)
    assert stored.damaged_kept_as == f"sha256/fb/ba/{others[0]}"


def test_an_item_whose_key_holds_a_partial_file_ends_archived(case_a, member_of, db):
    content = b"statement of a witness, page after page " * 5000
    sha256 = hashlib.sha256(content).hexdigest()
    final = leave_partial_file_at_the_key(sha256, content[:1000])

    item = archived_item(case_a, member_of(case_a, Role.INVESTIGATOR), content, name="statement.txt")

    assert item.status == "archived", item.status_reason
    assert item.archive_key == archive_key(sha256)
    assert final.read_bytes() == content
    assert [kept.read_bytes() for kept in final.parent.glob(f"{sha256}.damaged-*")] == [content[:1000]]


def wait_for_partial_copy(folder: Path, size: int, writer: subprocess.Popen) -> Path:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and writer.poll() is None:
        partial = [entry for entry in folder.glob("*") if entry.is_file() and entry.stat().st_size >= size]
        if partial:
            return partial[0]
        time.sleep(0.02)
    raise AssertionError(f"no file of {size} bytes in {folder} (writer exit code {writer.poll()})")


def test_a_worker_killed_in_the_middle_of_the_archive_write_leaves_nothing_at_the_key(source, tmp_path):
    # The writer reads the file from a pipe, so it is killed exactly when half the bytes are written.
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    store = "import sys, django; django.setup(); from workers import archive; archive.store_in_archive(*sys.argv[1:])"
    writer = subprocess.Popen(
        [sys.executable, "-c", store, str(pipe), CONTENT_SHA256],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    try:
        with pipe.open("wb") as feed:
            feed.write(CONTENT[: len(CONTENT) // 2])
            feed.flush()
            wait_for_partial_copy(key_path(CONTENT_SHA256).parent, len(CONTENT) // 2, writer)
            writer.kill()
            writer.wait(timeout=10)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait(timeout=10)

    final = key_path(CONTENT_SHA256)
    assert not final.exists()
    [left] = os.listdir(final.parent)
    assert left.startswith(".") and left.endswith(".partial")
    stored = store_in_archive(str(source), CONTENT_SHA256)  # the retry
    assert stored.stored_now
    assert final.read_bytes() == CONTENT


def test_a_temporary_file_left_by_a_killed_write_is_ignored_and_cleaned_once_stale(source):
    folder = key_path(CONTENT_SHA256).parent
    folder.mkdir(parents=True)
    stale = folder / f".{CONTENT_SHA256}.k1ll3d.partial"
    stale.write_bytes(CONTENT[:1000])
    two_hours_ago = time.time() - 2 * 3600
    os.utime(stale, (two_hours_ago, two_hours_ago))
    in_flight = folder / f".{'ab' * 32}.wr1t1ng.partial"  # another worker may be writing this one now
    in_flight.write_bytes(b"half")

    stored = store_in_archive(str(source), CONTENT_SHA256)

    assert stored.stored_now
    assert key_path(CONTENT_SHA256).read_bytes() == CONTENT
    assert sorted(os.listdir(folder)) == sorted([CONTENT_SHA256, in_flight.name])


def test_a_write_that_fails_midway_leaves_nothing_at_the_key(source):
    # A full disk, simulated with a file size limit: the write fails after the first 64 KiB.
    previous_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, previous_limit[1]))
    try:
        with pytest.raises(OSError, match="File too large"):
            store_in_archive(str(source), CONTENT_SHA256)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, previous_limit)
        signal.signal(signal.SIGXFSZ, previous_handler)

    folder = key_path(CONTENT_SHA256).parent
    assert os.listdir(folder) == []
    stored = store_in_archive(str(source), CONTENT_SHA256)  # once there is room again
    assert stored.stored_now
    assert key_path(CONTENT_SHA256).read_bytes() == CONTENT


def test_two_workers_storing_the_same_bytes_at_once_both_succeed_with_one_file(tmp_path):
    content = os.urandom(48 * 1024 * 1024)
    sha256 = hashlib.sha256(content).hexdigest()
    paths = [tmp_path / "first.bin", tmp_path / "second.bin"]
    for path in paths:
        path.write_bytes(content)
    start = threading.Barrier(2)
    results: dict[int, tuple] = {}

    def store(n: int) -> None:
        start.wait(timeout=10)
        try:
            stored = store_in_archive(str(paths[n]), sha256)
            # What the worker does next: read the copy back and check it.
            read_back = hashlib.sha256(key_path(sha256).read_bytes()).hexdigest()
            results[n] = (stored.stored_now, read_back == sha256)
        except Exception as error:
            results[n] = (error,)

    threads = [threading.Thread(target=store, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results.values()) == [(False, True), (True, True)]
    assert os.listdir(key_path(sha256).parent) == [sha256]
    assert key_path(sha256).read_bytes() == content
