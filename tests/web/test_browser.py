"""The workspace in a real browser: headless Chromium (Debian's), driven by Playwright, against the live
server on the test database. Each test also fails on any error in the browser's console, such as a
script or style the Content Security Policy refused."""

import re

import pytest

from evidence.models import AuditEntry, Role
from tests.factories import CaseFactory, MembershipFactory, UserFactory
from tests.otp import PASSWORD, current_code, enrol

pytestmark = pytest.mark.django_db(transaction=True)


def watch_console(page) -> list[str]:
    """Errors the page logs or throws from now on (a refused script or style is one)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_sign_in_with_a_one_time_code_see_the_cases_switch_language_and_sign_out(new_page, live_server, web_case):
    olena = MembershipFactory(case=web_case, role=Role.INVESTIGATOR, user=UserFactory(username="olena")).user
    enrol(olena)
    page = new_page(locale="en-GB")
    errors = watch_console(page)

    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/signin/"
    page.get_by_label("Username").fill("olena")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("One-time code").fill(current_code(olena))
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Your cases").is_visible()
    assert page.get_by_role("link", name="UA-2022-BUCHA").is_visible()
    assert page.get_by_role("cell", name="Investigator").is_visible()

    page.get_by_label("Language").select_option("uk")  # submits by itself (web/static/web/js/slid.js)
    page.get_by_role("heading", name="Ваші справи").wait_for()
    assert page.locator("html").get_attribute("lang") == "uk"

    page.locator("summary", has_text="olena").click()
    page.get_by_role("button", name="Вийти", exact=True).click()
    page.wait_for_url(f"{live_server.url}/signin/")
    assert page.get_by_role("heading", name="Вхід до Slid").is_visible()
    assert page.get_by_text("Ви вийшли із системи.").is_visible()
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/")
    assert page.url.startswith(f"{live_server.url}/signin/")
    assert list(AuditEntry.objects.filter(actor=olena).order_by("id").values_list("action", flat=True)) == [
        "auth.login",
        "auth.logout",
    ]
    assert errors == []


def test_a_browser_asking_for_ukrainian_gets_the_sign_in_page_in_ukrainian(new_page, live_server):
    page = new_page(locale="uk-UA")

    page.goto(f"{live_server.url}/")

    assert page.get_by_role("heading", name="Вхід до Slid").is_visible()
    assert page.get_by_label("Одноразовий код").is_visible()


def test_the_search_replaces_only_the_table_and_the_address_keeps_it(page_as, live_server, web_case):
    lead = web_case.memberships.get(role=Role.LEAD).user
    MembershipFactory(
        case=CaseFactory(reference="UA-2022-IZIUM", title="Izium mass graves"), user=lead, role=Role.LEGAL
    )
    page = page_as(user=lead)
    errors = watch_console(page)
    page.goto(f"{live_server.url}/")
    page.evaluate("document.body.dataset.loaded = 'once'")  # gone if the whole page were loaded again

    page.get_by_label("Find a case").fill("izium")

    page.wait_for_url(re.compile(r"\?q=izium$"))
    assert page.get_by_role("link", name="UA-2022-IZIUM").is_visible()
    assert page.get_by_role("link", name="UA-2022-BUCHA").count() == 0
    assert page.evaluate("document.body.dataset.loaded") == "once"
    assert errors == []


def test_the_case_switcher_goes_to_another_case(page_as, live_server, web_case):
    lead = web_case.memberships.get(role=Role.LEAD).user
    MembershipFactory(
        case=CaseFactory(reference="UA-2022-IZIUM", title="Izium mass graves"), user=lead, role=Role.LEGAL
    )
    page = page_as(user=lead)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/")

    page.locator("summary", has_text="UA-2022-BUCHA").click()
    page.get_by_role("link", name="UA-2022-IZIUM").click()

    page.wait_for_url(f"{live_server.url}/cases/UA-2022-IZIUM/")
    assert page.get_by_role("heading", name="Izium mass graves").is_visible()


def test_no_serious_accessibility_violation_on_sign_in_and_case_list(new_page, page_as, live_server, axe_check):
    signin = new_page()
    signin.goto(f"{live_server.url}/signin/")
    cases = page_as(Role.ANALYST)
    cases.goto(f"{live_server.url}/")
    phone = page_as(Role.LEAD, viewport={"width": 390, "height": 844})
    phone.goto(f"{live_server.url}/cases/UA-2022-BUCHA/")

    assert axe_check(signin) == []
    assert axe_check(cases) == []
    assert axe_check(phone) == []


def test_the_accessibility_check_sees_a_violation(new_page, live_server, axe_check):
    page = new_page()
    page.goto(f"{live_server.url}/signin/")
    page.evaluate("document.querySelector('label[for=id_username]').remove()")

    assert [violation["id"] for violation in axe_check(page)] == ["label"]


def test_the_browser_refuses_inline_script_and_other_origins(new_page, live_server):
    page = new_page()
    errors = watch_console(page)
    page.goto(f"{live_server.url}/signin/")

    page.evaluate(
        """() => {
            const inline = document.createElement('script');
            inline.textContent = 'window.inlineRan = true';
            document.body.append(inline);
            const handler = document.createElement('img');
            handler.setAttribute('src', '/static/web/favicon.svg');
            handler.setAttribute('onload', 'window.handlerRan = true');
            document.body.append(handler);
        }"""
    )
    page.wait_for_timeout(200)

    assert page.evaluate("[window.inlineRan, window.handlerRan]") == [None, None]
    assert sum("Content Security Policy" in error for error in errors) == 2, errors


def test_the_case_menu_shows_every_page_of_a_lead_on_a_laptop_in_either_language(page_as, live_server, web_case):
    """Ukrainian names are longer: on a 1280-pixel screen the menu must still show each of a lead's pages
    (the current one too), not hide the last ones past the edge."""
    lead = web_case.memberships.get(role=Role.LEAD).user
    for locale in ("en-GB", "uk-UA"):
        page = page_as(user=lead, locale=locale, viewport={"width": 1280, "height": 800})
        page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/audit/")

        links = page.locator(".case-navigation a")
        assert links.count() == 9
        for index in range(links.count()):
            box = links.nth(index).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, (locale, links.nth(index).inner_text(), box)
