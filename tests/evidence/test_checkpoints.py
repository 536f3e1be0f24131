"""Checkpoints: Merkle roots over every chain's head, checked against roots and proofs computed here
with hashlib alone (RFC 6962 / RFC 9162), and the rewrite the triggers cannot stop, found and named."""

import base64
import contextlib
import hashlib
import re
import uuid
from datetime import UTC
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from evidence import custody
from evidence.agents import Agent
from evidence.models import AuditEntry, Checkpoint, CustodyEntry, CustodyEvent, Role, TimestampToken
from evidence.selectors.integrity import integrity_check
from evidence.services.checkpoints import checkpoint_build, checkpoint_stamp
from evidence.services.custody import custody_append
from evidence.services.intake import evidence_receive
from tests.factories import UserFactory
from tests.tsa import openssl_verifies, token_text

pytestmark = pytest.mark.django_db(transaction=True)


# --- An independent implementation, from RFC 6962 §2.1 and RFC 9162 §2.1.3.2, with hashlib only -------


def leaf(label: bytes, head_hex: str) -> bytes:
    return hashlib.sha256(b"\x00" + label + bytes.fromhex(head_hex)).digest()


def mth(leaves: list[bytes]) -> bytes:
    """Merkle Tree Hash, RFC 6962 §2.1: split at the largest power of two smaller than n."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def verify_inclusion(index: int, size: int, leaf_hash: bytes, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2, step by step."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def receive(case, count: int, actor=None) -> list:
    actor = actor or UserFactory()
    return [
        evidence_receive(
            actor=actor, case=case, upload=ContentFile(f"evidence {n}".encode()), original_filename=f"{n}.txt"
        )
        for n in range(count)
    ]


def chain_heads() -> list[tuple[bytes, str]]:
    """(public id bytes, head hash) of each item, in the order received, read with plain SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.public_id, (SELECT entry_hash FROM evidence_custodyentry c WHERE c.evidence_id = i.id "
            "ORDER BY sequence DESC LIMIT 1) FROM evidence_evidenceitem i ORDER BY i.id"
        )
        return [(uuid.UUID(str(public_id)).bytes, head) for public_id, head in cursor.fetchall()]


def audit_head() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT link_hash FROM evidence_auditlink ORDER BY position DESC LIMIT 1")
        return cursor.fetchone()[0]


def test_the_root_is_rfc_6962s_over_the_audit_log_and_every_chain_head(case_a, case_b):
    receive(case_a, 4)
    receive(case_b, 3)

    checkpoint = checkpoint_build()

    leaves = [leaf(bytes(16), audit_head())] + [leaf(label, head) for label, head in chain_heads()]
    assert checkpoint.tree_size == 8
    assert checkpoint.root == mth(leaves).hex()
    assert checkpoint.audit_position == AuditEntry.objects.count() == 7  # one evidence.receive each


def test_a_root_of_one_leaf_and_of_three_is_what_the_rfc_gives_by_hand():
    from evidence import merkle

    a, b, c = (hashlib.sha256(bytes([n])).digest() for n in range(3))
    assert merkle.build_levels([a])[-1][0] == a
    ab = hashlib.sha256(b"\x01" + a + b).digest()
    assert merkle.build_levels([a, b, c])[-1][0] == hashlib.sha256(b"\x01" + ab + c).digest()


@pytest.mark.parametrize("items", [1, 2, 6, 7])
def test_every_items_inclusion_proof_verifies_independently(case_a, client_for, member_of, items):
    received = receive(case_a, items)
    checkpoint = checkpoint_build()
    reader = member_of(case_a, Role.ANALYST)

    for position, item in enumerate(received, start=1):
        answer = client_for(reader).get(f"/api/v1/evidence/{item.pk}/custody/proof/")
        assert answer.status_code == 200, answer.content
        proof = answer.json()
        head = item.custody.order_by("-sequence").first()
        expected_leaf = leaf(item.public_id.bytes, head.entry_hash)
        assert proof["leaf_index"] == position
        assert proof["tree_size"] == items + 1
        assert proof["root"] == checkpoint.root
        assert proof["checkpoint"]["id"] == checkpoint.pk
        assert proof["head_sequence"] == head.sequence
        assert proof["head_hash"] == head.entry_hash
        assert proof["leaf_hash"] == expected_leaf.hex()
        path = [bytes.fromhex(node) for node in proof["audit_path"]]
        assert verify_inclusion(position, items + 1, expected_leaf, path, bytes.fromhex(checkpoint.root))
        assert not verify_inclusion(
            position, items + 1, leaf(item.public_id.bytes, "0" * 64), path, bytes.fromhex(checkpoint.root)
        )


def test_the_proof_is_for_the_items_own_case_only(case_a, case_b, client_for, member_of):
    [item] = receive(case_a, 1)
    checkpoint_build()

    answer = client_for(member_of(case_b, Role.LEAD)).get(f"/api/v1/evidence/{item.pk}/custody/proof/")

    assert answer.status_code == 404


def test_an_item_received_after_the_latest_checkpoint_has_no_proof_yet(case_a, client_for, member_of):
    lead = member_of(case_a, Role.LEAD)
    answer = client_for(lead).get(f"/api/v1/evidence/{receive(case_a, 1)[0].pk}/custody/proof/")
    assert answer.status_code == 404
    assert answer.json()["detail"] == "No checkpoint has been built yet."

    checkpoint = checkpoint_build()
    [late] = receive(case_a, 1)
    answer = client_for(lead).get(f"/api/v1/evidence/{late.pk}/custody/proof/")

    assert answer.status_code == 404
    assert answer.json()["detail"].startswith(f"The item is not in the latest checkpoint ({checkpoint.pk}, ")


def test_checkpoints_are_listed_for_members_and_staff_with_their_tokens(
    case_a, client_for, member_of, settings, local_tsa, tsa_signers, tmp_path
):
    receive(case_a, 1)
    first = checkpoint_build()
    receive(case_a, 1)
    second = checkpoint_build()
    settings.SLID_TSA_URLS = [local_tsa.url]
    settings.SLID_TSA_ROOTS = [str(tsa_signers[0].ca_pem)]

    checkpoint_stamp(checkpoint=second)

    answer = client_for(member_of(case_a, Role.ANALYST)).get("/api/v1/checkpoints/")

    assert answer.status_code == 200
    listed = answer.json()["results"]
    assert [row["id"] for row in listed] == [second.pk, first.pk]
    assert listed[0]["root"] == second.root and listed[0]["size"] == 3
    [token] = listed[0]["tokens"]
    assert token["tsa"] == local_tsa.url and token["verified"] is True
    # The token is over the root itself, signed by the test authority: as openssl reads it, not Slid's code.
    der = base64.b64decode(token["token"])
    assert "Verification: OK" in openssl_verifies(der, second.root, tsa_signers[0].ca_pem, tmp_path).stdout
    serial = re.search(r"Serial number: (0x[0-9A-Fa-f]+|\d+)", token_text(der, tmp_path)).group(1)
    assert str(int(serial, 0)) == token["serial"]
    assert listed[0]["not_timestamped"] is None
    assert listed[1]["tokens"] == []
    assert listed[1]["not_timestamped"].startswith("Not timestamped: no time-stamping authority gave a token")
    assert client_for(UserFactory()).get("/api/v1/checkpoints/").status_code == 403
    assert client_for(UserFactory(is_staff=True)).get("/api/v1/checkpoints/").status_code == 200


def test_checkpoints_their_tokens_and_the_audit_chain_are_append_only(case_a):
    receive(case_a, 1)
    checkpoint = checkpoint_build()
    TimestampToken.objects.create(
        checkpoint=checkpoint, sha256=checkpoint.root, tsa_url="t", token=b"x", serial="1",
        gen_time=checkpoint.created_at, verified=False, refusal="test",
    )  # fmt: skip
    for statement in (
        "UPDATE evidence_checkpoint SET root = repeat('0', 64)",
        "DELETE FROM evidence_checkpoint",
        "UPDATE evidence_timestamptoken SET verified = true",
        "DELETE FROM evidence_timestamptoken",
        "UPDATE evidence_auditlink SET link_hash = repeat('0', 64)",
        "DELETE FROM evidence_auditlink",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only|kept as received"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)


def test_a_chain_that_grows_after_a_checkpoint_still_verifies_and_the_next_records_only_what_moved(case_a, capsys):
    first, second, third = receive(case_a, 3)
    checkpoint_build()
    with transaction.atomic():
        custody_append(item=second, event_type=CustodyEvent.ACCESSED, agent=Agent.for_worker("t"), detail="read")
    later = checkpoint_build()

    call_command("verify_custody")

    assert later.changed_leaves == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "The audit log's chain holds (3 links), and today's chains reproduce all 2 checkpoints."
    )


def rewrite_chain_as_owner(as_owner, ern: str, new_detail: str) -> None:
    """The attack the triggers cannot stop: the owner switches them off, changes entry 1 of the item's chain
    and recomputes every hash after it, so the chain holds again."""
    with as_owner() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign key check left pending when re-enabling
        cursor.execute("ALTER TABLE evidence_custodyentry DISABLE TRIGGER custody_append_only")
        cursor.execute(
            "SELECT c.id, i.public_id FROM evidence_custodyentry c "
            "JOIN evidence_evidenceitem i ON i.id = c.evidence_id "
            "WHERE i.ern = %s ORDER BY c.sequence",
            [ern],
        )
        rows = cursor.fetchall()
        cursor.execute("UPDATE evidence_custodyentry SET detail = %s WHERE id = %s", [new_detail, rows[0][0]])
        previous = custody.GENESIS_HASH
        for entry_id, public_id in rows:
            entry = CustodyEntry.objects.get(pk=entry_id)  # read through Django only for the fields' values
            entry.detail = new_detail if entry_id == rows[0][0] else entry.detail
            entry.previous_hash = previous
            previous = custody.entry_hash(custody.entry_fields(entry, str(public_id)))
            cursor.execute(
                "UPDATE evidence_custodyentry SET previous_hash = %s, entry_hash = %s WHERE id = %s",
                [entry.previous_hash, previous, entry_id],
            )
        cursor.execute("ALTER TABLE evidence_custodyentry ENABLE TRIGGER custody_append_only")


def test_a_chain_the_owner_rewrote_consistently_is_named_with_the_checkpoint(case_a, as_owner, capsys):
    items = receive(case_a, 3)
    with transaction.atomic():
        custody_append(item=items[1], event_type=CustodyEvent.ACCESSED, agent=Agent.for_worker("t"), detail="read")
    checkpoint = checkpoint_build()
    recorded = items[1].custody.order_by("-sequence").first().entry_hash
    rewrite_chain_as_owner(as_owner, "UA-2022-BUCHA-000002", "received from someone else")
    rewritten = items[1].custody.order_by("-sequence").first().entry_hash
    assert rewritten != recorded
    assert integrity_check().findings == []  # the chains alone still hold: the rewrite is consistent

    with pytest.raises(CommandError) as failure:
        call_command("verify_custody")

    when = checkpoint.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert capsys.readouterr().out.splitlines() == [
        f"UA-2022-BUCHA-000002: checkpoint {checkpoint.pk} ({when} UTC) recorded custody entry 2 as the head of its "
        f"chain, with hash {recorded}; today that entry's hash is {rewritten}: the chain was rewritten after the "
        "checkpoint"
    ]
    assert str(failure.value).endswith(
        "checkpoints not reproduced by today's chains: 1; timestamp tokens missing or not holding: 0."
    )


@pytest.fixture
def as_superuser():
    """A cursor on the test database as the cluster's superuser (the local cluster's `slid`, whose password
    scripts/services.sh keeps in var/postgres/password): the one who can switch every trigger off at once."""
    password_file = Path(django_settings.BASE_DIR) / "var" / "postgres" / "password"
    if not password_file.is_file():
        pytest.skip("no superuser of the local cluster here (DATABASE_URL names another server)")
    database = connection.settings_dict

    @contextlib.contextmanager
    def cursor():
        with psycopg.connect(
            host=database["HOST"], port=database["PORT"] or None, dbname=database["NAME"],
            user="slid", password=password_file.read_text().strip(),
        ) as superuser, superuser.cursor() as opened:  # fmt: skip
            yield opened

    return cursor


def test_a_chain_the_superuser_rewrote_with_every_trigger_off_is_named_with_the_checkpoint(
    case_a, as_superuser, capsys
):
    items = receive(case_a, 2)
    checkpoint = checkpoint_build()
    recorded = items[0].custody.order_by("-sequence").first().entry_hash
    with as_superuser() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (True,)
        # Replica mode: no trigger fires for this session (append-only, set-once, all of them).
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "SELECT c.id FROM evidence_custodyentry c JOIN evidence_evidenceitem i ON i.id = c.evidence_id "
            "WHERE i.ern = %s ORDER BY c.sequence",
            ["UA-2022-BUCHA-000001"],
        )
        entry_ids = [row[0] for row in cursor.fetchall()]
        previous = custody.GENESIS_HASH
        for entry_id in entry_ids:
            entry = CustodyEntry.objects.get(pk=entry_id)
            if entry_id == entry_ids[0]:
                entry.detail = "received from another investigator"
            entry.previous_hash = previous
            previous = custody.entry_hash(custody.entry_fields(entry, str(items[0].public_id)))
            cursor.execute(
                "UPDATE evidence_custodyentry SET detail = %s, previous_hash = %s, entry_hash = %s WHERE id = %s",
                [entry.detail, entry.previous_hash, previous, entry_id],
            )
    assert integrity_check().findings == []  # every hash recomputed: the chains alone hold

    with pytest.raises(CommandError):
        call_command("verify_custody")

    printed = capsys.readouterr().out
    assert f"UA-2022-BUCHA-000001: checkpoint {checkpoint.pk} (" in printed
    assert f"with hash {recorded}; today that entry's hash is {previous}: the chain was rewritten" in printed


def test_an_audit_entry_the_owner_changed_after_a_checkpoint_is_found(case_a, as_owner, capsys):
    receive(case_a, 2)
    checkpoint_build()
    with as_owner() as cursor:
        cursor.execute("ALTER TABLE evidence_auditentry DISABLE TRIGGER audit_append_only")
        cursor.execute(
            "UPDATE evidence_auditentry SET target = 'nobody' WHERE id = (SELECT min(id) FROM evidence_auditentry)"
        )
        cursor.execute("ALTER TABLE evidence_auditentry ENABLE TRIGGER audit_append_only")

    with pytest.raises(CommandError, match="the audit log's chain broken: yes"):
        call_command("verify_custody")

    first = AuditEntry.objects.order_by("id").first()
    assert capsys.readouterr().out.splitlines() == [
        f"audit log: link 1: audit entry {first.pk} does not match the link's hash"
    ]


def test_a_published_root_is_printed_and_checked_later(case_a, as_owner, capsys):
    receive(case_a, 2)
    call_command("checkpoint_root", build=True)
    printed = capsys.readouterr().out.splitlines()
    checkpoint = Checkpoint.objects.get()
    assert printed[0].startswith(f"Slid checkpoint {checkpoint.pk} of ")
    assert printed[2:4] == ["tree size: 3", f"root: {checkpoint.root}"]
    assert printed[-1].startswith("timestamp: none. Not timestamped: no time-stamping authority is configured")

    call_command("checkpoint_root", check=checkpoint.root.upper())
    assert "today's chains reproduce it" in capsys.readouterr().out

    rewrite_chain_as_owner(as_owner, "UA-2022-BUCHA-000001", "never received")
    with pytest.raises(CommandError, match=f"Checkpoint {checkpoint.pk} has the published root {checkpoint.root}, but"):
        call_command("checkpoint_root", check=checkpoint.root)
    with pytest.raises(CommandError, match="No checkpoint has the root 00000"):
        call_command("checkpoint_root", check="0" * 64)
