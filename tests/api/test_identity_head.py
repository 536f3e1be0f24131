"""Revealing an identity is a GET that writes (the reveal's audit entry). DRF answers HEAD with the GET's
handler, so HEAD is refused on the reveal routes, before anything is read or written."""

import pytest

from evidence.models import AuditEntry, Role
from evidence.services.witnesses import protected_person_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("kind", "route"), [("witness", "witnesses"), ("victim", "victims")])
def test_head_on_an_identity_answers_405_and_reveals_nothing(client_for, case_a, member_of, kind, route):
    lead = member_of(case_a, Role.LEAD)
    person = protected_person_create(actor=lead, case=case_a, kind=kind, identity={"full_name": "Ivan Petrenko"})
    before = AuditEntry.objects.count()

    response = client_for(lead).head(f"/api/v1/{route}/{person.pk}/identity/")

    assert response.status_code == 405
    assert "HEAD" not in response["Allow"] and "GET" in response["Allow"]
    assert AuditEntry.objects.count() == before
    assert b"Petrenko" not in response.content


@pytest.mark.parametrize(("kind", "route"), [("witness", "witnesses"), ("victim", "victims")])
def test_get_on_an_identity_still_reveals_it_once(client_for, case_a, member_of, kind, route):
    lead = member_of(case_a, Role.LEAD)
    person = protected_person_create(actor=lead, case=case_a, kind=kind, identity={"full_name": "Ivan Petrenko"})

    response = client_for(lead).get(f"/api/v1/{route}/{person.pk}/identity/")

    assert response.status_code == 200
    assert response.json()["full_name"] == "Ivan Petrenko"
    assert AuditEntry.objects.filter(action=f"{kind}.identity_reveal").count() == 1


def test_head_on_a_witness_of_another_case_is_404_or_405_and_reveals_nothing(client_for, case_a, case_b, member_of):
    lead_a = member_of(case_a, Role.LEAD)
    person = protected_person_create(actor=lead_a, case=case_a, kind="witness", identity={"full_name": "Ivan"})
    before = AuditEntry.objects.count()

    response = client_for(member_of(case_b, Role.LEAD)).head(f"/api/v1/witnesses/{person.pk}/identity/")

    assert response.status_code in (404, 405)
    assert AuditEntry.objects.count() == before


def test_head_on_the_other_witness_routes_still_works(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    person = protected_person_create(actor=lead, case=case_a, kind="witness", identity={"full_name": "Ivan"})
    client = client_for(lead)

    assert client.head("/api/v1/witnesses/").status_code == 200
    assert client.head(f"/api/v1/witnesses/{person.pk}/").status_code == 200
