"""A worker killed mid-way, and a broker that is down: the item still ends archived, exactly once."""

import time

import pytest
from django.test import override_settings

from evidence.models import EvidenceItem, Role
from evidence.services.processing import evidence_sweep_stuck
from tests.redis_server import RedisServer
from tests.workers.worker import Worker, wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)

BIG = 400 * 1024 * 1024  # large enough that hashing takes a moment to interrupt


@pytest.fixture
def own_broker(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    with override_settings(CELERY_BROKER_URL=server.url):
        yield server
    server.stop()


def big_upload(tmp_path):

    path = tmp_path / "video.bin"
    with path.open("wb") as handle:
        block = bytes(range(256)) * 4096
        for _ in range(BIG // len(block)):
            handle.write(block)
    return path


@override_settings(SLID_PROCESSING_STALE_SECONDS=2)
def test_a_worker_killed_mid_hash_leaves_an_item_that_ends_archived(
    own_broker, client_for, case_a, member_of, tmp_path
):
    worker = Worker(tmp_path / "first.log", CELERY_BROKER_URL=own_broker.url, SLID_PROCESSING_STALE_SECONDS="2")
    path = big_upload(tmp_path)
    with path.open("rb") as handle:
        response = client_for(member_of(case_a, Role.INVESTIGATOR)).post(
            "/api/v1/evidence/", {"file": handle, "case": case_a.pk}, format="multipart"
        )
    item = EvidenceItem.objects.get(pk=response.json()["id"])
    wait_for_status(item, {"processing"}, timeout=30)
    worker.kill()  # SIGKILL: no clean-up, no acknowledgement, no release of the claim
    item.refresh_from_db()
    assert item.status == "processing" and item.sha256 is None

    second = Worker(tmp_path / "second.log", CELERY_BROKER_URL=own_broker.url, SLID_PROCESSING_STALE_SECONDS="2")
    try:
        time.sleep(2.5)  # the first claim is now stale
        assert item.pk in evidence_sweep_stuck()
        item = wait_for_status(item, {"archived", "failed"}, timeout=120)
    finally:
        second.stop()

    assert item.status == "archived", item.status_reason
    assert item.attempts >= 2
    assert item.custody.filter(event_type="archived").count() == 1


@override_settings(SLID_RECEIVED_STALE_SECONDS=0)
def test_an_upload_while_the_broker_is_down_is_accepted_and_archived_when_it_returns(
    own_broker, upload, case_a, member_of, tmp_path
):
    own_broker.stop()

    response = upload(member_of(case_a, Role.INVESTIGATOR), case_a, b"testimony recorded while Redis was down")

    assert response.status_code == 201
    item = EvidenceItem.objects.get(pk=response.json()["id"])
    assert item.status == "received"
    own_broker.start()
    worker = Worker(tmp_path / "worker.log", CELERY_BROKER_URL=own_broker.url)
    try:
        assert evidence_sweep_stuck() == [item.pk]
        item = wait_for_status(item, {"archived", "failed"}, timeout=60)
    finally:
        worker.stop()
    assert item.status == "archived"
