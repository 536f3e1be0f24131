"""verify_custody finds what the database's protections cannot stop: changes made by the owner role,
which can switch the triggers off. Each tampering here is done by the owner, committed, and the
command must name it in one line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from evidence.agents import Agent
from evidence.models import Case, CustodyEvent, EvidenceItem
from evidence.services.custody import custody_append
from evidence.services.intake import evidence_receive
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
# printf 'evidence bytes' | sha256sum (and md5sum)
EVIDENCE_SHA256 = "9d11f9a71c12d6194481f5fa5086b0eff7df05a4a228f022f55bd890009a9d16"
EVIDENCE_MD5 = "3efc9cfd669135931dcdccd4a94ba4a6"
ALL_HOLD = (
    "All {items} chains of custody hold. Every item's hashes match its custody, and the ERNs of 1 cases run "
    "without a gap."
)
NO_CHECKPOINT = "No checkpoint has been built yet: nothing anchors the chains outside the database."


def receive(case, count: int = 1) -> list[EvidenceItem]:
    olena = UserFactory(username="olena")
    return [
        evidence_receive(actor=olena, case=case, upload=ContentFile(b"evidence bytes"), original_filename=f"{n}.txt")
        for n in range(1, count + 1)
    ]


def verify(capsys) -> tuple[list[str], str | None]:
    """The lines verify_custody prints, and the error it ends with (None when all is well)."""
    try:
        call_command("verify_custody")
        error = None
    except CommandError as failure:
        error = str(failure)
    return capsys.readouterr().out.splitlines(), error


def test_a_whole_record_verifies(case_a, capsys):
    receive(case_a, count=2)

    assert verify(capsys) == ([ALL_HOLD.format(items=2), NO_CHECKPOINT], None)


def test_a_hash_the_owner_changed_with_the_trigger_off_is_reported(case_a, as_owner, capsys):
    receive(case_a)
    with as_owner() as cursor:
        cursor.execute("ALTER TABLE evidence_evidenceitem DISABLE TRIGGER evidence_set_once")
        cursor.execute("UPDATE evidence_evidenceitem SET sha256 = repeat('0', 64) WHERE ern = 'UA-2022-BUCHA-000001'")
        cursor.execute("ALTER TABLE evidence_evidenceitem ENABLE TRIGGER evidence_set_once")

    lines, error = verify(capsys)

    assert lines == [
        "UA-2022-BUCHA-000001: sha256 on the item is 0000000000000000000000000000000000000000000000000000000000000000, "
        "but custody entry 1 (received) records 9d11f9a71c12d6194481f5fa5086b0eff7df05a4a228f022f55bd890009a9d16"
    ]
    assert error == (
        "1 problem(s): 0 of 1 chains of custody are broken; hashes differing from custody: 1; "
        "ERNs missing or out of series: 0; the audit log's chain broken: no; checkpoints not reproduced by "
        "today's chains: 0; timestamp tokens missing or not holding: 0."
    )


def test_without_a_hash_at_receipt_the_hashed_entry_is_the_record(case_a, as_owner, capsys):
    """Items received before intake hashed on arrival: their hashes are in the first `hashed` entry."""
    item = EvidenceItem.objects.create(
        case=case_a, ern="UA-2022-BUCHA-000001", original_filename="a.txt",
        sha256=EVIDENCE_SHA256, md5=EVIDENCE_MD5, size_bytes=14,
    )  # fmt: skip
    Case.objects.filter(pk=case_a.pk).update(evidence_counter=1)
    worker = Agent.for_worker("test")
    with transaction.atomic():
        custody_append(item=item, event_type=CustodyEvent.RECEIVED, agent=worker, details={"original_filename": "a"})
        custody_append(
            item=item,
            event_type=CustodyEvent.HASHED,
            agent=worker,
            details={"size_bytes": 14, "digests": {"sha256": EVIDENCE_SHA256, "md5": EVIDENCE_MD5}},
        )
    assert verify(capsys) == ([ALL_HOLD.format(items=1), NO_CHECKPOINT], None)
    with as_owner() as cursor:
        cursor.execute("ALTER TABLE evidence_evidenceitem DISABLE TRIGGER evidence_set_once")
        cursor.execute("UPDATE evidence_evidenceitem SET md5 = repeat('f', 32), size_bytes = 15")
        cursor.execute("ALTER TABLE evidence_evidenceitem ENABLE TRIGGER evidence_set_once")

    lines, _ = verify(capsys)

    assert lines == [
        "UA-2022-BUCHA-000001: md5 on the item is ffffffffffffffffffffffffffffffff, "
        "but custody entry 2 (hashed) records 3efc9cfd669135931dcdccd4a94ba4a6",
        "UA-2022-BUCHA-000001: size_bytes on the item is 15, but custody entry 2 (hashed) records 14",
    ]


@pytest.mark.parametrize("deleted", ["UA-2022-BUCHA-000002", "UA-2022-BUCHA-000003"])
def test_an_item_deleted_with_its_whole_chain_is_reported_and_the_command_fails(case_a, as_owner, deleted):
    receive(case_a, count=3)
    with as_owner() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign key check left pending when re-enabling
        cursor.execute("ALTER TABLE evidence_custodyentry DISABLE TRIGGER custody_append_only")
        cursor.execute("ALTER TABLE evidence_evidenceitem DISABLE TRIGGER evidence_never_deleted")
        cursor.execute("SELECT id FROM evidence_evidenceitem WHERE ern = %s", [deleted])
        [item_id] = cursor.fetchone()
        for table in ("evidence_custodyentry", "evidence_evidenceincidentlink"):
            cursor.execute(f"DELETE FROM {table} WHERE evidence_id = %s", [item_id])  # noqa: S608
        cursor.execute("DELETE FROM evidence_evidenceitem_protected_persons WHERE evidenceitem_id = %s", [item_id])
        cursor.execute("DELETE FROM evidence_evidenceitem WHERE id = %s", [item_id])
        cursor.execute("ALTER TABLE evidence_evidenceitem ENABLE TRIGGER evidence_never_deleted")
        cursor.execute("ALTER TABLE evidence_custodyentry ENABLE TRIGGER custody_append_only")

    # The command as an operator runs it, on the test database, as the application role.
    test_database_url = settings.DATABASE_URL.rsplit("/", 1)[0] + f"/{connection.settings_dict['NAME']}"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "verify_custody"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": test_database_url, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        f"{deleted}: no such item, though the case gave out ERNs up to UA-2022-BUCHA-000003: "
        "deleted with its chain of custody"
    ]
    assert "1 problem(s): 0 of 2 chains of custody are broken" in result.stderr


def test_erns_given_out_with_no_item_are_gaps(case_a, capsys):
    receive(case_a, count=2)
    Case.objects.filter(pk=case_a.pk).update(evidence_counter=4)

    lines, _ = verify(capsys)

    assert lines == [
        "UA-2022-BUCHA-000003: no such item, though the case gave out ERNs up to UA-2022-BUCHA-000004: "
        "deleted with its chain of custody",
        "UA-2022-BUCHA-000004: no such item, though the case gave out ERNs up to UA-2022-BUCHA-000004: "
        "deleted with its chain of custody",
    ]


def test_an_ern_changed_after_the_fact_leaves_a_gap_and_stands_out(case_a, capsys):
    second = receive(case_a, count=2)[1]
    EvidenceItem.objects.filter(pk=second.pk).update(ern="UA-2022-BUCHA-000007")

    lines, _ = verify(capsys)

    assert lines == [
        "UA-2022-BUCHA-000007: beyond the last ERN the case gave out (UA-2022-BUCHA-000002)",
        "UA-2022-BUCHA-000002: no such item, though the case gave out ERNs up to UA-2022-BUCHA-000002: "
        "deleted with its chain of custody",
    ]


def test_a_custody_entry_the_owner_forged_is_reported(case_a, as_owner, capsys):
    [item] = receive(case_a)
    with transaction.atomic():
        custody_append(item=item, event_type=CustodyEvent.ACCESSED, agent=Agent.for_worker("t"), detail="downloaded")
    with as_owner() as cursor:
        cursor.execute("ALTER TABLE evidence_custodyentry DISABLE TRIGGER custody_append_only")
        cursor.execute("UPDATE evidence_custodyentry SET detail = 'never downloaded' WHERE sequence = 2")
        cursor.execute("ALTER TABLE evidence_custodyentry ENABLE TRIGGER custody_append_only")

    lines, error = verify(capsys)

    assert lines == ["UA-2022-BUCHA-000001: entry 2: the entry's content does not match its hash"]
    assert error.startswith("1 problem(s): 1 of 1 chains of custody are broken;")


def test_an_item_whose_whole_chain_was_deleted_is_reported(case_a, as_owner, capsys):
    receive(case_a)
    with as_owner() as cursor:
        cursor.execute("ALTER TABLE evidence_custodyentry DISABLE TRIGGER custody_append_only")
        cursor.execute("DELETE FROM evidence_custodyentry")
        cursor.execute("ALTER TABLE evidence_custodyentry ENABLE TRIGGER custody_append_only")

    lines, _ = verify(capsys)

    assert lines == ["UA-2022-BUCHA-000001: no custody entries: its whole chain of custody was deleted"]


def test_an_unknown_case_is_refused_by_name(case_a):
    with pytest.raises(CommandError, match="There is no case 'UA-2022-NOWHERE'"):
        call_command("verify_custody", case="UA-2022-NOWHERE")
