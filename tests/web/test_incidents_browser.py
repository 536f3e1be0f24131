"""Recording an incident on the map in a real browser (headless Chromium, Playwright): a point dropped by a
click, an area drawn corner by corner, an outline that crosses itself refused next to the map, the
crime picker used from the keyboard, a change that shows in the history; no serious accessibility
violation, and nothing refused by the Content Security Policy."""

import pytest

from evidence.models import AuditEntry, Incident, Role
from tests.web.test_browser import watch_console

pytestmark = pytest.mark.django_db(transaction=True)


# The tests' stand-in for an unreachable tile server (config/settings/test.py) is a port Chromium refuses:
# each tile asked of it is logged as this error, which is the offline map working as it should.
NO_TILE_SERVER = "Failed to load resource: net::ERR_UNSAFE_PORT"


def page_errors(errors: list[str]) -> list[str]:
    return [error for error in errors if error != NO_TILE_SERVER]


def map_box(page) -> dict:
    page.locator("#incident-map canvas").first.wait_for()
    return page.locator("#incident-map").bounding_box()


def click_map(page, x: float, y: float, *, double: bool = False) -> None:
    """Clicks the map at (x, y) from its top left corner (pixels)."""
    box = map_box(page)
    if double:
        page.mouse.dblclick(box["x"] + x, box["y"] + y)
    else:
        page.mouse.click(box["x"] + x, box["y"] + y)


def test_record_a_point_by_clicking_on_the_map_then_change_it_into_an_area(page_as, live_server, web_case, axe_check):
    page = page_as(Role.INVESTIGATOR)
    errors = watch_console(page)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/incidents/new/")
    assert axe_check(page) == []

    # A point: the "Drop a point" tool is on from the start; the server says where it lies.
    click_map(page, 300, 200)
    assert page.get_by_label("Location", exact=True).input_value().startswith('{"type":"Point","coordinates":[')
    page.locator("#location-feedback").get_by_text("The location can be saved.").wait_for()

    page.get_by_label("Title").fill("Shelling of the bread queue")
    page.get_by_label("From (day)").fill("2022-03-16")
    crimes = page.get_by_role("combobox", name="Crimes (Rome Statute)")
    crimes.fill("wilful killing")
    crimes.press("ArrowDown")
    crimes.press("Enter")  # chooses; does not submit
    crimes.fill("8(2)(b)(i)")
    crimes.press("Enter")
    assert page.get_by_role("button", name="Remove 8(2)(a)(i)").is_visible()
    assert page.get_by_role("button", name="Remove 8(2)(b)(i)").is_visible()
    page.get_by_label("Killed").fill("12")
    page.get_by_role("button", name="Record the incident").click()

    page.get_by_role("heading", name="Shelling of the bread queue").wait_for()
    incident = Incident.objects.get(title="Shelling of the bread queue")
    assert incident.location.geom_type == "Point"
    assert incident.crimes == ["8(2)(a)(i)", "8(2)(b)(i)"]
    assert page.get_by_text("The incident was recorded.").is_visible()
    assert page.get_by_text("War crime of wilful killing").is_visible()
    assert axe_check(page) == []

    # An area whose outline crosses itself (a bow tie): refused next to the map, as it is drawn and on saving.
    page.get_by_role("link", name="Change").click()
    page.get_by_role("button", name="Draw an area").click()
    for x, y in ((200, 120), (400, 300), (400, 120)):
        click_map(page, x, y)
    click_map(page, 200, 300, double=True)
    feedback = page.locator("#location-feedback")
    feedback.get_by_text("The outline of the area crosses itself").wait_for()
    page.get_by_role("button", name="Save the changes").click()
    assert page.locator("#id_location_error").get_by_text("The outline of the area crosses itself").is_visible()
    assert axe_check(page) == []  # the form with its errors
    assert Incident.objects.get(pk=incident.pk).location.geom_type == "Point"

    # Drawn again as it should be: saved, and the history says who changed the location.
    page.get_by_role("button", name="Draw an area").click()
    for x, y in ((200, 120), (400, 120), (400, 300)):
        click_map(page, x, y)
    click_map(page, 200, 300, double=True)
    feedback.get_by_text("The location can be saved.").wait_for()
    page.get_by_label("Title").fill("Shelling of the bread queue on Heroiv Street")
    page.get_by_role("button", name="Save the changes").click()

    page.get_by_role("heading", name="Shelling of the bread queue on Heroiv Street").wait_for()
    assert Incident.objects.get(pk=incident.pk).location.geom_type == "Polygon"
    history = page.locator("section", has=page.get_by_role("heading", name="History"))
    assert history.get_by_text("changed · revision 2").is_visible()
    assert history.get_by_text("an area of 4 points").is_visible()
    assert history.get_by_text("Shelling of the bread queue on Heroiv Street").is_visible()
    assert list(
        AuditEntry.objects.filter(target=str(incident.public_id)).order_by("id").values_list("action", flat=True)
    ) == [
        "incident.create",
        "incident.update",
    ]
    # The one error the browser logs is the refused save's answer, a 400, as a refusal should be.
    assert page_errors(errors) == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]


def test_a_location_typed_with_the_keyboard_is_drawn_and_checked(page_as, live_server, web_case):
    page = page_as(Role.INVESTIGATOR)
    errors = watch_console(page)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/incidents/new/")

    page.get_by_label("Location", exact=True).fill("POINT(50.5445 30.2208)")  # latitude first: a common slip

    page.locator("#location-feedback").get_by_text("would be inside it with latitude and longitude swapped").wait_for()
    drawn = "document.getElementById('incident-map').incidentLayer.getSource()"
    assert page.evaluate(f"{drawn}.getFeatures()[0].getGeometry().getType()") == "Point"
    assert page_errors(errors) == []
