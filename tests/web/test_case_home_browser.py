"""The case home in a real browser (headless Chromium): the map draws the case's incidents from its cluster
tiles over the base map Slid serves (the tests' tile server cannot be reached, as offline), brushing the
timeline or choosing a filter replaces the list and the address, and axe finds nothing serious."""

from datetime import UTC, datetime

import pytest
from django.contrib.gis.geos import Point

from evidence.models import Role
from tests.factories import make_incident

pytestmark = pytest.mark.django_db(transaction=True)

# The tests' stand-in for an unreachable tile server (config/settings/test.py).
TILES = "127.0.0.1:9"

# How many pixels of the map's canvases have the colour of the incidents' clusters and points.
RED_PIXELS = """() => {
  let red = 0;
  for (const canvas of document.querySelectorAll('#case-map canvas')) {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] > 140 && data[i + 1] < 80 && data[i + 2] < 80 && data[i + 3] > 150) red += 1;
    }
  }
  return red;
}"""


def watch_console(page) -> list[str]:
    """Errors the page logs or throws, but the tiles it cannot fetch from the unreachable tile server."""
    errors: list[str] = []

    def logged(message) -> None:
        if message.type == "error" and TILES not in (message.location or {}).get("url", ""):
            errors.append(message.text)

    page.on("console", logged)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def izium(web_case):
    lead = web_case.memberships.get(role=Role.LEAD).user
    for n in range(3):
        make_incident(
            web_case,
            actor=lead,
            title=f"Burial site {n + 1} in the Izium forest",
            location=Point(37.2556 + n * 0.01, 49.2122),
            occurred_from=datetime(2022, 9, 16, 9, tzinfo=UTC),
            crimes=["8(2)(a)(i)"],
        )
    return web_case


def wait_until(page, script: str, timeout_s: float = 10.0) -> None:
    """Polls the page until ``script`` (a function) is true: Playwright's wait_for_function evaluates text,
    which the page's Content Security Policy rightly refuses."""
    import time

    deadline = time.monotonic() + timeout_s
    while not page.evaluate(script):
        if time.monotonic() > deadline:
            raise AssertionError(f"never true: {script}")
        page.wait_for_timeout(100)


def list_count(page) -> str:
    return page.locator(".list-count").inner_text().strip()


def test_the_map_draws_the_incidents_the_brush_and_the_filters_replace_the_list(page_as, live_server, izium, axe_check):
    page = page_as(Role.ANALYST)
    errors = watch_console(page)

    page.goto(f"{live_server.url}/cases/{izium.reference}/")

    wait_until(page, f"() => ({RED_PIXELS})() > 200")  # the clusters of Bucha and Izium are drawn
    page.locator(".map-note").wait_for()  # and it says it has no base map
    # The map settles on the case's incidents and the list follows its view (all six are in it).
    page.wait_for_url("**/cases/UA-2022-BUCHA/?bbox=*")
    assert list_count(page) == "6 incidents match."
    page.evaluate("document.body.dataset.loaded = 'once'")  # gone if the whole page were loaded again

    # Brushing the first weeks of the timeline (March 2022) lists the three incidents of March.
    page.locator(".timeline-drawing").scroll_into_view_if_needed()
    drawing = page.locator(".timeline-drawing").bounding_box()
    bars = len(page.locator(".timeline-bar").all())
    y = drawing["y"] + drawing["height"] / 2
    page.mouse.move(drawing["x"] + 2, y)
    page.mouse.down()
    page.mouse.move(drawing["x"] + drawing["width"] * 4 / bars - 2, y, steps=4)
    page.mouse.up()
    wait_until(page, "() => document.querySelector('.list-count').innerText.includes('3 incidents')")
    assert "occurred_after=2022-02-28" in page.url and "occurred_before=2022-03-27" in page.url
    assert page.get_by_label("From").input_value() == "2022-02-28"
    assert page.locator("#incident-list tbody tr").count() == 3

    # A filter from the form: the crime of Izium, which the brushed weeks do not have.
    page.get_by_role("button", name="Show every date").click()
    wait_until(page, "() => document.querySelector('.list-count').innerText.includes('6 incidents')")
    page.get_by_label("Crime").select_option("8(2)(a)(i)")
    wait_until(page, "() => document.querySelector('.list-count').innerText.includes('3 incidents')")
    assert "crime=8%282%29%28a%29%28i%29" in page.url or "crime=8(2)(a)(i)" in page.url
    assert page.locator("#incident-list").get_by_text("Burial site 1 in the Izium forest").is_visible()
    assert page.evaluate("document.body.dataset.loaded") == "once"

    assert axe_check(page) == []
    assert errors == []


def test_a_shared_address_opens_the_same_view(page_as, live_server, izium):
    page = page_as(Role.LEGAL)
    errors = watch_console(page)

    page.goto(f"{live_server.url}/cases/{izium.reference}/?bbox=36.5,48.8,38.0,49.6&status=draft")

    wait_until(page, f"() => ({RED_PIXELS})() > 50")
    assert list_count(page) == "3 incidents match."
    assert page.get_by_label("Status").input_value() == "draft"
    assert page.get_by_label("Only those in the map's view").is_checked()
    assert errors == []
