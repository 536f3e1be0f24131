import pytest

from evidence.models import AuditEntry, CaseMembership, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def members_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/members/"


def test_a_lead_adds_a_member_with_a_role(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    newcomer = UserFactory()

    response = client_for(lead).post(members_url(case_a), {"username": newcomer.username, "role": "investigator"})

    assert response.status_code == 201, response.content
    assert response.json()["role"] == "investigator"
    assert case_a.memberships.get(user=newcomer).role == Role.INVESTIGATOR
    assert AuditEntry.objects.filter(case=case_a, action="member.add", actor=lead).exists()


def test_adding_an_existing_member_again_changes_the_role(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    analyst = member_of(case_a, Role.ANALYST)

    response = client_for(lead).post(members_url(case_a), {"username": analyst.username, "role": "legal"})

    assert response.status_code == 200
    assert case_a.memberships.get(user=analyst).role == Role.LEGAL


@pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.ANALYST, Role.LEGAL])
def test_a_non_lead_cannot_add_members(client_for, case_a, member_of, role):
    outsider = UserFactory()

    response = client_for(member_of(case_a, role)).post(
        members_url(case_a), {"username": outsider.username, "role": "lead"}
    )

    assert response.status_code == 403
    assert not case_a.memberships.filter(user=outsider).exists()


def test_a_non_lead_cannot_remove_members(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)

    response = client_for(member_of(case_a, Role.INVESTIGATOR)).delete(f"{members_url(case_a)}{lead.pk}/")

    assert response.status_code == 403
    assert case_a.memberships.filter(user=lead).exists()


def test_a_lead_of_another_case_gets_404(client_for, case_a, case_b, member_of):
    response = client_for(member_of(case_b, Role.LEAD)).post(
        members_url(case_a), {"username": UserFactory().username, "role": "analyst"}
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
    demotion = client.post(members_url(case_a), {"username": lead.username, "role": "analyst"})

    assert removal.status_code == 400
    assert demotion.status_code == 400
    assert "role" in demotion.json()
    assert case_a.memberships.get(user=lead).role == Role.LEAD


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "nobody", "role": "analyst"}, "username"),
        ({"user": "x", "role": "analyst"}, "user"),
        ({"role": "analyst"}, "user"),
        ({"username": "somebody", "role": "prosecutor"}, "role"),
    ],
)
def test_bad_member_input_names_the_field(client_for, case_a, member_of, payload, field):
    lead = member_of(case_a, Role.LEAD)
    UserFactory(username="somebody")

    response = client_for(lead).post(members_url(case_a), payload)

    assert response.status_code == 400
    assert field in response.json()
    assert CaseMembership.objects.filter(case=case_a).count() == 1


# --- Adding a colleague by username or e-mail (issue 17, item 5) ---------------------------------


def test_a_lead_adds_a_member_by_exact_username(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    olena = UserFactory(username="olena")

    response = client_for(lead).post(members_url(case_a), {"username": "olena", "role": "investigator"})

    assert response.status_code == 201, response.content
    assert response.json()["user"] == olena.pk
    assert response.json()["username"] == "olena"
    assert case_a.memberships.get(user=olena).role == Role.INVESTIGATOR
    assert AuditEntry.objects.filter(case=case_a, action="member.add", actor=lead, target="olena").exists()


def test_a_lead_adds_a_member_by_email_in_any_case(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    olena = UserFactory(username="olena", email="Olena.K@example.org")

    response = client_for(lead).post(members_url(case_a), {"email": "olena.k@EXAMPLE.ORG", "role": "analyst"})

    assert response.status_code == 201, response.content
    assert case_a.memberships.get(user=olena).role == Role.ANALYST


def test_posting_an_existing_member_by_email_changes_the_role(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    analyst = member_of(case_a, Role.ANALYST, email="analyst@example.org")

    response = client_for(lead).post(members_url(case_a), {"email": "analyst@example.org", "role": "legal"})

    assert response.status_code == 200
    assert case_a.memberships.get(user=analyst).role == Role.LEGAL


NOBODY = "No active account matches {}; check it, or ask a staff member to create the account."


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [("email", "olena@example.org", '"olena@example.org"'), ("username", "olena", '"olena"')],
)
def test_a_missing_and_a_deactivated_account_get_the_same_answer(client_for, case_a, member_of, field, value, shown):
    client = client_for(member_of(case_a, Role.LEAD))

    missing = client.post(members_url(case_a), {field: value, "role": "analyst"})
    UserFactory(username="olena", email="olena@example.org", is_active=False)
    deactivated = client.post(members_url(case_a), {field: value, "role": "analyst"})

    assert (missing.status_code, deactivated.status_code) == (400, 400)
    assert missing.json() == deactivated.json() == {field: [NOBODY.format(shown)]}
    assert case_a.memberships.count() == 1
    assert not AuditEntry.objects.filter(action="member.add").exists()


def test_a_missing_and_a_deactivated_account_id_get_the_same_answer_for_staff(client_for, case_a, member_of):
    client = client_for(member_of(case_a, Role.LEAD, is_staff=True))
    gone = UserFactory(username="gone", is_active=False)

    missing = client.post(members_url(case_a), {"user": 999999, "role": "analyst"})
    deactivated = client.post(members_url(case_a), {"user": gone.pk, "role": "analyst"})

    assert missing.json() == {"user": [NOBODY.format("user 999999")]}
    assert deactivated.json() == {"user": [NOBODY.format(f"user {gone.pk}")]}
    assert case_a.memberships.count() == 1


def test_a_deactivated_member_cannot_be_given_another_role(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    analyst = member_of(case_a, Role.ANALYST, username="analyst")
    analyst.is_active = False
    analyst.save(update_fields=["is_active"])

    response = client_for(lead).post(members_url(case_a), {"username": "analyst", "role": "lead"})

    assert response.status_code == 400
    assert case_a.memberships.get(user=analyst).role == Role.ANALYST


def test_a_username_must_match_exactly(client_for, case_a, member_of):
    UserFactory(username="olena")

    response = client_for(member_of(case_a, Role.LEAD)).post(
        members_url(case_a), {"username": "Olena", "role": "analyst"}
    )

    assert response.status_code == 400
    assert response.json() == {"username": [NOBODY.format('"Olena"')]}


def test_an_email_shared_by_two_accounts_names_neither(client_for, case_a, member_of):
    UserFactory(username="one", email="shared@example.org")
    UserFactory(username="two", email="SHARED@example.org")

    response = client_for(member_of(case_a, Role.LEAD)).post(
        members_url(case_a), {"email": "shared@example.org", "role": "analyst"}
    )

    assert response.status_code == 400
    assert response.json() == {"email": [NOBODY.format('"shared@example.org"')]}


@pytest.mark.parametrize(
    "payload",
    [
        {"user": 1, "username": "olena", "role": "analyst"},
        {"username": "olena", "email": "olena@example.org", "role": "analyst"},
        {"role": "analyst"},
    ],
)
def test_a_member_is_named_by_exactly_one_of_user_username_and_email(client_for, case_a, member_of, payload):
    UserFactory(username="olena", email="olena@example.org")

    response = client_for(member_of(case_a, Role.LEAD)).post(members_url(case_a), payload)

    assert response.status_code == 400
    assert response.json() == {"user": ["Name the member by exactly one of user (an id), username or email."]}
    assert case_a.memberships.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not an address", "role": "analyst"}, "email"),
        ({"username": "o" * 151, "role": "analyst"}, "username"),
        ({"username": ["olena"], "role": "analyst"}, "username"),
        ({"username": "ole\x00na", "role": "analyst"}, "username"),
        ({"user": 2**63, "role": "analyst"}, "user"),
        ({"user": -1, "role": "analyst"}, "user"),
        ({"username": "olena", "role": "analyst", "is_staff": True}, "is_staff"),
    ],
)
def test_hostile_member_input_names_the_field(client_for, case_a, member_of, payload, field):
    UserFactory(username="olena")

    response = client_for(member_of(case_a, Role.LEAD)).post(members_url(case_a), payload)

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert case_a.memberships.count() == 1


@pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.ANALYST, Role.LEGAL])
def test_a_non_lead_cannot_add_members_by_username_or_email(client_for, case_a, member_of, role):
    UserFactory(username="olena", email="olena@example.org")
    client = client_for(member_of(case_a, role))

    by_username = client.post(members_url(case_a), {"username": "olena", "role": "lead"})
    by_email = client.post(members_url(case_a), {"email": "olena@example.org", "role": "lead"})

    assert (by_username.status_code, by_email.status_code) == (403, 403)
    assert not case_a.memberships.filter(user__username="olena").exists()


def test_a_lead_of_another_case_gets_404_by_username_too(client_for, case_a, case_b, member_of):
    UserFactory(username="olena")

    response = client_for(member_of(case_b, Role.LEAD)).post(
        members_url(case_a), {"username": "olena", "role": "analyst"}
    )

    assert response.status_code == 404
    assert case_a.memberships.count() == 0


def test_a_lead_cannot_list_accounts(client_for, case_a, member_of):
    client = client_for(member_of(case_a, Role.LEAD))

    assert client.get("/api/v1/users/").status_code == 403
    assert client.get("/api/v1/users/?q=olena").status_code == 403


# --- Ids are for staff; guessing is slowed down (issue 17's review) ------------------------------------


def test_a_lead_who_is_not_staff_cannot_name_an_account_by_id(client_for, case_a, member_of):
    olena = UserFactory(username="olena")

    response = client_for(member_of(case_a, Role.LEAD)).post(members_url(case_a), {"user": olena.pk, "role": "analyst"})

    assert response.status_code == 400
    assert response.json() == {"user": ["Name the colleague by username or email; only staff name accounts by id."]}
    assert "olena" not in response.content.decode()
    assert not case_a.memberships.filter(user=olena).exists()


def test_a_staff_lead_may_name_an_account_by_id(client_for, case_a, member_of):
    olena = UserFactory(username="olena")

    response = client_for(member_of(case_a, Role.LEAD, is_staff=True)).post(
        members_url(case_a), {"user": olena.pk, "role": "analyst"}
    )

    assert response.status_code == 201, response.content
    assert case_a.memberships.get(user=olena).role == Role.ANALYST


def test_a_lead_who_names_too_many_unknown_colleagues_waits(client_for, case_a, member_of, settings):
    settings.SLID_MEMBER_LOOKUP_MAX_FAILURES = 3
    UserFactory(username="olena")
    client = client_for(member_of(case_a, Role.LEAD))
    misses = [client.post(members_url(case_a), {"username": f"guess{n}", "role": "analyst"}) for n in range(3)]

    refused = client.post(members_url(case_a), {"username": "olena", "role": "analyst"})

    assert [miss.status_code for miss in misses] == [400, 400, 400]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 15 * 60
    assert "too many colleagues" in refused.json()["detail"]
    assert not case_a.memberships.filter(user__username="olena").exists()


def test_the_limit_on_unknown_colleagues_is_each_leads_own(client_for, case_a, member_of, settings):
    settings.SLID_MEMBER_LOOKUP_MAX_FAILURES = 1
    UserFactory(username="olena")
    guesser = client_for(member_of(case_a, Role.LEAD))
    guesser.post(members_url(case_a), {"email": "nobody@example.org", "role": "analyst"})

    response = client_for(member_of(case_a, Role.LEAD)).post(
        members_url(case_a), {"username": "olena", "role": "analyst"}
    )

    assert guesser.post(members_url(case_a), {"username": "olena", "role": "analyst"}).status_code == 429
    assert response.status_code == 201


def test_colleagues_found_do_not_count_towards_the_limit(client_for, case_a, member_of, settings):
    settings.SLID_MEMBER_LOOKUP_MAX_FAILURES = 1
    client = client_for(member_of(case_a, Role.LEAD))
    for n in range(3):
        UserFactory(username=f"colleague{n}")
        assert client.post(members_url(case_a), {"username": f"colleague{n}", "role": "analyst"}).status_code == 201
