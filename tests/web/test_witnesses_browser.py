"""Revealing a witness's identity in a real browser: the dialog says it will be recorded, Cancel and
Escape record nothing, the reveal shows the identity on that page and writes its audit entry; axe finds no
serious violation on the list, the person's page or the open dialog."""

import pytest

from evidence.models import AuditEntry, Role
from evidence.services.witnesses import protected_person_create
from tests.web.test_browser import watch_console

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def witness(web_case):
    lead = web_case.memberships.get(role=Role.LEAD).user
    return protected_person_create(
        actor=lead,
        case=web_case,
        kind="witness",
        identity={"full_name": "Mariia Kovalchuk", "contact": "+380 44 000 0000"},
    )


def test_a_lead_reveals_an_identity_through_the_dialog(page_as, web_case, witness, live_server, axe_check):
    lead = web_case.memberships.get(role=Role.LEAD).user
    page = page_as(user=lead)
    errors = watch_console(page)

    page.goto(f"{live_server.url}/cases/{web_case.reference}/witnesses/")
    assert axe_check(page) == []
    page.get_by_role("link", name="W-0001").click()
    page.get_by_role("heading", name="W-0001").wait_for()
    assert axe_check(page) == []

    page.get_by_role("button", name="Reveal the identity…").click()
    dialog = page.get_by_role("dialog", name="Reveal who W-0001 is?")
    assert dialog.is_visible()
    assert "recorded in the case's audit log" in dialog.inner_text()
    assert axe_check(page) == []
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    page.get_by_role("button", name="Reveal the identity…").click()
    dialog.get_by_role("button", name="Cancel").click()
    assert not AuditEntry.objects.filter(action="witness.identity_reveal").exists()

    page.get_by_role("button", name="Reveal the identity…").click()
    dialog.get_by_role("button", name="Reveal and record it").click()

    page.get_by_role("heading", name="Who W-0001 is").wait_for()
    assert page.get_by_text("Mariia Kovalchuk").is_visible()
    assert page.evaluate("document.activeElement.matches('[data-identity]')")
    entry = AuditEntry.objects.get(action="witness.identity_reveal")
    assert (entry.actor, entry.target) == (lead, "W-0001")
    page.get_by_role("link", name="Hide the identity").click()
    page.get_by_role("heading", name="W-0001").wait_for()
    assert page.get_by_text("Mariia Kovalchuk").count() == 0
    assert errors == []


def test_an_investigator_is_not_offered_the_reveal(page_as, web_case, witness, live_server):
    page = page_as(Role.INVESTIGATOR)

    page.goto(f"{live_server.url}/cases/{web_case.reference}/witnesses/{witness.pk}/")

    assert page.get_by_role("button", name="Reveal the identity…").count() == 0
    assert page.get_by_text("Only the case's leads, and the members a lead names").is_visible()
