"""Members and roles in a real browser: a lead adds a colleague by username, then makes them a lead."""

import pytest

from evidence.models import AuditEntry, CaseMembership, Role
from tests.factories import UserFactory
from tests.web.test_browser import watch_console

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_lead_adds_a_member_by_username_and_changes_their_role(page_as, live_server, web_case, axe_check):
    UserFactory(username="olena")
    lead = web_case.memberships.get(role=Role.LEAD).user
    page = page_as(user=lead)
    errors = watch_console(page)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/members/")
    assert axe_check(page) == []

    page.get_by_label("Username or e-mail address").fill("olena")
    page.get_by_label("Role", exact=True).select_option(label="Analyst")
    page.get_by_role("button", name="Add to the case").click()

    page.get_by_text("olena is now a member of the case, as Analyst.").wait_for()
    page.get_by_label("Role of olena").select_option(label="Lead")
    page.get_by_role("button", name="Change the role of olena").click()

    page.get_by_text("The role of olena is now Lead.").wait_for()
    assert page.get_by_label("Role of olena").input_value() == "lead"
    assert CaseMembership.objects.get(case=web_case, user__username="olena").role == Role.LEAD
    assert list(AuditEntry.objects.filter(target="olena").order_by("id").values_list("action", "details")) == [
        ("member.add", {"role": "analyst"}),
        ("member.change_role", {"from": "analyst", "to": "lead"}),
    ]
    assert axe_check(page) == []
    assert errors == []


def test_an_unknown_colleague_is_answered_next_to_the_field(page_as, live_server, web_case):
    page = page_as(user=web_case.memberships.get(role=Role.LEAD).user)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/members/")

    page.get_by_label("Username or e-mail address").fill("nobody")
    page.get_by_role("button", name="Add to the case").click()

    field = page.get_by_label("Username or e-mail address")
    assert field.get_attribute("aria-invalid") == "true"
    assert page.get_by_text('No active account matches "nobody"').is_visible()
