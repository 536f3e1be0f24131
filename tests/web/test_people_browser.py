"""Suspects and units in a real browser: a search across scripts, and the chain of command as a tree
used from the keyboard."""

import re

import pytest

from evidence.models import Role
from evidence.services.record import person_create, unit_create
from tests.web.test_browser import watch_console

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def units(web_case):
    lead = web_case.memberships.get(role=Role.LEAD).user
    army = unit_create(actor=lead, case=web_case, name="58-я общевойсковая армия")
    brigade = unit_create(actor=lead, case=web_case, name="64-я отдельная мотострелковая бригада", parent=army)
    other = unit_create(actor=lead, case=web_case, name="37-я отдельная мотострелковая бригада", parent=army)
    unit_create(actor=lead, case=web_case, name="2-й батальон 37-й бригады", parent=other)
    unit_create(actor=lead, case=web_case, name="1-й мотострелковый батальон", parent=brigade)
    person_create(actor=lead, case=web_case, full_name="Омурбеков Азатбек Асанбекович", unit=brigade)
    person_create(actor=lead, case=web_case, full_name="Ivan Petrov")
    return {"army": army, "brigade": brigade, "other": other}


def test_a_suspect_is_found_across_scripts(page_as, live_server, units, axe_check):
    page = page_as(Role.ANALYST)
    errors = watch_console(page)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/people/")
    page.evaluate("document.body.dataset.loaded = 'once'")  # gone if the whole page were loaded again

    page.get_by_label("Find a name").fill("Omurbekov")

    page.wait_for_url(re.compile(r"\?q=Omurbekov$"))
    page.get_by_role("link", name="Ivan Petrov").wait_for(state="detached")
    page.get_by_role("link", name="Омурбеков Азатбек Асанбекович").click()
    page.get_by_role("heading", name="Омурбеков Азатбек Асанбекович").wait_for()
    assert page.evaluate("document.body.dataset.loaded") is None  # a new page: the person's
    assert axe_check(page) == []
    assert errors == []


def test_the_chain_of_command_is_a_tree_for_the_keyboard(page_as, live_server, units, axe_check):
    page = page_as(Role.INVESTIGATOR)
    errors = watch_console(page)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/units/{units['brigade'].pk}/")
    tree = page.get_by_role("tree", name="Chain of command")
    other = tree.get_by_role("treeitem", name="37-я отдельная мотострелковая бригада")
    assert other.get_attribute("aria-expanded") == "false"  # another branch starts closed
    assert tree.get_by_role("treeitem", name="2-й батальон 37-й бригады").is_hidden()
    assert axe_check(page) == []

    current = tree.get_by_role("treeitem", name="64-я отдельная мотострелковая бригада")
    page.keyboard.press("Tab")
    while page.evaluate("document.activeElement.getAttribute('role')") != "treeitem":
        page.keyboard.press("Tab")
    assert current.evaluate("item => item === document.activeElement")  # the tree is entered at this unit
    page.keyboard.press("ArrowLeft")  # open: closes its subordinates
    assert current.get_attribute("aria-expanded") == "false"
    page.keyboard.press("ArrowLeft")  # closed: goes to its superior
    page.keyboard.press("ArrowDown")
    assert other.evaluate("item => item === document.activeElement")
    page.keyboard.press("ArrowRight")
    assert other.get_attribute("aria-expanded") == "true"
    assert tree.get_by_role("treeitem", name="2-й батальон 37-й бригады").is_visible()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="37-я отдельная мотострелковая бригада").wait_for()
    assert errors == []
