import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from evidence.agents import Agent
from evidence.custody import GENESIS_HASH, entry_fields, entry_hash
from evidence.models import CustodyEvent, EvidenceItem
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
    EvidenceItem.objects.filter(pk=item.pk).update(sha256="a" * 64, md5="b" * 32, size_bytes=14)

    for change in ("sha256 = repeat('c', 64)", "md5 = repeat('d', 32)", "size_bytes = 15", "sha256 = NULL"):
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE evidence_evidenceitem SET {change} WHERE id = %s", [item.pk])  # noqa: S608

    item.refresh_from_db()
    assert (item.sha256, item.md5, item.size_bytes) == ("a" * 64, "b" * 32, 14)
    EvidenceItem.objects.filter(pk=item.pk).update(title="other fields may change")


def test_the_database_refuses_to_delete_evidence(item):
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM evidence_evidenceitem")


def test_verify_custody_passes_whole_chains(item, capsys):
    call_command("verify_custody")

    assert "All 1 chains of custody hold." in capsys.readouterr().out


def test_verify_custody_reports_a_forged_entry(item, case_a, capsys):
    custody_append(item=item, event_type=CustodyEvent.HASHED, agent=Agent.for_worker("t"), detail="ok")
    custody_append(item=item, event_type=CustodyEvent.ACCESSED, agent=Agent.for_worker("t"), detail="ok")
    with connection.cursor() as cursor:  # a forger with the power to switch the trigger off
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE evidence_custodyentry DISABLE TRIGGER USER")
        cursor.execute("UPDATE evidence_custodyentry SET detail = 'forged' WHERE sequence = 2")
        cursor.execute("ALTER TABLE evidence_custodyentry ENABLE TRIGGER USER")

    with pytest.raises(CommandError, match="1 of 1 chains of custody are broken"):
        call_command("verify_custody")

    assert f"{item.ern}: entry 2: the entry's content does not match its hash" in capsys.readouterr().out


def test_verify_custody_reports_a_deleted_entry(item, capsys):
    for _ in range(2):
        custody_append(item=item, event_type=CustodyEvent.ACCESSED, agent=Agent.for_worker("t"))
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE evidence_custodyentry DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM evidence_custodyentry WHERE sequence = 2")
        cursor.execute("ALTER TABLE evidence_custodyentry ENABLE TRIGGER USER")

    with pytest.raises(CommandError):
        call_command("verify_custody")

    assert "entry 3: expected entry 2 here (an entry is missing)" in capsys.readouterr().out
