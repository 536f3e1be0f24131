import pytest

from evidence.models import AuditEntry, CaseMembership, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def members_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/members/"


def test_a_lead_adds_a_member_with_a_role(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    newcomer = UserFactory()

    response = client_for(lead).post(members_url(case_a), {"user": newcomer.pk, "role": "investigator"})

    assert response.status_code == 201, response.content
    assert response.json()["role"] == "investigator"
    assert case_a.memberships.get(user=newcomer).role == Role.INVESTIGATOR
    assert AuditEntry.objects.filter(case=case_a, action="member.add", actor=lead).exists()


def test_adding_an_existing_member_again_changes_the_role(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    analyst = member_of(case_a, Role.ANALYST)

    response = client_for(lead).post(members_url(case_a), {"user": analyst.pk, "role": "legal"})

    assert response.status_code == 200
    assert case_a.memberships.get(user=analyst).role == Role.LEGAL


@pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.ANALYST, Role.LEGAL])
def test_a_non_lead_cannot_add_members(client_for, case_a, member_of, role):
    outsider = UserFactory()

    response = client_for(member_of(case_a, role)).post(members_url(case_a), {"user": outsider.pk, "role": "lead"})

    assert response.status_code == 403
    assert not case_a.memberships.filter(user=outsider).exists()


def test_a_non_lead_cannot_remove_members(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)

    response = client_for(member_of(case_a, Role.INVESTIGATOR)).delete(f"{members_url(case_a)}{lead.pk}/")

    assert response.status_code == 403
    assert case_a.memberships.filter(user=lead).exists()


def test_a_lead_of_another_case_gets_404(client_for, case_a, case_b, member_of):
    response = client_for(member_of(case_b, Role.LEAD)).post(
        members_url(case_a), {"user": UserFactory().pk, "role": "analyst"}
    )

    assert response.status_code == 404
    assert case_a.memberships.count() == 0


def test_members_see_the_member_list(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD, username="lead")
    analyst = member_of(case_a, Role.ANALYST, username="analyst")

    response = client_for(analyst).get(members_url(case_a))

    assert response.status_code == 200
    assert [(m["user"], m["role"]) for m in response.json()["results"]] == [
        (analyst.pk, "analyst"),
        (lead.pk, "lead"),
    ]


def test_a_lead_removes_a_member(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    leaving = member_of(case_a, Role.ANALYST)

    response = client_for(lead).delete(f"{members_url(case_a)}{leaving.pk}/")

    assert response.status_code == 204
    assert not case_a.memberships.filter(user=leaving).exists()
    assert AuditEntry.objects.filter(case=case_a, action="member.remove").exists()


def test_removing_someone_who_is_not_a_member_is_404(client_for, case_a, member_of):
    response = client_for(member_of(case_a, Role.LEAD)).delete(f"{members_url(case_a)}{UserFactory().pk}/")

    assert response.status_code == 404


def test_the_last_lead_cannot_be_removed_or_demoted(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    client = client_for(lead)

    removal = client.delete(f"{members_url(case_a)}{lead.pk}/")
    demotion = client.post(members_url(case_a), {"user": lead.pk, "role": "analyst"})

    assert removal.status_code == 400
    assert demotion.status_code == 400
    assert "role" in demotion.json()
    assert case_a.memberships.get(user=lead).role == Role.LEAD


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"user": 999999, "role": "analyst"}, "user"),
        ({"user": "x", "role": "analyst"}, "user"),
        ({"role": "analyst"}, "user"),
        ({"user": 1, "role": "prosecutor"}, "role"),
    ],
)
def test_bad_member_input_names_the_field(client_for, case_a, member_of, payload, field):
    lead = member_of(case_a, Role.LEAD)
    if payload.get("user") == 1:
        payload["user"] = UserFactory().pk

    response = client_for(lead).post(members_url(case_a), payload)

    assert response.status_code == 400
    assert field in response.json()
    assert CaseMembership.objects.filter(case=case_a).count() == 1
