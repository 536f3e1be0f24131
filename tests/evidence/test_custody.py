import hashlib
import uuid
from datetime import UTC, datetime

import pytest
import rfc8785
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from evidence.agents import Agent
from evidence.custody import GENESIS_HASH, CustodyDetailsError, entry_fields, entry_hash
from evidence.models import CustodyEntry, CustodyEvent, EvidenceItem
from evidence.selectors.custody import custody_first_broken_link
from evidence.services.custody import custody_append
from evidence.services.intake import evidence_receive
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(case_a):
    from django.core.files.base import ContentFile

    return evidence_receive(
        actor=UserFactory(username="olena"),
        case=case_a,
        upload=ContentFile(b"evidence bytes"),
        original_filename="a.txt",
    )


def test_entries_chain_by_hash(item):
    agent = Agent.for_worker("test")
    custody_append(item=item, event_type=CustodyEvent.HASHED, agent=agent, detail="hashed")
    first, second = item.custody.order_by("sequence")

    assert first.previous_hash == GENESIS_HASH
    assert second.previous_hash == first.entry_hash
    assert second.entry_hash == entry_hash(entry_fields(second, item.public_id))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE evidence_custodyentry SET detail = 'nothing happened'",
        "DELETE FROM evidence_custodyentry",
    ],
)
def test_the_database_refuses_to_change_custody(item, statement):
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement)


def test_the_database_refuses_to_change_recorded_hashes(item):
    # Recorded at receipt (or here, for an item received before that).
    EvidenceItem.objects.filter(pk=item.pk, sha256__isnull=True).update(sha256="a" * 64, md5="b" * 32, size_bytes=14)
    item.refresh_from_db()
    recorded = (item.sha256, item.md5, item.size_bytes)
    assert None not in recorded

    for change in ("sha256 = repeat('c', 64)", "md5 = repeat('d', 32)", "size_bytes = 15", "sha256 = NULL"):
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE evidence_evidenceitem SET {change} WHERE id = %s", [item.pk])  # noqa: S608

    item.refresh_from_db()
    assert (item.sha256, item.md5, item.size_bytes) == recorded
    EvidenceItem.objects.filter(pk=item.pk).update(title="other fields may change")


def test_the_database_refuses_to_delete_evidence(item):
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM evidence_evidenceitem")


def test_verify_custody_passes_whole_chains(item, capsys):
    call_command("verify_custody")

    assert "All 1 chains of custody hold." in capsys.readouterr().out


def test_new_entries_are_hashed_in_rfc8785_as_version_2(item):
    entry = custody_append(
        item=item,
        event_type=CustodyEvent.ACCESSED,
        agent=Agent.for_worker("t"),
        detail="Переглянуто в Києві",
        details={"range": "bytes=0-3", "ratio": 0.5},
    )
    stored = CustodyEntry.objects.get(pk=entry.pk)
    fields = {  # by hand, hashed with the library itself
        "agent": "worker:t",
        "agent_details": stored.agent_details,
        "detail": "Переглянуто в Києві",
        "details": {"range": "bytes=0-3", "ratio": 0.5},
        "event_type": "accessed",
        "evidence": str(item.public_id),
        "occurred_at": stored.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "outcome": "success",
        "previous_hash": item.custody.get(sequence=stored.sequence - 1).entry_hash,
        "sequence": stored.sequence,
        "version": 2,
    }

    assert stored.version == 2
    assert stored.entry_hash == hashlib.sha256(rfc8785.dumps(fields)).hexdigest()


def test_an_entry_is_hashed_over_what_the_database_gives_back(item):
    custody_append(
        item=item,
        event_type=CustodyEvent.ACCESSED,
        agent=Agent.for_worker("t"),
        details={"negative_zero": -0.0, "small": 1e-7, "ratio": 0.1, "place": "Буча", "list": [1.0, -0.0]},
    )
    stored = item.custody.order_by("-sequence").first()

    # JSONB keeps numbers as decimals: -0.0 comes back as 0.0.
    assert stored.details == {"negative_zero": 0.0, "small": 1e-7, "ratio": 0.1, "place": "Буча", "list": [1.0, 0.0]}
    assert str(stored.details["negative_zero"]) == "0.0"
    assert custody_first_broken_link(item=item) is None


@pytest.mark.parametrize(
    ("details", "message"),
    [
        ({"count": 2**53}, r"details\.count = 9007199254740992: integers beyond"),
        # JSONB gives a float of 1e21 back as the integer 10**21.
        ({"size": 1e21}, r"details\.size = 1000000000000000000000: integers beyond"),
        ({"nested": [{"n": -(2**60)}]}, r"details\.nested\[0\]\.n = -1152921504606846976"),
        ({"ratio": float("nan")}, "Custody details must be JSON"),
    ],
)
def test_a_number_canonical_json_cannot_carry_exactly_is_refused(item, details, message):
    before = item.custody.count()

    with pytest.raises(CustodyDetailsError, match=message):
        custody_append(item=item, event_type=CustodyEvent.ACCESSED, agent=Agent.for_worker("t"), details=details)

    assert item.custody.count() == before


def test_a_large_number_given_as_a_string_is_kept_exactly(item):
    entry = custody_append(
        item=item, event_type=CustodyEvent.ACCESSED, agent=Agent.for_worker("t"), details={"serial": str(2**64)}
    )

    assert CustodyEntry.objects.get(pk=entry.pk).details == {"serial": "18446744073709551616"}
    assert custody_first_broken_link(item=item) is None


def test_chains_written_in_version_1_still_verify(case_a):
    legacy = EvidenceItem.objects.create(
        case=case_a,
        ern="UA-2022-BUCHA-LEGACY-1",
        original_filename="IMG_0042.jpg",
        public_id=uuid.UUID("0b9d6a4e-3c52-4f0e-9d3a-7a1f2b3c4d5e"),
    )
    # Written before version 2: Python's JSON of these fields, hashed by hand with
    # `printf '%s' '{"agent":"user:olena",…,"sequence":1}' | sha256sum`.
    CustodyEntry.objects.create(
        evidence=legacy,
        sequence=1,
        event_type="received",
        outcome="success",
        detail="Отримано IMG_0042.jpg",
        details={"ratio": 0.5, "size_bytes": 14},
        agent="user:olena",
        agent_details={"type": "person", "user_id": 7},
        occurred_at=datetime(2022, 3, 4, 8, 15, tzinfo=UTC),
        previous_hash=GENESIS_HASH,
        entry_hash="40e05548e08eec60caf41801d0d48db59724a5b9157797bf203b9d892ff03cd3",
        version=1,
    )
    custody_append(item=legacy, event_type=CustodyEvent.ACCESSED, agent=Agent.for_worker("t"))

    assert list(legacy.custody.order_by("sequence").values_list("version", flat=True)) == [1, 2]
    assert custody_first_broken_link(item=legacy) is None
