"""Location safeguards: places outside the country of the cases, swapped coordinates, and evidence
captured far from its incident. The outline is the one Slid ships (geo/data/ukraine.geojson)."""

import pytest
from django.contrib.gis.geos import GEOSGeometry, Point
from django.core.exceptions import ImproperlyConfigured

from evidence.models import Role
from geo.safeguards import far_from_incidents, location_warnings, warnings_shown
from tests.factories import make_incident
from tests.media import photo_bytes, with_gps
from tests.workers.helpers import archived_item


def codes(geometry) -> list[str]:
    return [warning["code"] for warning in location_warnings(geometry)]


@pytest.mark.parametrize(
    ("place", "lon", "lat"),
    [
        ("Bucha", 30.2208, 50.5445),
        ("Izium", 37.2560, 49.2120),
        ("Uzhhorod", 22.2879, 48.6208),
        ("Luhansk", 39.3078, 48.5740),
        ("Mariupol", 37.5498, 47.0971),
        # Crimea is Ukraine: Natural Earth draws it with Russia, and Slid's outline puts it back.
        ("Sevastopol", 33.5225, 44.6166),
        ("Kerch", 36.4707, 45.3562),
    ],
)
def test_places_in_ukraine_get_no_warning(place, lon, lat):
    assert codes(Point(lon, lat, srid=4326)) == []


@pytest.mark.parametrize(
    ("place", "lon", "lat"),
    [("Warsaw", 21.0122, 52.2297), ("Belgorod", 36.5983, 50.5997), ("Chisinau", 28.8638, 47.0105), ("nowhere", 0, 0)],
)
def test_places_outside_ukraine_are_warned_about(place, lon, lat):
    warnings = location_warnings(Point(lon, lat, srid=4326))

    assert [warning["code"] for warning in warnings] == ["outside_country"]
    assert warnings == [{"code": "outside_country", "country": "Ukraine", "margin_m": 2000}]
    assert "outside Ukraine, by more than 2000 m" in warnings_shown(warnings)[0]["message"]


def test_latitude_and_longitude_swapped_are_named_as_such():
    warnings = location_warnings(Point(50.5445, 30.2208, srid=4326))  # Bucha, latitude first

    assert [warning["code"] for warning in warnings] == ["coordinates_swapped"]
    assert warnings == [{"code": "coordinates_swapped", "country": "Ukraine"}]
    assert "longitude first" in warnings_shown(warnings)[0]["message"]


def test_a_polygon_partly_outside_is_warned_about_and_one_inside_is_not():
    across_the_border = GEOSGeometry("POLYGON((36.0 50.0, 37.0 50.0, 37.0 50.9, 36.0 50.9, 36.0 50.0))", srid=4326)
    grave_site = GEOSGeometry("POLYGON((37.244 49.1735, 37.249 49.1735, 37.249 49.1765, 37.244 49.1735))", srid=4326)
    swapped_route = GEOSGeometry("LINESTRING(50.54 30.22, 50.60 30.30)", srid=4326)

    assert codes(across_the_border) == ["outside_country"]
    assert codes(grave_site) == []
    assert codes(swapped_route) == ["coordinates_swapped"]


def test_the_margin_is_a_setting(settings):
    belgorod = Point(36.5983, 50.5997, srid=4326)  # some 37 km beyond the border
    settings.SLID_COUNTRY_MARGIN_M = 50_000

    assert codes(belgorod) == []


def test_an_empty_outline_setting_turns_the_check_off(settings):
    settings.SLID_COUNTRY_OUTLINE = ""

    assert codes(Point(2.3522, 48.8566, srid=4326)) == []


def test_another_country_is_an_outline_file(settings, tmp_path):
    outline = tmp_path / "moldova-ish.geojson"
    outline.write_text(
        '{"type": "Feature", "properties": {"name": "Testland"}, "geometry": {"type": "Polygon",'
        ' "coordinates": [[[27, 46], [30, 46], [30, 48.5], [27, 48.5], [27, 46]]]}}'
    )
    settings.SLID_COUNTRY_OUTLINE = str(outline)

    assert codes(Point(28.8638, 47.0105, srid=4326)) == []
    assert "outside Testland" in warnings_shown(location_warnings(Point(30.2208, 50.5445, srid=4326)))[0]["message"]


def test_an_unreadable_outline_names_the_setting(settings, tmp_path):
    settings.SLID_COUNTRY_OUTLINE = str(tmp_path / "missing.geojson")

    with pytest.raises(ImproperlyConfigured, match="SLID_COUNTRY_OUTLINE="):
        location_warnings(Point(30.2208, 50.5445, srid=4326))


def test_incidents_farther_than_the_limit_are_flagged(settings):
    assert far_from_incidents({"3": 999.9, "4": 1000.0, "5": 1000.1, "12": 23000.0}) == [5, 12]
    settings.SLID_EVIDENCE_FAR_FROM_INCIDENT_M = 50_000
    assert far_from_incidents({"12": 23000.0}) == []


@pytest.mark.django_db
def test_evidence_captured_far_from_its_incident_is_flagged_in_the_api(case_a, member_of, client_for, tmp_path):
    investigator = member_of(case_a, Role.INVESTIGATOR)
    near = make_incident(case_a, location=Point(30.2210, 50.5446, srid=4326))  # some 17 m away
    far = make_incident(case_a, location=Point(30.5234, 50.4501, srid=4326))  # Kyiv, some 23 km away
    photo = with_gps(photo_bytes(seed=21), tmp_path, lon=30.2208, lat=50.5445)

    item = archived_item(case_a, investigator, photo, name="yard.jpg", incidents=[near, far])

    body = client_for(investigator).get(f"/api/v1/evidence/{item.pk}/").json()
    assert body["far_from_incidents"] == [far.pk]
    assert body["incident_distances_m"][str(near.pk)] < 1000 < body["incident_distances_m"][str(far.pk)]


def test_an_unreadable_outline_fails_the_system_check(settings, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.SLID_COUNTRY_OUTLINE = str(tmp_path / "missing.geojson")

    with pytest.raises(SystemCheckError, match="slid.E001"):
        call_command("check")


def test_a_message_is_written_when_read_in_the_language_asked_for():
    from django.utils import translation

    stored = [{"code": "outside_country", "country": "Testland", "margin_m": 500}]

    with translation.override("en"):
        (shown,) = warnings_shown(stored)

    assert shown == {
        "code": "outside_country",
        "message": "The location lies (at least partly) outside Testland, by more than 500 m. Check it; if it is "
        "right, this warning is only a reminder.",
    }


def test_a_warning_stored_with_its_message_before_codes_is_still_shown():
    assert warnings_shown([{"code": "elsewhere", "message": "Said in English."}]) == [
        {"code": "elsewhere", "message": "Said in English."}
    ]


@pytest.mark.django_db
def test_the_api_writes_the_message_from_the_stored_values_when_read(case_a, member_of, client_for):
    from evidence.models import Incident

    lead = member_of(case_a, Role.LEAD)
    incident = make_incident(case_a, location=Point(21.0122, 52.2297, srid=4326))  # Warsaw
    Incident.objects.filter(pk=incident.pk).update(
        warnings=[{"code": "outside_country", "country": "Testland", "margin_m": 750}]
    )

    shown = client_for(lead).get(f"/api/v1/incidents/{incident.pk}/").json()["properties"]["warnings"]

    assert [warning["code"] for warning in shown] == ["outside_country"]
    assert "outside Testland, by more than 750 m" in shown[0]["message"]
