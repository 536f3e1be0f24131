import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from evidence.models import AuditEntry
from evidence.services.audit import audit_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "statement", ["UPDATE evidence_auditentry SET action = 'forged'", "DELETE FROM evidence_auditentry"]
)
def test_the_database_refuses_to_change_the_audit_log(case_a, statement):
    audit_record(actor=None, case=case_a, action="case.create", target=case_a)

    with (
        pytest.raises(DatabaseError, match="Cannot update or delete"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert AuditEntry.objects.get().action == "case.create"
