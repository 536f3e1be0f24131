"""The database protects custody, audit and evidence, and no session of the application can switch
that off: the protections are plain triggers with no ignore switch (migration 0013), and the
application runs as a role that owns no table (DATABASE_URL). Only the owner role, which runs
migrations (DATABASE_OWNER_URL), could disable them."""

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.utils import DatabaseError

from evidence.models import CustodyEntry, EvidenceItem
from evidence.services.intake import evidence_receive
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

needs_two_roles = pytest.mark.skipif(
    not settings.DATABASE_OWNER_URL,
    reason="DATABASE_OWNER_URL is not set: the tests run as one role, which owns the tables",
)

# What pgtrigger's own triggers were called: naming them in pgtrigger.ignore used to switch them off.
PGTRIGGER_IGNORE = (
    "{pgtrigger_custody_append_only_0165d,pgtrigger_audit_append_only_44961,"
    "pgtrigger_evidence_never_deleted_bfb96,pgtrigger_evidence_hashes_set_once_85095}"
)


@pytest.fixture
def item(case_a):
    return evidence_receive(
        actor=UserFactory(username="olena"),
        case=case_a,
        upload=ContentFile(b"evidence bytes"),
        original_filename="a.txt",
    )


@pytest.fixture
def bare_item(case_a):
    """An item row with nothing recorded yet: no hashes, no digests, no archive key."""
    return EvidenceItem.objects.create(case=case_a, ern="UA-2022-BUCHA-000001", original_filename="a.jpg")


def run_refused(statement: str, params=None) -> None:
    """Runs the statement as the application role, in a savepoint, expecting the database to refuse it."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("UPDATE evidence_custodyentry SET detail = 'nothing happened'", "Cannot update or delete a custody entry"),
        ("DELETE FROM evidence_custodyentry", "Cannot update or delete a custody entry"),
        ("UPDATE evidence_auditentry SET target = 'someone else'", "Cannot update or delete an audit entry"),
        ("DELETE FROM evidence_auditentry", "Cannot update or delete an audit entry"),
        ("DELETE FROM evidence_evidenceitem", "Cannot delete an evidence item"),
        ("UPDATE evidence_evidenceitem SET sha256 = repeat('0', 64)", "Cannot change the sha256 of evidence item"),
    ],
)
def test_pgtrigger_ignore_does_not_switch_a_protection_off(item, statement, refusal):
    custody_before = list(CustodyEntry.objects.values())
    with pytest.raises(DatabaseError, match=refusal), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET pgtrigger.ignore = %s", [PGTRIGGER_IGNORE])
        cursor.execute(statement)

    assert list(CustodyEntry.objects.values()) == custody_before


@needs_two_roles
@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("ALTER TABLE evidence_custodyentry DISABLE TRIGGER custody_append_only", "must be owner of table"),
        ("ALTER TABLE evidence_custodyentry DISABLE TRIGGER USER", "must be owner of table"),
        ("ALTER TABLE evidence_evidenceitem DISABLE TRIGGER evidence_set_once", "must be owner of table"),
        ("DROP TRIGGER audit_append_only ON evidence_auditentry", "must be owner of (relation|table)"),
        (
            "CREATE OR REPLACE FUNCTION evidence_refuse() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RETURN NULL; END $$",
            "permission denied for schema public|must be owner of function evidence_refuse",
        ),
        ("SET session_replication_role = replica", "permission denied to set parameter"),
        ("CREATE TABLE evidence_custodyentry_copy (id bigint)", "permission denied for schema public"),
    ],
)
def test_the_application_role_cannot_switch_a_protection_off(statement, refusal):
    with pytest.raises(DatabaseError, match=refusal):
        run_refused(statement)


@needs_two_roles
@pytest.mark.parametrize(
    "table", ["evidence_custodyentry", "evidence_auditentry", "evidence_evidenceitem", "evidence_evidenceincidentlink"]
)
def test_the_application_role_may_not_truncate(table):
    with pytest.raises(DatabaseError, match=f"permission denied for table {table}"):
        run_refused(f"TRUNCATE {table} CASCADE")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("table", "refusal"),
    [
        ("evidence_custodyentry", "Cannot truncate the chain of custody: it is append-only"),
        ("evidence_auditentry", "Cannot truncate the audit log: it is append-only"),
        ("evidence_evidenceitem", "Cannot truncate evidence items: evidence is never deleted"),
        ("evidence_evidenceincidentlink", "Cannot truncate the links of evidence to incidents"),
    ],
)
def test_not_even_the_owner_truncates_custody_audit_or_evidence(as_owner, table, refusal):
    import psycopg

    with pytest.raises(psycopg.errors.RaiseException, match=refusal), as_owner() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")


@pytest.mark.django_db(transaction=True)
def test_the_owner_is_the_one_who_could_switch_a_trigger_off(as_owner):
    with as_owner() as cursor:
        cursor.execute("ALTER TABLE evidence_custodyentry DISABLE TRIGGER custody_append_only")
        cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 'custody_append_only'")
        assert cursor.fetchone() == ("D",)
        cursor.connection.rollback()


@pytest.mark.parametrize(
    ("column", "first", "second"),
    [
        ("digests", '{"sha256": "' + "a" * 64 + '"}', '{"sha256": "' + "b" * 64 + '"}'),
        ("digests", '{"sha256": "' + "a" * 64 + '"}', "{}"),
        ("archive_key", "sha256/aa/aa/" + "a" * 64, "sha256/bb/bb/" + "b" * 64),
        ("archive_key", "sha256/aa/aa/" + "a" * 64, ""),
        ("sha256", "a" * 64, "b" * 64),
        ("sha256", "a" * 64, None),
        ("md5", "c" * 32, "d" * 32),  # set once on its own, even while sha256 is still empty
        ("size_bytes", 14, 15),
    ],
)
def test_a_set_once_column_takes_a_value_once_and_keeps_it(bare_item, column, first, second):
    update = f"UPDATE evidence_evidenceitem SET {column} = %s WHERE id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(update, [first, bare_item.pk])  # from empty to a value: allowed

    with pytest.raises(DatabaseError, match=f"Cannot change the {column} of evidence item UA-2022-BUCHA-000001"):
        run_refused(update, [second, bare_item.pk])

    with connection.cursor() as cursor:
        cursor.execute(update, [first, bare_item.pk])  # the same value again is no change
        cursor.execute(f"SELECT {column}::text FROM evidence_evidenceitem WHERE id = %s", [bare_item.pk])  # noqa: S608
        assert cursor.fetchone()[0] == str(first)


def test_columns_that_are_not_set_once_still_change(bare_item):
    EvidenceItem.objects.filter(pk=bare_item.pk).update(archive_key="sha256/aa/aa/" + "a" * 64, digests={"md5": "c"})

    EvidenceItem.objects.filter(pk=bare_item.pk).update(title="Corrected title", media_type="image/jpeg")

    bare_item.refresh_from_db()
    assert (bare_item.title, bare_item.media_type) == ("Corrected title", "image/jpeg")
