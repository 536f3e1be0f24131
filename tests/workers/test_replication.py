"""Replicas of the archive, in this process (the tasks' own functions, no broker): copies made and verified,
damage found by fixity in any copy and repaired from a good one, downloads from a good copy, the sweep's
back-fill, and repairing everything after the primary store is lost."""

import hashlib
import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.management import call_command
from django.utils import timezone

from evidence.agents import Agent
from evidence.models import ArchiveCopy, OutboxTask, Role
from evidence.selectors.copies import evidence_good_copy, items_below_min_copies
from evidence.services.copies import copies_repair_all, copies_sweep
from tests.workers.helpers import archived_item
from tests.workers.replicas import S3_CREDENTIALS, configure_replicas, local_replica, s3_replica
from workers import fixity, replication

pytestmark = pytest.mark.django_db

CONTENT = b"Testimony of a witness from Yahidne, recorded 2022-04-02. " * 500
SHA256 = hashlib.sha256(CONTENT).hexdigest()
KEY = f"sha256/{SHA256[:2]}/{SHA256[2:4]}/{SHA256}"
AGENT = Agent.for_worker("test")


@pytest.fixture
def replicas(settings, monkeypatch, tmp_path, moto):
    """Two local replicas and one on S3 (moto), configured as the environment would."""
    configure_replicas(
        settings,
        monkeypatch,
        {
            "kyiv": local_replica(tmp_path / "kyiv"),
            "lviv": local_replica(tmp_path / "lviv"),
            "frankfurt": s3_replica(moto, "slid-replica-frankfurt"),
        },
    )
    return tmp_path


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR)


def replicated_item(case, user):
    item = archived_item(case, user, CONTENT, name="testimony.txt")
    replication.replicate_item(item.pk, agent=AGENT)
    return item


def states(item) -> dict[str, str]:
    return dict(ArchiveCopy.objects.filter(evidence=item).values_list("store", "state"))


def flip_one_byte(path: Path) -> None:
    os.chmod(path, 0o644)  # as root: the archive's files are read-only
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def downloaded(client, item) -> bytes:
    response = client.get(f"/api/v1/evidence/{item.pk}/download/")
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def test_a_replica_name_that_is_not_one_stops_the_settings(monkeypatch):
    from config.env import ImproperlyConfiguredEnv
    from config.settings.base import replica_store

    with pytest.raises(ImproperlyConfiguredEnv, match="SLID_ARCHIVE_REPLICAS: 'Kyiv/1' is not a replica name"):
        replica_store("Kyiv/1")


def test_an_s3_replica_is_configured_from_its_own_variables(monkeypatch):
    from config.settings.base import replica_store

    for name, value in {
        "BACKEND": "s3", "BUCKET": "evidence-copy", "ENDPOINT_URL": "https://s3.eu-central-1.example",
        "REGION": "eu-central-1", "ACCESS_KEY_ID": "AKIA1", "SECRET_ACCESS_KEY": "secret",
    }.items():  # fmt: skip
        monkeypatch.setenv(f"SLID_REPLICA_OFF_SITE_{name}", value)

    store = replica_store("off-site")

    assert store["BACKEND"] == "workers.archive.ObjectLockS3Storage"
    assert {key: store["OPTIONS"][key] for key in ("bucket_name", "endpoint_url", "region_name")} == {
        "bucket_name": "evidence-copy",
        "endpoint_url": "https://s3.eu-central-1.example",
        "region_name": "eu-central-1",
    }
    assert (store["OPTIONS"]["access_key"], store["OPTIONS"]["secret_key"]) == ("AKIA1", "secret")


def test_replication_writes_a_verified_write_once_copy_in_every_store(replicas, moto, case_a, investigator):
    item = replicated_item(case_a, investigator)

    assert states(item) == {
        "archive": "verified",
        "archive-replica-kyiv": "verified",
        "archive-replica-lviv": "verified",
        "archive-replica-frankfurt": "verified",
    }
    for name in ("kyiv", "lviv"):
        path = replicas / name / KEY
        assert path.read_bytes() == CONTENT
        assert path.stat().st_mode & 0o777 == 0o444
    s3 = moto.client()
    assert s3.get_object(Bucket="slid-replica-frankfurt", Key=KEY)["Body"].read() == CONTENT
    assert s3.head_object(Bucket="slid-replica-frankfurt", Key=KEY)["ObjectLockMode"] == "COMPLIANCE"
    entries = item.custody.filter(event_type="replicated").order_by("sequence")
    assert sorted(entry.details["store"] for entry in entries) == [
        "archive-replica-frankfurt",
        "archive-replica-kyiv",
        "archive-replica-lviv",
    ]
    assert all(entry.details["sha256"] == SHA256 and entry.details["key"] == KEY for entry in entries)
    assert items_below_min_copies() == []


def test_replicating_twice_records_nothing_more(replicas, case_a, investigator):
    item = replicated_item(case_a, investigator)

    assert replication.replicate_item(item.pk, agent=AGENT) == "nothing to do"

    assert item.custody.filter(event_type="replicated").count() == 3


def test_a_flipped_byte_in_a_local_replica_is_found_repaired_beside_it_and_recorded(replicas, case_a, investigator):
    item = replicated_item(case_a, investigator)
    damaged = replicas / "kyiv" / KEY
    flip_one_byte(damaged)
    damaged_bytes = damaged.read_bytes()

    report = fixity.fixity_check([item], agent=AGENT)

    assert [failure.ern for failure in report.failures] == [item.ern]
    assert report.repaired == 1
    failure = item.custody.get(event_type="fixity_check", outcome="failure")
    assert failure.details["store"] == "archive-replica-kyiv"
    repaired = item.custody.get(event_type="repaired")
    assert repaired.sequence > failure.sequence
    assert repaired.details["key"] == f"{KEY}.repair-1"
    assert repaired.details["damaged_keys"] == [KEY]
    assert (replicas / "kyiv" / f"{KEY}.repair-1").read_bytes() == CONTENT
    assert damaged.read_bytes() == damaged_bytes  # the damaged bytes are left where they were found
    copy = ArchiveCopy.objects.get(evidence=item, store="archive-replica-kyiv")
    assert (copy.state, copy.key, copy.repaired_from) == ("repaired", f"{KEY}.repair-1", "archive")
    item.refresh_from_db()
    assert item.fixity_failed_at is None  # repaired: no copy is bad now
    call_command("verify_custody")


def test_a_different_version_put_over_an_s3_replica_is_found_and_repaired_at_a_repair_key(
    replicas, moto, case_a, investigator
):
    item = replicated_item(case_a, investigator)
    s3 = moto.client()
    # Object Lock keeps every version, but anyone who may write can put a new one over the key.
    s3.put_object(Bucket="slid-replica-frankfurt", Key=KEY, Body=b"not the testimony")

    report = fixity.fixity_check([item], agent=AGENT)

    assert report.repaired == 1
    copy = ArchiveCopy.objects.get(evidence=item, store="archive-replica-frankfurt")
    assert (copy.state, copy.key) == ("repaired", f"{KEY}.repair-1")
    repair = s3.get_object(Bucket="slid-replica-frankfurt", Key=f"{KEY}.repair-1")
    assert repair["Body"].read() == CONTENT
    assert repair["ObjectLockMode"] == "COMPLIANCE"
    assert s3.get_object(Bucket="slid-replica-frankfurt", Key=KEY)["Body"].read() == b"not the testimony"
    failure = item.custody.get(event_type="fixity_check", outcome="failure")
    assert failure.details["store"] == "archive-replica-frankfurt"
    assert item.custody.get(event_type="repaired").sequence > failure.sequence
    # The next check reads the repair key, and holds.
    assert fixity.fixity_check([item], agent=AGENT).failures == []


def test_a_damaged_primary_is_repaired_from_a_replica_and_downloads_stay_byte_identical(
    replicas, case_a, investigator, client_for
):
    item = replicated_item(case_a, investigator)
    legal = client_for(investigator)
    flip_one_byte(Path(storages["archive"].path(KEY)))

    report = fixity.fixity_check([item], agent=AGENT, repair=False)

    assert states(item)["archive"] == "damaged"
    assert evidence_good_copy(item=item).store != "archive"
    assert downloaded(legal, item) == CONTENT  # from a replica
    fixity.fixity_check([item], agent=AGENT)
    assert report.failures[0].ern == item.ern
    copy = ArchiveCopy.objects.get(evidence=item, store="archive")
    assert (copy.state, copy.key) == ("repaired", f"{KEY}.repair-1")
    assert evidence_good_copy(item=item).store == "archive"
    assert downloaded(legal, item) == CONTENT  # from the primary's repair key


def test_a_download_reads_a_replica_when_the_primary_cannot_be_reached(replicas, case_a, investigator, client_for):
    item = replicated_item(case_a, investigator)
    primary = Path(storages["archive"].location)
    primary.rename(primary.with_name("archive-lost"))  # the primary's disk is gone

    try:
        assert evidence_good_copy(item=item).store.startswith("archive-replica-")
        assert downloaded(client_for(investigator), item) == CONTENT
    finally:
        primary.with_name("archive-lost").rename(primary)


def test_a_damaged_primary_found_while_downloading_is_recorded_and_the_next_download_reads_a_replica(
    replicas, case_a, investigator, client_for
):
    item = replicated_item(case_a, investigator)
    flip_one_byte(Path(storages["archive"].path(KEY)))
    client = client_for(investigator)

    response = client.get(f"/api/v1/evidence/{item.pk}/download/")
    with pytest.raises(Exception, match=SHA256):
        b"".join(response.streaming_content)

    assert states(item)["archive"] == "damaged"
    assert downloaded(client, item) == CONTENT


def test_an_item_with_no_good_copy_is_not_served_and_is_listed_below_the_minimum(case_a, investigator, client_for):
    item = archived_item(case_a, investigator, CONTENT, name="testimony.txt")
    flip_one_byte(Path(storages["archive"].path(KEY)))

    report = fixity.fixity_check([item], agent=AGENT)

    assert report.repaired == 0
    response = client_for(investigator).get(f"/api/v1/evidence/{item.pk}/download/")
    assert response.status_code == 409
    [below] = items_below_min_copies()
    assert (below.ern, below.good, below.bad) == (item.ern, [], {"archive": "damaged"})


def test_the_api_shows_each_copy_primary_first(replicas, case_a, investigator, client_for):
    item = replicated_item(case_a, investigator)

    copies = client_for(investigator).get(f"/api/v1/evidence/{item.pk}/").json()["copies"]

    assert [(copy["store"], copy["state"]) for copy in copies] == [
        ("archive", "verified"),
        ("archive-replica-frankfurt", "verified"),
        ("archive-replica-kyiv", "verified"),
        ("archive-replica-lviv", "verified"),
    ]
    assert all(copy["verified_at"] for copy in copies)


def test_a_replica_added_later_is_back_filled_by_the_sweep(settings, monkeypatch, tmp_path, case_a, investigator):
    configure_replicas(settings, monkeypatch, {"kyiv": local_replica(tmp_path / "kyiv")})
    item = replicated_item(case_a, investigator)
    configure_replicas(
        settings, monkeypatch, {"kyiv": local_replica(tmp_path / "kyiv"), "odesa": local_replica(tmp_path / "odesa")}
    )
    assert [below.bad for below in items_below_min_copies()] == [{"archive-replica-odesa": "absent"}]

    already_queued = set(OutboxTask.objects.values_list("pk", flat=True))  # the task archiving sent for kyiv

    sent = copies_sweep()

    assert sent == [item.pk]
    swept = OutboxTask.objects.exclude(pk__in=already_queued)
    assert [(task.task, task.args) for task in swept] == [("workers.tasks.replicate_evidence", [item.pk])]
    assert copies_sweep() == []  # on its way: not sent again until it is overdue
    assert copies_sweep(now=timezone.now() + timedelta(hours=1)) == [item.pk]
    replication.replicate_item(item.pk, agent=AGENT)
    assert (tmp_path / "odesa" / KEY).read_bytes() == CONTENT
    assert states(item)["archive-replica-odesa"] == "verified"
    assert item.custody.filter(event_type="replicated", details__store="archive-replica-odesa").count() == 1


def test_a_replica_that_fails_is_retried_after_a_backoff(settings, monkeypatch, tmp_path, case_a, investigator):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the replica's folder should be")
    configure_replicas(settings, monkeypatch, {"kyiv": local_replica(blocked / "kyiv")})
    settings.SLID_REPLICATION_RETRY_BASE_SECONDS = 60
    item = archived_item(case_a, investigator, CONTENT, name="testimony.txt")

    assert replication.replicate_item(item.pk, agent=AGENT) == "will retry archive-replica-kyiv"
    assert replication.replicate_item(item.pk, agent=AGENT) == "will retry archive-replica-kyiv"

    copy = ArchiveCopy.objects.get(evidence=item, store="archive-replica-kyiv")
    assert (copy.state, copy.attempts) == ("pending", 2)
    assert "NotADirectoryError" in copy.last_error or "FileExistsError" in copy.last_error
    retries = OutboxTask.objects.filter(task="workers.tasks.replicate_evidence", due_at__gt=timezone.now())
    # The first retry after 60 s, the second after 120 s (doubling).
    delays = [round((task.due_at - timezone.now()).total_seconds(), -1) for task in retries.order_by("due_at")]
    assert delays == [60, 120]
    item.refresh_from_db()
    assert item.status == "archived"

    blocked.unlink()
    assert replication.replicate_item(item.pk, agent=AGENT) == "copied to archive-replica-kyiv"
    copy.refresh_from_db()
    assert (copy.state, copy.attempts, copy.last_error) == ("verified", 0, "")


def test_repairing_everything_after_the_primary_store_is_lost_restores_it_from_a_replica(
    replicas, case_a, investigator
):
    item = replicated_item(case_a, investigator)
    other = archived_item(case_a, investigator, b"a second file, never replicated " * 100, name="b.txt")
    shutil.rmtree(storages["archive"].location)

    counts = copies_repair_all()

    assert counts == {
        "items": 2, "copies_checked": 5, "failed": 2, "repaired": 1, "still_bad": 4, "no_good_copy": 1,
    }  # fmt: skip
    assert Path(storages["archive"].path(KEY)).read_bytes() == CONTENT
    copy = ArchiveCopy.objects.get(evidence=item, store="archive")
    assert (copy.state, copy.key) == ("repaired", KEY)  # nothing was at the key: written there
    assert [below.ern for below in items_below_min_copies()] == [other.ern]
    assert item.custody.filter(event_type="repaired", details__store="archive").count() == 1


# --- Review of issue #15: reading S3 copies, exports on a damaged primary, fixity races, probes, limits -----


def test_reading_an_s3_copy_streams_it_and_never_holds_the_file_in_memory(settings, monkeypatch, moto):
    """django-storages' file object spools a whole S3 object into memory (max_memory_size 0): a 20 GB video
    would be held whole by every fixity check or copy of it."""
    import tracemalloc

    from evidence import replication as copies

    configure_replicas(settings, monkeypatch, {"frankfurt": s3_replica(moto, "slid-replica-frankfurt")})
    size = 40 * 1024 * 1024
    content = os.urandom(1024 * 1024) * (size // (1024 * 1024))
    expected = hashlib.sha256(content).hexdigest()
    moto.client().put_object(Bucket="slid-replica-frankfurt", Key="large", Body=content)
    moto.client().put_object(Bucket="slid-replica-frankfurt", Key="small", Body=b"small")
    del content
    store = storages["archive-replica-frankfurt"]
    assert copies.look_at(store, "small").sha256 == hashlib.sha256(b"small").hexdigest()  # botocore set up

    tracemalloc.start()
    try:
        look = copies.look_at(store, "large")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert look.sha256 == expected
    assert peak < size // 2, f"reading a {size >> 20} MiB copy held {peak >> 20} MiB in memory"


def test_every_s3_store_spools_what_django_storages_reads_to_disk(monkeypatch):
    from config.settings.base import _store, replica_store

    monkeypatch.setenv("SLID_ARCHIVE_STORAGE", "s3")
    monkeypatch.setenv("SLID_REPLICA_OFF_SITE_BACKEND", "s3")

    for options in (_store("archive")["OPTIONS"], replica_store("off-site")["OPTIONS"]):
        assert 0 < options["max_memory_size"] <= 64 * 1024 * 1024


def test_an_export_built_on_a_damaged_primary_reads_a_replica_and_records_the_damage(
    settings, monkeypatch, tmp_path, case_a, member_of
):
    from evidence.services.packages import export_request
    from tests.workers.test_exports import build, package_bytes

    configure_replicas(settings, monkeypatch, {"kyiv": local_replica(tmp_path / "kyiv")})
    lead = member_of(case_a, Role.LEAD)
    item = replicated_item(case_a, lead)
    flip_one_byte(Path(storages["archive"].path(KEY)))

    export = build(export_request(actor=lead, case=case_a, evidence=[item]))

    assert (export.status, export.status_reason) == ("ready", "")
    assert CONTENT in package_bytes(export)  # the replica's bytes (stored, not compressed)
    primary = ArchiveCopy.objects.get(evidence=item, store="archive")
    assert (primary.state, primary.key, primary.due_at) == ("damaged", KEY, None)  # the sweep repairs it now
    failure = item.custody.get(event_type="fixity_check", outcome="failure")
    assert failure.details["store"] == "archive"
    assert f"package {export.public_id} was built" in failure.detail
    item.refresh_from_db()
    assert item.fixity_failed_at is not None
    # Settling the item again (a later check of another copy) does not clear it: the copy itself is bad.
    fixity.fixity_check([item], agent=AGENT, repair=False)
    item.refresh_from_db()
    assert item.fixity_failed_at is not None


def test_an_export_with_no_good_copy_left_fails_and_records_the_copy_once(case_a, member_of):
    from evidence.services.packages import export_request
    from tests.workers.test_exports import build

    lead = member_of(case_a, Role.LEAD)
    item = archived_item(case_a, lead, CONTENT, name="testimony.txt")
    flip_one_byte(Path(storages["archive"].path(KEY)))

    export = build(export_request(actor=lead, case=case_a, evidence=[item]))

    assert export.status == "failed"
    assert SHA256 in export.status_reason
    assert ArchiveCopy.objects.get(evidence=item, store="archive").state == "damaged"
    assert item.custody.filter(event_type="fixity_check", outcome="failure").count() == 1


def test_a_fixity_check_of_a_key_that_a_repair_replaced_meanwhile_records_nothing_against_the_new_key(
    replicas, monkeypatch, case_a, investigator
):
    """A check reads the damaged bytes at the archive key; meanwhile a repair (the sweep's task) writes the good
    bytes at the repair key and records the copy there. The check's finding is about the old key only."""
    from evidence.services import copies as copy_services

    item = replicated_item(case_a, investigator)
    flip_one_byte(replicas / "kyiv" / KEY)
    fixity.fixity_check([item], agent=AGENT, repair=False)
    assert states(item)["archive-replica-kyiv"] == "damaged"
    real_look_at = copy_services.replication.look_at

    def look_while_a_repair_runs(store, key):
        look = real_look_at(store, key)
        if store is storages["archive-replica-kyiv"] and key == KEY:
            made = copy_services.evidence_make_copies_good(item_id=item.pk, agent=AGENT, stores=[store_name(store)])
            assert made.written == ["archive-replica-kyiv"]
        return look

    monkeypatch.setattr(copy_services.replication, "look_at", look_while_a_repair_runs)
    check = copy_services.evidence_check_copies(item=item, agent=AGENT, repair=False)

    copy = ArchiveCopy.objects.get(evidence=item, store="archive-replica-kyiv")
    assert (copy.state, copy.key) == ("repaired", f"{KEY}.repair-1")
    assert "archive-replica-kyiv" not in check.failed
    failures = item.custody.filter(event_type="fixity_check", outcome="failure")
    assert [entry.details["key"] for entry in failures] == [KEY]  # the first check's, none for the repair key
    item.refresh_from_db()
    assert item.fixity_failed_at is None


def store_name(store) -> str:
    return next(name for name in storages.backends if name.startswith("archive") and storages[name] is store)


class SilentServer:
    """A TCP port that takes connections and never answers: an S3 endpoint that hangs."""

    def __init__(self) -> None:
        import socket

        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"

    def close(self) -> None:
        self.socket.close()


def timed(work):
    """(``work()``'s result, the seconds it took)."""
    started = time.monotonic()
    result = work()
    return result, time.monotonic() - started


@pytest.mark.timeout(120)  # without short probes, each wait is minutes (botocore: 60 s a read, retried)
def test_choosing_a_copy_and_the_health_probe_do_not_wait_for_a_store_that_does_not_answer(
    settings, monkeypatch, tmp_path, case_a, investigator
):
    from api.health import replicas_reachable

    silent = SilentServer()
    try:
        kyiv = local_replica(tmp_path / "kyiv")
        configure_replicas(settings, monkeypatch, {"kyiv": kyiv})
        item = replicated_item(case_a, investigator)
        hangs = {"BACKEND": "s3", "BUCKET": "hangs", "ENDPOINT_URL": silent.url, **S3_CREDENTIALS}
        configure_replicas(settings, monkeypatch, {"kyiv": kyiv, "frankfurt": hangs})
        # The primary is damaged, and the S3 replica was verified last: it is the first copy to try.
        ArchiveCopy.objects.filter(evidence=item, store="archive").update(state="damaged")
        ArchiveCopy.objects.create(
            evidence=item, store="archive-replica-frankfurt", key=KEY, state="verified", verified_at=timezone.now()
        )
        assert states(item) == {
            "archive": "damaged",
            "archive-replica-kyiv": "verified",
            "archive-replica-frankfurt": "verified",
        }

        chosen, took = timed(lambda: evidence_good_copy(item=item))
        assert chosen.store == "archive-replica-kyiv"
        assert took < 6
        # The health check, right after: the store that did not answer is not waited for again.
        reachable, took = timed(replicas_reachable)
        assert reachable["archive-replica-kyiv"] == "ok"
        assert reachable["archive-replica-frankfurt"].startswith("error: ")
        assert took < 1
        # Asked afresh, the health check waits one short probe, not botocore's minutes.
        from evidence import replication as copies

        copies.forget_unanswered()
        reachable, took = timed(replicas_reachable)
        assert reachable["archive-replica-frankfurt"].startswith("error: StoreNotAnswering")
        assert took < 6
    finally:
        silent.close()


def test_the_replication_task_has_time_limits_sized_for_the_largest_file_and_every_replica(settings):
    from workers.tasks import replicate_evidence, replicate_soft_time_limit

    assert replicate_evidence.soft_time_limit == replicate_soft_time_limit(
        max_file_bytes=settings.SLID_MAX_UPLOAD_BYTES, replicas=len(settings.SLID_ARCHIVE_REPLICAS)
    )
    assert replicate_evidence.time_limit > replicate_evidence.soft_time_limit
    # 20 GiB to five replicas, three passes each (read, write, read back) at 10 MiB/s: 30720 s.
    assert replicate_soft_time_limit(max_file_bytes=20 * 1024**3, replicas=5) == 30720
    # Never shorter than any task's limit.
    assert replicate_soft_time_limit(max_file_bytes=1024, replicas=1) == settings.CELERY_TASK_SOFT_TIME_LIMIT


def test_a_copy_to_an_s3_store_is_sent_from_a_private_copy_of_the_hashed_bytes(replicas, case_a, investigator):
    from evidence import replication as copies

    archived_item(case_a, investigator, CONTENT, name="testimony.txt")
    primary = storages["archive"]

    with copies.verified_source(primary, KEY, SHA256, private=True) as path:
        assert path != primary.path(KEY)
        assert Path(path).read_bytes() == CONTENT
        assert Path(path).stat().st_mode & 0o077 == 0  # nobody else's to change
