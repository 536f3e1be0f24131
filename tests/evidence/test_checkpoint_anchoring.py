"""What anchors checkpoints outside the database, and what verify_custody makes of it: the stored RFC 3161
tokens checked again (a checkpoint's over its root, an item's over its SHA-256 and against its custody),
checkpoints missing or left unstamped, backdated items, a kept tree that was changed, and the sweep that
stamps what the authorities did not. Every tampering is done by the owner role and committed."""

import hashlib
import struct
from datetime import UTC, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from evidence import custody
from evidence.agents import Agent
from evidence.custody import CustodyDetailsError
from evidence.models import AuditAction, AuditEntry, Checkpoint, CustodyEntry, TimestampToken
from evidence.selectors.checkpoints import health_checkpoints
from evidence.services.audit import audit_record
from evidence.services.checkpoints import checkpoint_build, checkpoint_stamp, checkpoints_stamp_sweep
from evidence.services.timestamps import evidence_record_timestamps, timestamp_digest
from tests.evidence.test_checkpoints import audit_head, chain_heads, leaf, mth, receive, rewrite_chain_as_owner
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tsa(settings, local_tsa, tsa_signers):
    settings.SLID_TSA_URLS = [local_tsa.url]
    settings.SLID_TSA_ROOTS = [str(tsa_signers[0].ca_pem)]
    settings.SLID_CHECKPOINT_STAMP_HOURS = 24
    return local_tsa


def verify(capsys) -> tuple[list[str], str | None]:
    try:
        call_command("verify_custody")
        error = None
    except CommandError as failure:
        error = str(failure)
    return capsys.readouterr().out.splitlines(), error


def when(checkpoint: Checkpoint) -> str:
    return f"Checkpoint {checkpoint.pk} ({checkpoint.created_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC)"


def move_checkpoint_back(as_owner, checkpoint: Checkpoint, hours: int) -> Checkpoint:
    with as_owner() as cursor:
        cursor.execute("ALTER TABLE evidence_checkpoint DISABLE TRIGGER checkpoint_append_only")
        cursor.execute(
            "UPDATE evidence_checkpoint SET created_at = created_at - %s WHERE id = %s",
            [timedelta(hours=hours), checkpoint.pk],
        )
        cursor.execute("ALTER TABLE evidence_checkpoint ENABLE TRIGGER checkpoint_append_only")
    return Checkpoint.objects.get(pk=checkpoint.pk)


def test_an_owner_who_rewrites_a_chain_and_the_checkpoint_too_is_caught_by_the_stored_token(
    case_a, as_owner, tsa, capsys
):
    """The review's attack: the chain is rewritten, and the checkpoint's root and records with it, so that
    today's chains reproduce it. The token over the old root, still stored, no longer holds."""
    receive(case_a, 3)
    checkpoint = checkpoint_build()
    assert len(checkpoint_stamp(checkpoint=checkpoint)) == 1
    assert verify(capsys)[1] is None

    rewrite_chain_as_owner(as_owner, "UA-2022-BUCHA-000002", "received from someone else")
    heads = chain_heads()  # computed here with hashlib, from plain SQL
    new_root = mth([leaf(bytes(16), audit_head())] + [leaf(label, head) for label, head in heads]).hex()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM evidence_evidenceitem ORDER BY id")
        ids = [row[0] for row in cursor.fetchall()]
    changes = b"".join(
        struct.pack(">qI", item_id, 1) + bytes.fromhex(head) for item_id, (_, head) in zip(ids, heads, strict=True)
    )
    with as_owner() as cursor:
        cursor.execute("ALTER TABLE evidence_checkpoint DISABLE TRIGGER checkpoint_append_only")
        cursor.execute(
            "UPDATE evidence_checkpoint SET root=%s, changes=%s WHERE id=%s", [new_root, changes, checkpoint.pk]
        )
        cursor.execute("ALTER TABLE evidence_checkpoint ENABLE TRIGGER checkpoint_append_only")
    assert new_root != checkpoint.root

    lines, error = verify(capsys)

    assert len(lines) == 1, lines  # the chains and the checkpoint now agree: only the token tells
    assert lines[0].startswith(f"{when(checkpoint)}: its token from {tsa.url} does not hold over its root {new_root}: ")
    assert error.endswith(
        "checkpoints not reproduced by today's chains: 0; timestamp tokens missing or not holding: 1."
    )


def test_a_token_stating_a_time_long_after_its_checkpoint_is_reported(case_a, as_owner, tsa, capsys):
    receive(case_a, 1)
    checkpoint = checkpoint_build()
    [token] = checkpoint_stamp(checkpoint=checkpoint)
    moved = move_checkpoint_back(as_owner, checkpoint, hours=30)

    lines, error = verify(capsys)

    assert lines == [
        f"{when(moved)}: its token from {tsa.url} states {token.gen_time.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC, "
        "not within 24 hours after the checkpoint: a token asked for a root written later"
    ]
    assert error.endswith("timestamp tokens missing or not holding: 1.")


def test_a_checkpoint_that_wanted_a_token_has_none_and_no_refusal_is_reported(case_a, as_owner, tsa, capsys):
    receive(case_a, 1)
    tsa.stop()
    checkpoint = move_checkpoint_back(as_owner, checkpoint_build(), hours=25)
    assert checkpoint.stamp_wanted is True

    lines, error = verify(capsys)

    assert lines == [
        f"{when(checkpoint)}: was built while a time-stamping authority was configured, and has no token and no "
        "refusal recorded: its tokens were removed, or no worker stamped it"
    ]
    assert error is not None

    assert checkpoint_stamp(checkpoint=checkpoint) == []  # the authority is down: its reason is recorded
    lines, error = verify(capsys)

    assert error is None
    assert lines[0].startswith(f"{when(checkpoint)} has no token: {tsa.url}: could not be reached: ")


def test_a_gap_in_the_checkpoints_ids_is_reported(case_a, as_owner, capsys):
    receive(case_a, 1)
    first = checkpoint_build()
    with as_owner() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('evidence_checkpoint', 'id'), %s)", [first.pk + 1])
    receive(case_a, 1)
    second = checkpoint_build()
    assert second.pk == first.pk + 2

    lines, error = verify(capsys)

    assert lines == [
        f"{when(second)}: comes after checkpoint {first.pk}: checkpoint {first.pk + 1} is missing (deleted?)"
    ]
    assert error is not None


def test_an_items_tokens_are_verified_again_and_one_removed_is_reported(case_a, as_owner, tsa, capsys):
    [item] = receive(case_a, 1)
    result = timestamp_digest(item.sha256)
    assert evidence_record_timestamps(item_id=item.pk, result=result, agent=Agent.for_worker("t"))
    [token] = TimestampToken.objects.filter(evidence=item)
    entry = CustodyEntry.objects.get(evidence=item, event_type="timestamped")

    lines, error = verify(capsys)
    assert error is None
    assert lines[-1] == "All 1 timestamp tokens verify again over what they stamp."

    with as_owner() as cursor:
        cursor.execute("ALTER TABLE evidence_timestamptoken DISABLE TRIGGER timestamp_append_only")
        cursor.execute("DELETE FROM evidence_timestamptoken WHERE id = %s", [token.pk])
        cursor.execute("ALTER TABLE evidence_timestamptoken ENABLE TRIGGER timestamp_append_only")
    lines, error = verify(capsys)

    assert lines == [
        f"UA-2022-BUCHA-000001: custody entry {entry.sequence} (timestamped) names token "
        f"{hashlib.sha256(bytes(token.token)).hexdigest()}; no such token is stored"
    ]
    assert error.endswith("timestamp tokens missing or not holding: 1.")


def test_an_items_token_that_does_not_hold_over_its_sha256_is_reported(case_a, as_owner, tsa, capsys):
    [item] = receive(case_a, 1)
    evidence_record_timestamps(item_id=item.pk, result=timestamp_digest(item.sha256), agent=Agent.for_worker("t"))
    with as_owner() as cursor:  # the file's hash changed everywhere the chains cannot see: on the item alone
        cursor.execute("ALTER TABLE evidence_evidenceitem DISABLE TRIGGER evidence_set_once")
        cursor.execute("UPDATE evidence_evidenceitem SET sha256 = repeat('1', 64) WHERE id = %s", [item.pk])
        cursor.execute("ALTER TABLE evidence_evidenceitem ENABLE TRIGGER evidence_set_once")

    lines, _ = verify(capsys)

    assert f"UA-2022-BUCHA-000001: its token from {tsa.url} does not hold over its SHA-256 {'1' * 64}: " in "\n".join(
        lines
    )


def backdate_receipt(as_owner, ern: str, moment) -> None:
    """The owner rewrites the item's chain so that it says it was received at ``moment``."""
    with as_owner() as cursor:
        cursor.execute("ALTER TABLE evidence_custodyentry DISABLE TRIGGER custody_append_only")
        cursor.execute(
            "SELECT c.id, i.public_id FROM evidence_custodyentry c JOIN evidence_evidenceitem i "
            "ON i.id = c.evidence_id WHERE i.ern = %s ORDER BY c.sequence",
            [ern],
        )
        rows = cursor.fetchall()
        previous = custody.GENESIS_HASH
        for entry_id, public_id in rows:
            entry = CustodyEntry.objects.get(pk=entry_id)
            entry.occurred_at = moment if entry_id == rows[0][0] else entry.occurred_at
            entry.previous_hash = previous
            previous = custody.entry_hash(custody.entry_fields(entry, str(public_id)))
            cursor.execute(
                "UPDATE evidence_custodyentry SET occurred_at = %s, previous_hash = %s, entry_hash = %s WHERE id = %s",
                [entry.occurred_at, entry.previous_hash, previous, entry_id],
            )
        cursor.execute("ALTER TABLE evidence_custodyentry ENABLE TRIGGER custody_append_only")


def test_an_item_inserted_with_a_backdated_receipt_is_reported(case_a, as_owner, capsys):
    receive(case_a, 1)
    first = checkpoint_build()
    [late] = receive(case_a, 1)
    backdate_receipt(as_owner, late.ern, first.created_at - timedelta(days=3))
    second = checkpoint_build()

    lines, error = verify(capsys)

    received = (first.created_at - timedelta(days=3)).astimezone(UTC)
    assert lines == [
        f"{late.ern}: first appears in {when(second)[0].lower()}{when(second)[1:]}, but its chain says it was "
        f"received at {received:%Y-%m-%d %H:%M:%S} UTC, before {when(first)[0].lower()}{when(first)[1:]}, which "
        f"does not hold it: it was inserted with a backdated receipt. Its presence is proven only from "
        f"{when(second)[0].lower()}{when(second)[1:]}"
    ]
    assert error is not None


def test_a_kept_tree_that_was_changed_gives_no_proof_and_the_next_build_records_the_anomaly(
    case_a, client_for, member_of
):
    [item, _] = receive(case_a, 2)
    checkpoint = checkpoint_build()
    with connection.cursor() as cursor:  # the app role may write the kept tree: it is derived data
        cursor.execute(
            "UPDATE evidence_checkpointtree SET levels = overlay(levels PLACING %s FROM 33) WHERE checkpoint_id = %s",
            [bytes(32), checkpoint.pk],
        )
    reader = member_of(case_a, "analyst")

    answer = client_for(reader).get(f"/api/v1/evidence/{item.pk}/custody/proof/")

    assert answer.status_code == 404
    assert answer.json()["detail"].startswith(f"The tree kept for checkpoint {checkpoint.pk} does not reproduce")

    receive(case_a, 1)
    later = checkpoint_build()
    [anomaly] = AuditEntry.objects.filter(action=AuditAction.CHECKPOINT_ANOMALY)
    assert anomaly.details == {
        "checkpoint": checkpoint.pk,
        "problem": "the tree kept for it does not reproduce its root",
    }
    assert later.base_id is None and later.changed_leaves == 3  # every leaf, resting on nothing doubtful
    health = health_checkpoints()
    assert health["alarm"] is True and health["anomalies"] == 1
    assert client_for(UserFactory(is_staff=True)).get("/api/v1/health/").json()["status"] == "error"


def test_the_proof_says_whether_the_leaf_is_still_the_chains_head(case_a, as_owner, client_for, member_of):
    [item] = receive(case_a, 1)
    checkpoint_build()
    reader = member_of(case_a, "analyst")
    assert client_for(reader).get(f"/api/v1/evidence/{item.pk}/custody/proof/").json()["holds"] is True

    rewrite_chain_as_owner(as_owner, item.ern, "received from someone else")

    assert client_for(reader).get(f"/api/v1/evidence/{item.pk}/custody/proof/").json()["holds"] is False


def test_a_checkpoint_the_authorities_did_not_stamp_is_stamped_by_the_sweep(case_a, tsa):
    from workers.tasks import build_checkpoint

    receive(case_a, 1)
    tsa.stop()

    built = build_checkpoint()

    checkpoint = Checkpoint.objects.get(pk=built["checkpoint"])
    assert built["tokens"] == 0
    [refused] = AuditEntry.objects.filter(action=AuditAction.CHECKPOINT_NOT_STAMPED)
    assert refused.details["checkpoint"] == checkpoint.pk and refused.details["tokens"] == 0
    assert refused.details["refusals"][0]["tsa"] == tsa.url
    assert refused.details["refusals"][0]["reason"].startswith("could not be reached")
    assert health_checkpoints()["waiting_for_token"] == 1
    assert checkpoints_stamp_sweep() == []  # still down: asked once, reason recorded again
    assert AuditEntry.objects.filter(action=AuditAction.CHECKPOINT_NOT_STAMPED).count() == 2

    tsa.start()

    assert checkpoints_stamp_sweep() == [checkpoint.pk]
    [token] = TimestampToken.objects.filter(checkpoint=checkpoint)
    assert token.verified and token.sha256 == checkpoint.root and token.tsa_url == tsa.url
    assert checkpoints_stamp_sweep() == []
    assert health_checkpoints()["waiting_for_token"] == 0


def test_a_build_when_nothing_changed_records_nothing(case_a):
    receive(case_a, 2)
    first = checkpoint_build()

    assert checkpoint_build() == first
    assert Checkpoint.objects.count() == 1

    receive(case_a, 1)
    assert checkpoint_build().pk != first.pk


def test_the_checkpoint_list_takes_the_same_queries_however_many_checkpoints(
    case_a, client_for, member_of, tsa, django_assert_num_queries
):
    reader = member_of(case_a, "analyst")
    client = client_for(reader)
    for _ in range(3):
        receive(case_a, 1)
        checkpoint_stamp(checkpoint=checkpoint_build())

    # the caller's token, the membership check, the count, the page and its tokens: not one more a checkpoint
    with django_assert_num_queries(5):
        listed = client.get("/api/v1/checkpoints/").json()["results"]

    assert [len(row["tokens"]) for row in listed] == [1, 1, 1]


def test_a_timestamp_token_stamps_one_item_or_one_checkpoint(case_a):
    [item] = receive(case_a, 1)
    checkpoint = checkpoint_build()
    fields = {"sha256": "a" * 64, "tsa_url": "t", "token": b"x", "serial": "1", "verified": False, "refusal": "t"}
    for owners in ({"evidence": item, "checkpoint": checkpoint}, {}):
        with pytest.raises(IntegrityError, match="timestamp_of_one_thing"), transaction.atomic():
            TimestampToken.objects.create(gen_time=checkpoint.created_at, **fields, **owners)


def test_the_audit_log_refuses_a_number_canonical_json_cannot_write_exactly():
    with pytest.raises(CustodyDetailsError, match=r"details.count = 1152921504606846976: integers beyond"):
        audit_record(actor=None, case=None, action=AuditAction.CASE_CREATE, details={"count": 2**60})
    assert not AuditEntry.objects.exists()
