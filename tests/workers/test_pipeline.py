"""End to end through a real Celery worker on the real broker."""

import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.files.storage import storages
from django.db import connection

from evidence.models import EvidenceItem, Role
from tests.factories import make_incident
from tests.media import photo_bytes, resized, with_gps
from tests.workers.worker import wait_for_intake_removed, wait_for_status

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

DONE = {"archived", "duplicate", "failed", "corrupt"}


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR)


def received(response) -> EvidenceItem:
    assert response.status_code == 201, response.content
    return EvidenceItem.objects.get(pk=response.json()["id"])


def test_an_upload_is_hashed_and_archived_with_the_sha256_of_the_original(upload, case_a, investigator, tmp_path):
    original = tmp_path / "statement.pdf"
    original.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 4000)
    expected = subprocess.run([shutil.which("sha256sum"), original], capture_output=True, text=True, check=True)

    item = wait_for_status(received(upload(investigator, case_a, original.read_bytes(), name="statement.pdf")), DONE)

    assert item.status == "archived", item.status_reason
    assert item.sha256 == expected.stdout.split()[0]
    assert item.size_bytes == original.stat().st_size
    assert item.media_type == "application/pdf"
    assert item.archive_key == f"sha256/{item.sha256[:2]}/{item.sha256[2:4]}/{item.sha256}"
    archived = Path(storages["archive"].path(item.archive_key))
    assert archived.read_bytes() == original.read_bytes()
    assert stat.S_IMODE(archived.stat().st_mode) == 0o444
    item = wait_for_intake_removed(item)
    assert not storages["intake"].listdir("")[0] or not any(
        storages["intake"].listdir(folder)[1] for folder in storages["intake"].listdir("")[0]
    )
    assert [entry.event_type for entry in item.custody.order_by("sequence")] == [
        "received", "hashed", "identified", "described", "archived", "verified",
    ]  # fmt: skip


def test_the_same_file_twice_is_linked_as_a_duplicate_not_stored_twice(upload, case_a, investigator):
    content = photo_bytes(seed=7)
    first = wait_for_status(received(upload(investigator, case_a, content)), DONE)

    second = wait_for_status(received(upload(investigator, case_a, content, name="copy.jpg")), DONE)

    assert (first.status, second.status) == ("archived", "duplicate")
    assert second.duplicate_of == first
    # The duplicate's bytes were checked in the archive before its intake copy went; they are kept once.
    assert second.archive_key == first.archive_key
    archive_root = Path(settings.STORAGES["archive"]["OPTIONS"]["location"])
    assert [path.name for path in archive_root.rglob("*") if path.is_file()] == [first.sha256]
    assert wait_for_intake_removed(second).intake_key == ""
    assert second.custody.filter(event_type="duplicate_found").exists()


def test_a_resized_copy_of_a_photo_is_found_as_a_near_duplicate(upload, client_for, case_a, investigator):
    photo = photo_bytes(seed=11, size=(1024, 768))
    original = wait_for_status(received(upload(investigator, case_a, photo)), DONE)
    smaller = wait_for_status(received(upload(investigator, case_a, resized(photo, 0.4), name="small.jpg")), DONE)
    other = wait_for_status(received(upload(investigator, case_a, photo_bytes(seed=99), name="other.jpg")), DONE)

    body = client_for(investigator).get(f"/api/v1/evidence/{smaller.pk}/").json()

    assert smaller.status == "archived"
    assert smaller.sha256 != original.sha256
    assert [near["id"] for near in body["near_duplicates"]] == [original.pk]
    assert body["near_duplicates"][0]["distance_bits"] <= 10
    assert other.pk not in [near["id"] for near in body["near_duplicates"]]


def test_exif_gps_becomes_the_captured_location_and_distances_to_incidents(
    upload, client_for, case_a, investigator, tmp_path
):
    bucha = make_incident(case_a, location=Point(30.2208, 50.5445, srid=4326))
    kharkiv = make_incident(case_a, location=Point(36.2304, 49.9935, srid=4326))
    photo = with_gps(photo_bytes(seed=3), tmp_path, lon=30.2300, lat=50.5400)

    item = wait_for_status(received(upload(investigator, case_a, photo, incidents=[bucha.pk, kharkiv.pk])), DONE)

    assert item.status == "archived"
    assert (round(item.captured_location.x, 4), round(item.captured_location.y, 4)) == (30.23, 50.54)
    assert 700 < item.incident_distances_m[str(bucha.pk)] < 900
    assert 420_000 < item.incident_distances_m[str(kharkiv.pk)] < 440_000
    body = client_for(investigator).get(f"/api/v1/evidence/{item.pk}/").json()
    assert body["captured_location"]["type"] == "Point"
    assert body["metadata"]["exiftool"]["Composite:GPSLatitude"] == pytest.approx(50.54)


def test_a_submitted_hash_that_does_not_match_marks_the_item_corrupt_and_keeps_it(upload, case_a, investigator):
    item = wait_for_status(received(upload(investigator, case_a, b"the bytes that arrived", sha256="0" * 64)), DONE)

    assert item.status == "corrupt"
    assert "differs from the received" in item.status_reason
    assert storages["archive"].exists(item.archive_key)


def test_a_file_whose_content_is_not_what_its_name_says_is_flagged(upload, case_a, investigator):
    item = wait_for_status(received(upload(investigator, case_a, b"%PDF-1.4\n%%EOF\n", name="photo.jpg")), DONE)

    assert item.status == "archived"
    assert item.media_type == "application/pdf"
    assert item.media_type_mismatch is True
    assert item.custody.get(event_type="identified").outcome == "warning"


def test_a_malformed_image_is_recorded_and_still_archived(upload, case_a, investigator):
    truncated = photo_bytes(seed=5)[:700]

    item = wait_for_status(received(upload(investigator, case_a, truncated, name="broken.jpg")), DONE)

    assert item.status == "archived"
    assert item.perceptual_hash == ""
    assert item.custody.filter(event_type="described").exists()


def test_a_worker_builds_a_requested_package(upload, client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    item = wait_for_status(received(upload(lead, case_a, b"witness statement", name="statement.txt")), DONE)
    client = client_for(lead)

    response = client.post("/api/v1/exports/", {"case": case_a.pk, "evidence": [item.pk]}, format="json")

    assert response.status_code == 202
    export_id = response.json()["id"]
    deadline = time.monotonic() + 60
    while (body := client.get(f"/api/v1/exports/{export_id}/").json())["status"] in ("queued", "building"):
        assert time.monotonic() < deadline, body
        time.sleep(0.2)
    assert body["status"] == "ready", body["status_reason"]
    assert (body["progress"], body["item_count"]) == (100, 1)
    assert len(body["sha256"]) == 64


def worker_sessions_that_removed_an_intake_copy() -> set[int]:
    """The database sessions, other than the test's own, whose last statement removed an intake copy:
    a worker's pool process, right after archiving an item."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT pid FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid()
                 AND query LIKE 'UPDATE "evidence_evidenceitem" SET "intake_key"%%'"""
        )
        return {pid for (pid,) in cursor.fetchall()}


def test_the_worker_keeps_its_database_connection_and_replaces_one_that_was_ended(
    upload, case_a, investigator, celery_worker
):
    first = wait_for_intake_removed(wait_for_status(received(upload(investigator, case_a, b"first statement")), DONE))
    kept = worker_sessions_that_removed_an_intake_copy()
    assert kept, "the worker's connection was closed after the task"
    for number in range(3):
        wait_for_intake_removed(wait_for_status(received(upload(investigator, case_a, b"more %d" % number)), DONE))
    assert kept & worker_sessions_that_removed_an_intake_copy(), "a new connection for each task"

    # The server ends the kept connections between two tasks (a restart, a failover, an idle timeout).
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [sorted(kept)])
    log_before = celery_worker.log_path.read_bytes()
    item = wait_for_status(received(upload(investigator, case_a, b"after the connection ended")), DONE)

    assert (first.status, item.status, item.attempts) == ("archived", "archived", 1)
    assert [entry.event_type for entry in item.custody.order_by("sequence")] == [
        "received", "hashed", "identified", "described", "archived", "verified",
    ]  # fmt: skip
    # Checked before use and replaced: the task did not even fail once to be retried.
    assert b"Retry in" not in celery_worker.log_path.read_bytes()[len(log_before) :]
