import pytest
from evidence.models import Role, AuditEntry
from evidence.services.witnesses import protected_person_create

pytestmark = pytest.mark.django_db


def test_head_identity(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    w = protected_person_create(actor=lead, case=case_a, kind="witness", identity={"full_name": "Ivan"})
    before = AuditEntry.objects.filter(action="witness.identity_reveal").count()
    r = client_for(lead).head(f"/api/v1/witnesses/{w.pk}/identity/")
    after = AuditEntry.objects.filter(action="witness.identity_reveal").count()
    print("headident", r.status_code, before, after, r.get("Content-Length"))
    assert False
