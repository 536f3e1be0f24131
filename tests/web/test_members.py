"""Members and roles in the workspace, for the case's leads: adding a colleague by username or e-mail
address (one answer for every account that cannot be added), changing a role (a case keeps one lead),
removing a member; every change audited, as through /api/v1/cases/<id>/members/."""

import pytest
from django.test import Client

from evidence.models import AuditEntry, CaseMembership, Role
from tests.factories import UserFactory
from tests.web.helpers import main_of, signed_in

pytestmark = pytest.mark.django_db

MEMBERS = "/cases/UA-2022-BUCHA/members/"


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="prosecutor")


def role_of(case, user) -> str | None:
    return CaseMembership.objects.filter(case=case, user=user).values_list("role", flat=True).first()


def test_a_lead_sees_the_members_and_their_roles(lead, case_a, member_of):
    member_of(case_a, Role.ANALYST, username="mapper")

    html = signed_in(lead).get(MEMBERS).content.decode()

    assert "<strong>mapper</strong>" in html and "<strong>prosecutor</strong>" in html
    assert '<option value="analyst" selected>Analyst</option>' in html
    assert '<option value="lead" selected>Lead</option>' in html


def test_a_lead_adds_a_colleague_by_username(lead, case_a):
    olena = UserFactory(username="olena")

    client = signed_in(lead)
    response = client.post(MEMBERS, {"by": "username", "name": "olena", "role": "investigator"})

    assert (response.status_code, response["Location"]) == (302, MEMBERS)
    assert role_of(case_a, olena) == "investigator"
    added = AuditEntry.objects.get(action="member.add")
    assert (added.actor, added.target, added.details) == (lead, "olena", {"role": "investigator"})
    assert "olena is now a member of the case, as Investigator." in client.get(MEMBERS).content.decode()


def test_a_lead_adds_a_colleague_by_email_in_any_case(lead, case_a):
    olena = UserFactory(username="olena", email="olena.k@example.org")

    response = signed_in(lead).post(MEMBERS, {"by": "email", "name": "Olena.K@EXAMPLE.org", "role": "legal"})

    assert response.status_code == 302 and role_of(case_a, olena) == "legal"


def test_an_account_that_cannot_be_added_gets_one_answer_whatever_the_reason(lead, case_a):
    """A lead learns nothing about who has an account: missing, deactivated, or an address shared by two."""
    UserFactory(username="gone", email="gone@example.org", is_active=False)
    UserFactory(username="twin-1", email="shared@example.org")
    UserFactory(username="twin-2", email="SHARED@example.org")
    client = signed_in(lead)

    answers = {
        name: client.post(MEMBERS, {"by": by, "name": name, "role": "analyst"})
        for by, name in (("username", "nobody"), ("username", "gone"), ("email", "shared@example.org"))
    }

    for name, response in answers.items():
        assert response.status_code == 400
        assert (
            f"No active account matches &quot;{name}&quot;; check it, or ask a staff member to create the account."
            in response.content.decode()
        )
    assert CaseMembership.objects.filter(case=case_a).count() == 1
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"by": "email", "name": "not an address", "role": "analyst"}, "Enter a valid email address."),
        ({"by": "username", "name": "olena", "role": "owner"}, "Select a valid choice. owner is not one of"),
        ({"by": "phone", "name": "olena", "role": "analyst"}, "Select a valid choice. phone is not one of"),
        ({"by": "username", "name": "", "role": "analyst"}, "This field is required."),
        ({"by": "username", "name": "o\x00lena", "role": "analyst"}, "Null characters are not allowed."),
        ({"by": "username", "name": "x" * 255, "role": "analyst"}, "Ensure this value has at most 254 characters"),
    ],
)
def test_bad_input_is_refused_naming_the_reason(lead, case_a, body, message):
    UserFactory(username="olena")

    response = signed_in(lead).post(MEMBERS, body)

    assert response.status_code == 400 and message in response.content.decode()
    assert CaseMembership.objects.filter(case=case_a).count() == 1


def test_a_lead_changes_a_role_and_it_is_audited(lead, case_a, member_of):
    mapper = member_of(case_a, Role.ANALYST, username="mapper")

    response = signed_in(lead).post(f"{MEMBERS}{mapper.pk}/role/", {"role": "legal"})

    assert (response.status_code, response["Location"]) == (302, MEMBERS)
    assert role_of(case_a, mapper) == "legal"
    change = AuditEntry.objects.get(action="member.change_role")
    assert (change.actor, change.target, change.details) == (lead, "mapper", {"from": "analyst", "to": "legal"})


def test_the_last_lead_cannot_step_down_or_be_removed(lead, case_a):
    client = signed_in(lead)

    demoted = client.post(f"{MEMBERS}{lead.pk}/role/", {"role": "analyst"})
    removed = client.post(f"{MEMBERS}{lead.pk}/remove/")

    for response in (demoted, removed):
        assert response.status_code == 400
        assert "UA-2022-BUCHA must keep at least one lead; name another lead first." in response.content.decode()
    assert role_of(case_a, lead) == "lead"
    assert not AuditEntry.objects.exists()


def test_a_lead_who_steps_down_is_taken_to_the_case(lead, case_a, member_of):
    member_of(case_a, Role.LEAD, username="deputy")

    response = signed_in(lead).post(f"{MEMBERS}{lead.pk}/role/", {"role": "investigator"})

    assert (response.status_code, response["Location"]) == (302, "/cases/UA-2022-BUCHA/")
    assert role_of(case_a, lead) == "investigator"


def test_a_lead_removes_a_member_who_then_sees_nothing_of_the_case(lead, case_a, member_of):
    mapper = member_of(case_a, Role.ANALYST, username="mapper")

    response = signed_in(lead).post(f"{MEMBERS}{mapper.pk}/remove/")

    assert (response.status_code, response["Location"]) == (302, MEMBERS)
    assert role_of(case_a, mapper) is None
    assert AuditEntry.objects.get(action="member.remove").target == "mapper"
    assert signed_in(mapper).get("/cases/UA-2022-BUCHA/").status_code == 404


def test_a_role_that_is_not_a_role_is_refused(lead, case_a, member_of):
    mapper = member_of(case_a, Role.ANALYST, username="mapper")

    response = signed_in(lead).post(f"{MEMBERS}{mapper.pk}/role/", {"role": "superuser"})

    assert response.status_code == 400 and "Select a valid choice." in response.content.decode()
    assert role_of(case_a, mapper) == "analyst"


@pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.ANALYST, Role.LEGAL])
def test_only_leads_manage_members(case_a, member_of, lead, role):
    member = member_of(case_a, role, username=f"a-{role}")
    client = signed_in(member)
    UserFactory(username="olena")

    answers = [
        client.get(MEMBERS).status_code,
        client.post(MEMBERS, {"by": "username", "name": "olena", "role": "lead"}).status_code,
        client.post(f"{MEMBERS}{member.pk}/role/", {"role": "lead"}).status_code,
        client.post(f"{MEMBERS}{lead.pk}/remove/").status_code,
    ]

    assert answers == [403, 403, 403, 403]
    assert role_of(case_a, member) == role and role_of(case_a, lead) == "lead"


def test_a_member_of_another_case_is_not_found_here(lead, case_a, case_b, member_of):
    stranger = member_of(case_b, Role.ANALYST, username="stranger")
    case_b.memberships.create(user=lead, role=Role.LEAD)
    client = signed_in(lead)

    assert client.post(f"{MEMBERS}{stranger.pk}/role/", {"role": "legal"}).status_code == 404
    assert client.post(f"{MEMBERS}{stranger.pk}/remove/").status_code == 404
    assert role_of(case_b, stranger) == "analyst"
    assert client.post(f"/cases/{case_b.reference}/members/{stranger.pk}/role/", {"role": "legal"}).status_code == 302
    assert role_of(case_b, stranger) == "legal"


def test_the_members_page_is_in_ukrainian(lead, case_a):
    from tests.web.test_i18n import english_words

    client = Client(headers={"Accept-Language": "uk"})
    client.force_login(lead)

    for page in (client.get(MEMBERS), client.post(MEMBERS, {"by": "email", "name": "x", "role": "analyst"})):
        assert english_words(main_of(page.content.decode()), {"prosecutor"}) == set()


def test_a_lead_who_names_too_many_unknown_colleagues_is_told_to_wait(lead, case_a, settings):
    settings.SLID_MEMBER_LOOKUP_MAX_FAILURES = 2
    UserFactory(username="olena")
    client = signed_in(lead)
    for name in ("guess-1", "guess-2"):
        assert client.post(MEMBERS, {"by": "username", "name": name, "role": "analyst"}).status_code == 400

    refused = client.post(MEMBERS, {"by": "username", "name": "olena", "role": "analyst"})

    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "You have named too many colleagues that match no active account" in refused.content.decode()
    assert role_of(case_a, UserFactory(username="olena")) is None
