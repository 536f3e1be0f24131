import os
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.utils import timezone

from evidence.models import CustodyEntry, EvidenceItem, Role
from evidence.selectors.items import evidence_fixity_batch_size, evidence_fixity_due
from tests.factories import UserFactory
from tests.workers.helpers import archived_item
from tests.workers.test_archive_s3 import BUCKET, s3_archive, s3_server  # noqa: F401 (fixtures)
from workers import common, fixity

pytestmark = pytest.mark.django_db


def flip_one_byte(path: Path) -> None:
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_flipped_byte_in_the_archive_is_caught_recorded_and_reported(api, client_for, case_a, member_of):
    user = member_of(case_a, Role.INVESTIGATOR)
    sound = archived_item(case_a, user, b"intact testimony " * 1000, name="a.txt")
    damaged = archived_item(case_a, user, b"testimony to be damaged " * 1000, name="b.txt")
    flip_one_byte(Path(storages["archive"].path(damaged.archive_key)))

    checked, failed = fixity.fixity_check_due(agent=common.worker_agent("fixity"), limit=10)

    assert (checked, failed) == (2, 1)
    damaged.refresh_from_db()
    assert damaged.fixity_failed_at is not None
    assert damaged.custody.filter(event_type="fixity_check", outcome="failure").count() == 1
    assert sound.custody.filter(event_type="fixity_check", outcome="success").count() == 1
    # Reported to staff (a superuser sees every case's ERNs); the public answer names no item.
    health = client_for(UserFactory(is_staff=True, is_superuser=True)).get("/api/v1/health/")
    assert health.status_code == 503
    assert health.json()["details"]["fixity_failures"] == {"count": 1, "erns": [damaged.ern]}
    assert damaged.ern not in api.get("/api/v1/health/").content.decode()


def test_fixity_runs_are_spread_so_each_item_is_checked_within_the_period(settings, case_a, member_of):
    user = member_of(case_a, Role.INVESTIGATOR)
    for n in range(5):
        archived_item(case_a, user, f"file {n}".encode())
    settings.SLID_FIXITY_DAYS = 1
    settings.SLID_FIXITY_RUN_MINUTES = 360  # four runs a day

    assert evidence_fixity_batch_size() == 2  # 5 items over 4 runs, rounded up
    first = list(evidence_fixity_due(limit=2))
    fixity.fixity_check_due(agent=common.worker_agent("fixity"), limit=2)
    second = list(evidence_fixity_due(limit=2))
    assert not set(first) & set(second)


def test_a_damaged_item_does_not_hold_up_the_queue(case_a, member_of):
    user = member_of(case_a, Role.INVESTIGATOR)
    damaged = archived_item(case_a, user, b"first and damaged " * 100, name="a.txt")
    others = [archived_item(case_a, user, f"sound file {n} ".encode() * 100, name=f"{n}.txt") for n in range(2)]
    flip_one_byte(Path(storages["archive"].path(damaged.archive_key)))
    assert evidence_fixity_batch_size() == 1  # 3 items over 720 runs (30 days, hourly)

    runs = [fixity.fixity_check_due(agent=common.worker_agent("fixity"), limit=1) for _ in range(3)]

    assert runs == [(1, 1), (1, 0), (1, 0)]
    checks = CustodyEntry.objects.filter(event_type="fixity_check").order_by("pk")
    assert [entry.evidence_id for entry in checks] == [damaged.pk, others[0].pk, others[1].pk]


def test_every_check_moves_last_checked_but_only_a_held_one_moves_last_verified(case_a, member_of):
    user = member_of(case_a, Role.INVESTIGATOR)
    damaged = archived_item(case_a, user, b"damaged " * 100, name="a.txt")
    sound = archived_item(case_a, user, b"sound " * 100, name="b.txt")
    flip_one_byte(Path(storages["archive"].path(damaged.archive_key)))
    before = timezone.now()

    fixity.fixity_check_due(agent=common.worker_agent("fixity"), limit=10)

    damaged_after, sound_after = (EvidenceItem.objects.get(pk=item.pk) for item in (damaged, sound))
    assert damaged_after.last_checked_at > before
    assert sound_after.last_checked_at > before
    assert damaged_after.last_verified_at == damaged.last_verified_at  # when it last held: at archiving
    assert damaged_after.last_verified_at < before
    assert sound_after.last_verified_at > before


@pytest.mark.usefixtures("s3_archive")
def test_a_storage_error_that_is_not_an_oserror_is_recorded_and_the_run_goes_on(case_a, member_of):
    user = member_of(case_a, Role.INVESTIGATOR)
    frozen = archived_item(case_a, user, b"moved to cold storage " * 100, name="a.txt")
    sound = archived_item(case_a, user, b"still readable " * 100, name="b.txt")
    assert (frozen.status, sound.status) == ("archived", "archived")
    # A lifecycle rule moved one object to Glacier: reading it answers InvalidObjectState, a botocore
    # ClientError (not an OSError).
    storages["archive"].connection.meta.client.copy_object(
        Bucket=BUCKET,
        Key=frozen.archive_key,
        CopySource={"Bucket": BUCKET, "Key": frozen.archive_key},
        StorageClass="GLACIER",
    )

    checked, failed = fixity.fixity_check_due(agent=common.worker_agent("fixity"), limit=10)

    assert (checked, failed) == (2, 1)
    check = frozen.custody.get(event_type="fixity_check")
    assert check.outcome == "failure"
    assert "InvalidObjectState" in check.detail
    assert sound.custody.get(event_type="fixity_check").outcome == "success"
    frozen.refresh_from_db()
    assert frozen.fixity_failed_at is not None
    assert frozen.last_checked_at is not None


def test_a_check_that_holds_again_clears_the_failure_and_custody_keeps_both(case_a, member_of):
    user = member_of(case_a, Role.INVESTIGATOR)
    content = b"restored from the off-site copy " * 100
    item = archived_item(case_a, user, content, name="a.txt")
    path = Path(storages["archive"].path(item.archive_key))
    flip_one_byte(path)
    fixity.fixity_check_due(agent=common.worker_agent("fixity"), limit=1)
    item.refresh_from_db()
    failed_at = item.fixity_failed_at
    assert failed_at is not None

    path.write_bytes(content)  # e.g. an outage that made the copy unreadable is over, or it was restored
    checked, failed = fixity.fixity_check_due(agent=common.worker_agent("fixity"), limit=1)

    assert (checked, failed) == (1, 0)
    item.refresh_from_db()
    assert item.fixity_failed_at is None
    assert item.last_verified_at > failed_at
    checks = item.custody.filter(event_type="fixity_check").order_by("sequence")
    assert [check.outcome for check in checks] == ["failure", "success"]
    assert f"had failed since {failed_at.isoformat(timespec='seconds')}" in checks[1].detail
