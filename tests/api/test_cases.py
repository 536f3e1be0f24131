import pytest

from evidence.models import AuditEntry, Case, CaseMembership, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_staff_create_a_case_and_become_its_lead(client_for):
    staff = UserFactory(is_staff=True)

    response = client_for(staff).post(
        "/api/v1/cases/", {"reference": "UA-2022-BUCHA", "title": "Bucha", "description": "Kyiv oblast"}
    )

    assert response.status_code == 201, response.content
    assert response.json()["my_role"] == "lead"
    case = Case.objects.get(reference="UA-2022-BUCHA")
    assert CaseMembership.objects.get(case=case).user == staff
    assert AuditEntry.objects.filter(case=case, action="case.create", actor=staff).exists()


def test_non_staff_cannot_create_a_case(client_for):
    response = client_for(UserFactory()).post("/api/v1/cases/", {"reference": "UA-2022-X", "title": "X"})

    assert response.status_code == 403
    assert not Case.objects.exists()


def test_a_duplicate_reference_is_rejected_by_name(client_for, case_a):
    response = client_for(UserFactory(is_staff=True)).post(
        "/api/v1/cases/", {"reference": case_a.reference, "title": "again"}
    )

    assert response.status_code == 400
    assert "reference" in response.json()
    assert Case.objects.count() == 1


def test_a_malformed_reference_is_rejected(client_for):
    response = client_for(UserFactory(is_staff=True)).post(
        "/api/v1/cases/", {"reference": "ua 2022 bucha", "title": "x"}
    )

    assert response.status_code == 400
    assert "reference" in response.json()


def test_an_unknown_field_is_rejected_not_dropped(client_for):
    response = client_for(UserFactory(is_staff=True)).post(
        "/api/v1/cases/", {"reference": "UA-1", "title": "x", "titel": "typo"}
    )

    assert response.status_code == 400
    assert response.json() == {"titel": ["Unknown field."]}
    assert not Case.objects.exists()


def test_a_member_of_case_a_sees_only_case_a(client_for, case_a, case_b, member_of):
    user = member_of(case_a, Role.ANALYST)

    response = client_for(user).get("/api/v1/cases/")

    assert response.status_code == 200
    assert [c["reference"] for c in response.json()["results"]] == ["UA-2022-BUCHA"]
    assert response.json()["count"] == 1


def test_a_member_of_case_a_gets_404_on_case_b(client_for, case_a, case_b, member_of):
    client = client_for(member_of(case_a, Role.LEAD))

    assert client.get(f"/api/v1/cases/{case_b.pk}/").status_code == 404
    assert client.patch(f"/api/v1/cases/{case_b.pk}/", {"title": "taken over"}).status_code == 404
    assert client.get(f"/api/v1/cases/{case_b.pk}/members/").status_code == 404
    case_b.refresh_from_db()
    assert case_b.title == "Izium"


def test_staff_see_only_their_own_cases_but_superusers_see_all(client_for, case_a, case_b, member_of):
    staff = member_of(case_a, Role.LEAD, is_staff=True)
    superuser = UserFactory(is_staff=True, is_superuser=True)

    assert client_for(staff).get("/api/v1/cases/").json()["count"] == 1
    assert client_for(superuser).get("/api/v1/cases/").json()["count"] == 2


def test_cases_filter_by_reference(client_for, case_a, case_b, member_of):
    user = member_of(case_a)
    case_b.memberships.create(user=user, role=Role.ANALYST)

    response = client_for(user).get("/api/v1/cases/", {"reference": "UA-2022-IZIUM"})

    assert [c["reference"] for c in response.json()["results"]] == ["UA-2022-IZIUM"]


def test_a_lead_edits_the_case_and_the_change_is_audited(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)

    response = client_for(lead).patch(f"/api/v1/cases/{case_a.pk}/", {"title": "Bucha, March 2022"})

    assert response.status_code == 200
    case_a.refresh_from_db()
    assert case_a.title == "Bucha, March 2022"
    entry = AuditEntry.objects.get(case=case_a, action="case.update")
    assert entry.details == {"title": {"from": "Bucha", "to": "Bucha, March 2022"}}


@pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.ANALYST, Role.LEGAL])
def test_only_a_lead_edits_the_case(client_for, case_a, member_of, role):
    response = client_for(member_of(case_a, role)).patch(f"/api/v1/cases/{case_a.pk}/", {"title": "changed"})

    assert response.status_code == 403
    case_a.refresh_from_db()
    assert case_a.title == "Bucha"


def test_a_cases_reference_cannot_be_changed(client_for, case_a, member_of):
    response = client_for(member_of(case_a, Role.LEAD)).patch(
        f"/api/v1/cases/{case_a.pk}/", {"reference": "UA-2022-OTHER"}
    )

    assert response.status_code == 400
    assert "reference" in response.json()
