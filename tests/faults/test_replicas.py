"""Replicas with real workers: an upload ends with verified copies in two local replicas and one on S3 (moto);
a replica that is down when the item is archived is retried and completed once it is back; a worker killed
while it writes a replica's copy loses nothing, and the copy is made once."""

import hashlib
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from evidence.models import ArchiveCopy, EvidenceItem
from tests.faults.checks import FAST_RECOVERY, receive, wait_until, write_random_file
from tests.workers.replicas import configure_replicas, local_replica, s3_replica
from tests.workers.worker import Worker, wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)

REPLICA_RECOVERY = {**FAST_RECOVERY, "SLID_REPLICATION_RETRY_BASE_SECONDS": "1", "SLID_RECEIVED_STALE_SECONDS": "5"}
STORES = ["archive", "archive-replica-kyiv", "archive-replica-lviv", "archive-replica-frankfurt"]


@pytest.fixture
def three_replicas(settings, monkeypatch, tmp_path, moto):
    return configure_replicas(
        settings,
        monkeypatch,
        {
            "kyiv": local_replica(tmp_path / "kyiv"),
            "lviv": local_replica(tmp_path / "blocked" / "lviv"),
            "frankfurt": s3_replica(moto, "slid-replica-frankfurt"),
        },
    )


@pytest.fixture
def start_worker(tmp_path, own_broker):
    started = []

    def start(environment: dict[str, str]) -> Worker:
        worker = Worker(tmp_path / f"worker-{len(started)}.log", **REPLICA_RECOVERY, **environment)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def copy_states(item) -> dict[str, str]:
    return dict(ArchiveCopy.objects.filter(evidence=item).values_list("store", "state"))


def all_verified(item) -> bool:
    states = copy_states(item)
    return sorted(states) == sorted(STORES) and set(states.values()) == {"verified"}


def test_an_upload_ends_with_verified_copies_everywhere_and_a_replicated_entry_per_store(
    three_replicas, start_worker, moto, tmp_path, case_a, investigator, client_for
):
    start_worker(three_replicas)
    content = b"Photo of the shelled school in Kharkiv, 2022-03-07 " * 2000
    sha256 = hashlib.sha256(content).hexdigest()
    key = f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"
    (tmp_path / "blocked").mkdir()  # lviv's folder can be made: every replica is up

    answer = client_for(investigator).post(
        "/api/v1/evidence/",
        {"file": SimpleUploadedFile("school.jpg", content), "case": case_a.pk},
        format="multipart",
    )
    item = EvidenceItem.objects.get(pk=answer.json()["id"])
    wait_for_status(item, {"archived"})
    wait_until(lambda: all_verified(item), timeout=60, what="verified copies in every store")

    replicated = item.custody.filter(event_type="replicated")
    assert sorted(entry.details["store"] for entry in replicated) == sorted(STORES[1:])
    assert (tmp_path / "kyiv" / key).read_bytes() == content
    assert (tmp_path / "blocked" / "lviv" / key).read_bytes() == content
    assert moto.client().get_object(Bucket="slid-replica-frankfurt", Key=key)["Body"].read() == content
    shown = client_for(investigator).get(f"/api/v1/evidence/{item.pk}/").json()["copies"]
    assert [(copy["store"], copy["state"]) for copy in shown] == [
        ("archive", "verified"),
        ("archive-replica-frankfurt", "verified"),
        ("archive-replica-kyiv", "verified"),
        ("archive-replica-lviv", "verified"),
    ]
    call_command("verify_custody")
    call_command("check_copies")


def test_replicas_that_are_down_are_retried_and_completed_once_they_are_back(
    three_replicas, start_worker, moto, tmp_path, case_a, investigator
):
    (tmp_path / "blocked").write_text("a file where lviv's folder should be")  # lviv cannot be written
    moto.stop()  # frankfurt does not answer
    start_worker(three_replicas)
    source = tmp_path / "video.bin"
    sha256 = write_random_file(source, 256 * 1024)

    item = receive(investigator, case_a, source)
    wait_for_status(item, {"archived"})
    wait_until(
        lambda: ArchiveCopy.objects.filter(evidence=item, attempts__gte=2).count() == 2,
        timeout=60,
        what="two failed tries at each replica that is down",
    )

    states = copy_states(item)
    assert states == {
        "archive": "verified",
        "archive-replica-kyiv": "verified",
        "archive-replica-lviv": "pending",
        "archive-replica-frankfurt": "pending",
    }
    assert not item.custody.filter(event_type="replicated", details__store="archive-replica-lviv").exists()
    (tmp_path / "blocked").unlink()
    moto.start()
    moto.bucket("slid-replica-frankfurt")

    wait_until(lambda: all_verified(item), timeout=90, what="the replicas completed once they are back")
    key = f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"
    assert hashlib.sha256((tmp_path / "blocked" / "lviv" / key).read_bytes()).hexdigest() == sha256
    body = moto.client().get_object(Bucket="slid-replica-frankfurt", Key=key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == sha256
    assert item.custody.filter(event_type="replicated").count() == 3


def test_a_worker_killed_while_it_writes_a_replica_loses_nothing_and_the_copy_is_made_once(
    settings, monkeypatch, start_worker, tmp_path, case_a, investigator
):
    environment = configure_replicas(settings, monkeypatch, {"kyiv": local_replica(tmp_path / "kyiv")})
    worker = start_worker(environment)
    source = tmp_path / "large.bin"
    sha256 = write_random_file(source, 256 * 1024 * 1024)
    folder = tmp_path / "kyiv" / "sha256" / sha256[:2] / sha256[2:4]

    def copy_being_written() -> bool:
        return folder.is_dir() and any(name.endswith(".partial") for name in os.listdir(folder))

    item = receive(investigator, case_a, source)
    wait_until(copy_being_written, timeout=180, what="the replica's copy being written", interval=0.005)
    worker.kill()
    assert copy_states(item)["archive-replica-kyiv"] == "pending"

    start_worker(environment)
    # The killed worker's task comes back from Redis after the visibility timeout (10 s here), once a worker looks
    # (every second here: SLID_BROKER_RESTORE_SECONDS).
    wait_until(
        lambda: copy_states(item).get("archive-replica-kyiv") == "verified",
        timeout=40,
        what="the copy made by the next worker",
    )

    item.refresh_from_db()
    assert item.status == "archived"
    replica = Path(folder / sha256)
    assert hashlib.sha256(replica.read_bytes()).hexdigest() == sha256
    assert item.custody.filter(event_type="replicated").count() == 1
    assert item.custody.filter(event_type="archived").count() == 1
    call_command("verify_custody")
