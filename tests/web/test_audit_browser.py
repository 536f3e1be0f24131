"""The audit log in a real browser: filtering replaces the entries only, and the address keeps the filters."""

import re

import pytest

from evidence.models import Role
from evidence.services.record import person_create, person_update
from tests.web.test_browser import watch_console

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_lead_filters_the_log_and_reads_a_change(page_as, live_server, web_case, axe_check):
    lead = web_case.memberships.get(role=Role.LEAD).user
    person = person_create(actor=lead, case=web_case, full_name="Ivan Petrov", rank="Major")
    person_update(actor=lead, person=person, rank="Lieutenant Colonel")
    page = page_as(user=lead)
    errors = watch_console(page)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/audit/")
    page.evaluate("document.body.dataset.loaded = 'once'")
    assert axe_check(page) == []

    page.get_by_label("Action").select_option(label="Person changed")

    page.wait_for_url(re.compile(r"action=person\.update"))
    entries = page.locator("#audit-entries tbody tr")
    entries.filter(has_text="Incident created").first.wait_for(state="detached")
    assert entries.count() == 1
    assert entries.first.locator(".before").text_content() == "before: Major"
    assert entries.first.locator(".after").text_content() == "after: Lieutenant Colonel"
    assert page.evaluate("document.body.dataset.loaded") == "once"
    assert axe_check(page) == []
    assert errors == []
