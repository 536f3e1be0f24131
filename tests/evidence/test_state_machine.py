"""The evidence state machine: every pair of states, the claim as a lease, attempts that end in
``failed``, receipt hashes, resumed runs and the intake copy's end. Synchronous: the worker's code
runs in this process against the real database and file stores."""

import hashlib
import itertools
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import DatabaseError, transaction
from django.test import override_settings
from django.utils import timezone

from evidence.models import Case, EvidenceItem, OutboxTask, Role
from evidence.services.intake import evidence_receive, intake_remove_orphans
from evidence.services.processing import (
    TRANSITIONS,
    ClaimLost,
    evidence_claim,
    evidence_mark_failed,
    evidence_record_archived,
    evidence_record_hashes,
    evidence_retry,
    evidence_sweep_stuck,
    steps_recorded,
)
from workers import common, processing

pytestmark = pytest.mark.django_db(transaction=True)

STATES = ["received", "processing", "archived", "duplicate", "corrupt", "failed"]
# Written by hand from the README's table, not read from the code.
ALLOWED = {
    ("received", "processing"),
    ("processing", "received"),
    ("processing", "archived"),
    ("processing", "duplicate"),
    ("processing", "corrupt"),
    ("processing", "failed"),
    ("failed", "received"),
}
AGENT = common.worker_agent("test")


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR)


def receive(case, user, content: bytes = b"a statement, as recorded", name: str = "statement.txt", **fields):
    return evidence_receive(
        actor=user, case=case, upload=ContentFile(content, name=name), original_filename=name, **fields
    )


def events(item) -> list[tuple[str, str]]:
    return list(item.custody.order_by("sequence").values_list("event_type", "outcome"))


def item_in(case: Case, status: str) -> EvidenceItem:
    case.evidence_counter += 1
    case.save()
    return EvidenceItem.objects.create(
        case=case, ern=f"{case.reference}-{case.evidence_counter:06d}", original_filename="x", status=status
    )


def test_the_transition_table_is_the_one_the_readme_states():
    assert {(old, new) for old, targets in TRANSITIONS.items() for new in targets} == ALLOWED


@pytest.mark.parametrize(("old", "new"), [pair for pair in itertools.permutations(STATES, 2)])
def test_the_database_allows_exactly_the_transitions_of_the_table(case_a, old, new):
    item = item_in(case_a, old)

    if (old, new) in ALLOWED:
        EvidenceItem.objects.filter(pk=item.pk).update(status=new)
        item.refresh_from_db()
        assert item.status == new
    else:
        with pytest.raises(DatabaseError, match=f"cannot go from {old} to {new}"), transaction.atomic():
            EvidenceItem.objects.filter(pk=item.pk).update(status=new)
        item.refresh_from_db()
        assert item.status == old


def test_the_digests_are_taken_at_receipt_and_recorded_in_the_first_custody_entry(case_a, investigator):
    content = b"testimony of a witness, recorded in Irpin"

    item = receive(case_a, investigator, content)

    assert item.status == "received"
    assert item.sha256 == hashlib.sha256(content).hexdigest()
    assert item.md5 == hashlib.md5(content).hexdigest()  # noqa: S324 - the forensic digest, not security
    assert item.size_bytes == len(content)
    received = item.custody.get(sequence=1)
    assert received.event_type == "received"
    assert received.details["sha256"] == hashlib.sha256(content).hexdigest()
    assert hashlib.sha256(content).hexdigest() in received.detail


def test_an_intake_copy_changed_after_receipt_is_corrupt_with_both_hashes_and_kept(case_a, investigator):
    item = receive(case_a, investigator, b"the bytes that arrived")
    intake_path = Path(storages["intake"].path(item.intake_key))
    intake_path.write_bytes(b"the bytes someone put there later")

    assert processing.process(item.pk, agent=AGENT) == "corrupt"

    item.refresh_from_db()
    received_sha = hashlib.sha256(b"the bytes that arrived").hexdigest()
    found_sha = hashlib.sha256(b"the bytes someone put there later").hexdigest()
    assert item.status == "corrupt"
    assert item.sha256 == received_sha  # the hash of what arrived is never overwritten
    assert item.archive_key == ""  # bytes that are not what arrived are never archived as the evidence
    assert intake_path.read_bytes() == b"the bytes someone put there later"  # kept for examination
    corrupt = item.custody.get(event_type="corrupt")
    assert received_sha in corrupt.detail and found_sha in corrupt.detail
    assert corrupt.details == {"received_sha256": received_sha, "found_sha256": found_sha, "found_size": 33}


def test_a_submitted_hash_that_differs_is_a_corrupt_verdict_in_custody_and_the_bytes_are_archived(case_a, investigator):
    content = b"a photo damaged on its way from the field"
    item = receive(case_a, investigator, content, submitted_sha256="ab" * 32)

    assert processing.process(item.pk, agent=AGENT) == "corrupt"

    item.refresh_from_db()
    received_sha = hashlib.sha256(content).hexdigest()
    assert item.status == "corrupt"
    assert "ab" * 32 in item.status_reason and received_sha in item.status_reason
    assert Path(storages["archive"].path(item.archive_key)).read_bytes() == content
    corrupt = item.custody.get(event_type="corrupt")
    assert corrupt.outcome == "failure"
    assert corrupt.details == {"submitted_sha256": "ab" * 32, "received_sha256": received_sha}


@override_settings(SLID_PROCESSING_MAX_RETRIES=1, SLID_RETRY_BASE_SECONDS=30)
def test_an_item_that_fails_every_attempt_ends_failed_with_the_reason_in_custody(case_a, investigator):
    item = receive(case_a, investigator)
    storages["intake"].delete(item.intake_key)  # every attempt now fails to read it

    assert processing.process(item.pk, agent=AGENT) == "will retry"
    item.refresh_from_db()
    assert item.status == "received"
    waiting = OutboxTask.objects.get(task="workers.tasks.process_evidence", args=[item.pk])
    assert timedelta(seconds=25) < waiting.due_at - timezone.now() <= timedelta(seconds=30)

    assert processing.process(item.pk, agent=AGENT) == "failed"
    item.refresh_from_db()
    assert item.status == "failed"
    assert "FileNotFoundError" in item.status_reason
    assert events(item)[-2:] == [("failed", "warning"), ("failed", "failure")]
    assert "after 2 attempts" in item.custody.order_by("-sequence").first().detail


def test_a_failed_item_is_retried_with_a_fresh_count_and_a_custody_entry(case_a, investigator):
    item = receive(case_a, investigator)
    claim = evidence_claim(item_id=item.pk)
    evidence_mark_failed(claim=claim, agent=AGENT, reason="exiftool crashed")

    evidence_retry(actor=investigator, item=item)

    item.refresh_from_db()
    assert (item.status, item.attempts) == ("received", 0)
    assert events(item)[-1] == ("retried", "success")


def test_a_stale_workers_failure_cannot_fail_an_item_another_worker_holds(case_a, investigator):
    item = receive(case_a, investigator)
    with override_settings(SLID_LEASE_SECONDS=0):
        stale = evidence_claim(item_id=item.pk)
    current = evidence_claim(item_id=item.pk)  # the first lease ran out at once

    assert current is not None and current.token != stale.token
    assert evidence_mark_failed(claim=stale, agent=AGENT, reason="it was too late") is False
    item.refresh_from_db()
    assert (item.status, item.claim_token) == ("processing", current.token)
    with pytest.raises(ClaimLost):
        evidence_record_hashes(claim=stale, agent=AGENT, size=1, hexdigests={"sha256": "0" * 64})


def test_a_live_lease_cannot_be_claimed_and_the_heartbeat_keeps_it(case_a, investigator):
    item = receive(case_a, investigator)
    with override_settings(SLID_LEASE_SECONDS=1):
        claim = evidence_claim(item_id=item.pk)
        with processing.lease_kept(claim):
            time.sleep(2.5)  # longer than the lease: only the heartbeat keeps it
            assert evidence_claim(item_id=item.pk) is None
        time.sleep(1.2)  # no heartbeat now: the lease runs out

    assert evidence_claim(item_id=item.pk) is not None


@override_settings(SLID_PROCESSING_MAX_RETRIES=2)
def test_an_item_whose_worker_dies_every_time_ends_failed(case_a, investigator):
    item = receive(case_a, investigator)
    for _ in range(3):  # each claim's worker "dies": its lease simply runs out
        with override_settings(SLID_LEASE_SECONDS=0):
            assert evidence_claim(item_id=item.pk) is not None

    assert processing.process(item.pk, agent=AGENT) == "failed"
    item.refresh_from_db()
    assert item.status == "failed"
    assert item.status_reason == "The worker stopped during each of 3 attempts"


def test_a_rerun_resumes_after_the_steps_already_recorded(case_a, investigator):
    item = receive(case_a, investigator, b"%PDF-1.4\n a statement")
    # The archive cannot be written: a file stands where its folder must go.
    archive_root = Path(storages["archive"].location)
    archive_root.mkdir(parents=True, exist_ok=True)
    blocker = archive_root / "sha256"
    blocker.write_bytes(b"")

    assert processing.process(item.pk, agent=AGENT) == "will retry"
    assert steps_recorded(item_id=item.pk) == {"hashed", "identified", "described"}
    blocker.unlink()
    assert processing.process(item.pk, agent=AGENT) == "archived"

    assert [event for event, _ in events(item)] == [
        "received", "hashed", "identified", "described", "failed", "archived", "verified",
    ]  # fmt: skip


def test_a_copy_of_an_item_not_yet_archived_is_archived_itself_not_a_duplicate(case_a, investigator):
    content = b"the same video, sent twice"
    first = receive(case_a, investigator, content)  # never processed: its worker never came
    second = receive(case_a, investigator, content, name="again.mp4")

    assert processing.process(second.pk, agent=AGENT) == "archived"

    second.refresh_from_db()
    assert second.duplicate_of is None
    assert Path(storages["archive"].path(second.archive_key)).read_bytes() == content
    assert processing.process(first.pk, agent=AGENT) == "duplicate"
    first.refresh_from_db()
    assert (first.duplicate_of, first.archive_key) == (second, second.archive_key)


def test_the_intake_copy_stays_when_the_archived_state_is_not_committed(case_a, investigator):
    item = receive(case_a, investigator)
    claim = evidence_claim(item_id=item.pk)
    key = processing.archive.store_in_archive(storages["intake"].path(item.intake_key), item.sha256).key

    with pytest.raises(RuntimeError), transaction.atomic():
        evidence_record_archived(claim=claim, agent=AGENT, archive_key=key, verified_sha256=item.sha256)
        raise RuntimeError("the database went away before the commit")

    item.refresh_from_db()
    assert item.status == "processing"
    assert storages["intake"].exists(item.intake_key)


def test_the_sweep_sends_items_whose_lease_ran_out_and_old_receipts_without_a_message(case_a, investigator):
    expired = receive(case_a, investigator, b"one")
    with override_settings(SLID_LEASE_SECONDS=0):
        evidence_claim(item_id=expired.pk)
    waiting = receive(case_a, investigator, b"two")
    fresh = receive(case_a, investigator, b"three")
    OutboxTask.objects.all().delete()  # as if their messages had been sent
    EvidenceItem.objects.filter(pk=waiting.pk).update(received_at=timezone.now() - timedelta(hours=1))

    # A broker that does not answer keeps the messages in the outbox, where the test can see them.
    with override_settings(SLID_RECEIVED_STALE_SECONDS=300, CELERY_BROKER_URL="redis://127.0.0.1:9/0"):
        swept = evidence_sweep_stuck()

    assert sorted(swept) == sorted([expired.pk, waiting.pk])
    assert fresh.pk not in swept
    assert sorted(args[0] for args in OutboxTask.objects.values_list("args", flat=True)) == sorted(swept)
    # Sent once, the old receipt waits for its deadline before it is sent again: no flood of copies.
    OutboxTask.objects.all().delete()
    with override_settings(SLID_RECEIVED_STALE_SECONDS=300, CELERY_BROKER_URL="redis://127.0.0.1:9/0"):
        assert evidence_sweep_stuck() == [expired.pk]  # nobody took it up: its lease is still run out


def test_intake_files_no_item_records_are_removed_once_old(case_a, investigator):
    recorded = receive(case_a, investigator)
    intake = storages["intake"]
    old_orphan = intake.save(f"{case_a.public_id}/orphan-old", ContentFile(b"left by a killed upload"))
    new_orphan = intake.save(f"{case_a.public_id}/orphan-new", ContentFile(b"being recorded right now"))
    two_hours_ago = time.time() - 7200
    os.utime(intake.path(old_orphan), (two_hours_ago, two_hours_ago))
    os.utime(intake.path(recorded.intake_key), (two_hours_ago, two_hours_ago))

    assert intake_remove_orphans() == [old_orphan]
    assert intake.exists(new_orphan) and intake.exists(recorded.intake_key)


def test_removing_orphans_from_an_intake_store_nothing_was_ever_received_on_removes_nothing(settings, tmp_path):
    intake = {**settings.STORAGES["intake"], "OPTIONS": {"location": str(tmp_path / "never-made")}}
    settings.STORAGES = {**settings.STORAGES, "intake": intake}

    assert intake_remove_orphans() == []


def test_an_intake_write_that_fails_half_way_leaves_no_file_and_no_item(case_a, investigator):
    class DiskFull(ContentFile):
        def chunks(self, chunk_size=None):
            yield b"the first half"
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        evidence_receive(
            actor=investigator,
            case=case_a,
            upload=DiskFull(b"x" * 100, name="big.mov"),
            original_filename="big.mov",
            receipt=processing.hashing.Digests(size=100, hexdigests={"sha256": "0" * 64}),
        )

    folder = Path(storages["intake"].location) / str(case_a.public_id)
    assert not folder.exists() or list(folder.iterdir()) == []
    assert EvidenceItem.objects.count() == 0


def test_an_intake_copy_changed_after_its_hash_is_never_archived_under_that_hash(case_a, investigator):
    item = receive(case_a, investigator, b"%PDF-1.4\n the statement as it arrived")
    archive_root = Path(storages["archive"].location)
    archive_root.mkdir(parents=True, exist_ok=True)
    blocker = archive_root / "sha256"
    blocker.write_bytes(b"")  # the first attempt hashes, then cannot archive
    assert processing.process(item.pk, agent=AGENT) == "will retry"
    blocker.unlink()
    Path(storages["intake"].path(item.intake_key)).write_bytes(b"%PDF-1.4\n a statement someone rewrote")

    assert processing.process(item.pk, agent=AGENT) == "corrupt"  # the resumed run does not hash again

    item.refresh_from_db()
    assert item.status == "corrupt" and item.archive_key == ""
    assert not (archive_root / "sha256").exists() or not any(p.is_file() for p in (archive_root / "sha256").rglob("*"))
    rewritten = hashlib.sha256(b"%PDF-1.4\n a statement someone rewrote").hexdigest()
    assert rewritten in item.custody.get(event_type="corrupt").detail
