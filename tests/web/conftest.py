"""Fixtures for the workspace's tests, for every page's builder to reuse.

Django tests (no browser): ``web_client(user)`` is a django.test.Client signed in as ``user``.

Browser tests (headless Chromium from Debian's ``chromium`` package, driven by Playwright, against
pytest-django's live server on the test database). Mark the module
``pytestmark = pytest.mark.django_db(transaction=True)``: the server's thread sees only committed rows.

    def test_a_lead_sees_the_case_home(page_as, web_case, live_server):
        page = page_as(Role.LEAD)                           # signed in, as a member of web_case
        page.goto(f"{live_server.url}/cases/{web_case.reference}/")

- ``browser``: one Chromium per test module (starting it takes about a second);
- ``new_page(locale="en-GB")``: a fresh context (no cookies) and page; ``locale`` is what the browser
  asks for (Accept-Language and navigator.language);
- ``page_as(role, user=None)``: a page whose context holds a session of a new member of ``web_case``
  with that role (or of ``user``), made without the sign-in form (tests/web/test_browser.py signs in
  through it);
- ``web_case``: the case UA-2022-BUCHA with a lead and three incidents;
- ``axe_check(page)``: runs axe-core (tests/web/vendor, never served by Slid) on the page and returns
  the violations whose impact is serious or critical.
"""

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from evidence.models import Role
from tests.factories import CaseFactory, MembershipFactory, UserFactory, make_incident

CHROMIUM = "/usr/bin/chromium"
# Headless, and nothing that reaches out to the network (this machine has none but the registries').
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VENDOR = json.loads((Path(settings.BASE_DIR) / "web" / "vendor.json").read_text())
AXE = next(entry for entry in VENDOR["packages"] if entry["package"] == "axe-core")
AXE_JS = Path(settings.BASE_DIR) / AXE["into"] / f"axe-core-{AXE['version']}" / "axe.min.js"


@pytest.fixture
def web_client(db) -> Callable[..., Client]:
    """web_client(user) -> a Client with a session of ``user`` (or anonymous for None)."""

    def make(user=None, **defaults) -> Client:
        client = Client(**defaults)
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/install.sh installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API runs an event loop in this thread; Django then refuses database work
    # here unless told that the loop is not serving requests (it is not: the live server has its own thread).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@pytest.fixture
def new_page(browser, live_server):
    contexts = []

    def make(locale: str = "en-GB", viewport: dict | None = None):
        context = browser.new_context(locale=locale, viewport=viewport or {"width": 1280, "height": 800})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def web_case(transactional_db):
    case = CaseFactory(
        reference="UA-2022-BUCHA",
        title="Killings in Bucha",
        description="Civilians killed during the occupation of Bucha, 27 February to 31 March 2022.",
    )
    lead = MembershipFactory(case=case, role=Role.LEAD, user=UserFactory(username="o.kovalenko")).user
    for day, title in ((4, "Killings on Yablunska Street"), (5, "Shelling of a residential block"), (18, "Mass grave")):
        make_incident(case, actor=lead, title=title, occurred_from=datetime(2022, 3, day, 9, tzinfo=UTC))
    return case


@pytest.fixture
def page_as(new_page, live_server, web_case):
    def make(role: str = Role.INVESTIGATOR, *, user=None, locale: str = "en-GB", viewport: dict | None = None):
        if user is None:
            user = MembershipFactory(case=web_case, role=role, user=UserFactory()).user
        client = Client()
        client.force_login(user)
        page = new_page(locale=locale, viewport=viewport)
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
              "url": live_server.url}]
        )  # fmt: skip
        return page

    return make


@pytest.fixture
def axe_check() -> Callable[[object], list[dict]]:
    source = AXE_JS.read_text()

    def check(page) -> list[dict]:
        # Evaluated through the DevTools protocol: the page's policy forbids inline script, rightly.
        page.evaluate(source)
        results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in results["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    return check


@pytest.fixture(autouse=True)
def _no_device_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp slows a device down after wrong codes
