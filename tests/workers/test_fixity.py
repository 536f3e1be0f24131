import os
from pathlib import Path

import pytest
from django.core.files.storage import storages

from evidence.models import Role
from evidence.selectors.items import evidence_fixity_batch_size, evidence_fixity_due
from tests.workers.helpers import archived_item
from workers import common, fixity

pytestmark = pytest.mark.django_db


def flip_one_byte(path: Path) -> None:
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_flipped_byte_in_the_archive_is_caught_recorded_and_reported(api, case_a, member_of):
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
    health = api.get("/api/v1/health/")
    assert health.status_code == 503
    assert damaged.ern in health.json()["fixity"]


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
