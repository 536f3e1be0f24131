"""import_incidents reads rows with the API's bounds: coordinates, WKT and dates beyond what can be stored
are bad rows with the field and the reason, never a crash of the command."""

import pytest

from evidence.incident_import import parse_row

pytestmark = pytest.mark.django_db

ROW = {"title": "Shelling", "occurred_from": "2022-03-01"}


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"lon": int("1" * 401), "lat": 50}, "location: Longitude inf is out of range"),  # a GeoJSON file's number
        ({"lon": "1" * 401, "lat": "50"}, "location: Longitude inf is out of range"),  # a CSV cell
        ({"wkt": "POINT Z (30 50 1e308)"}, r"location: Altitude 1e\+308 is out of range"),
        ({"wkt": "SRID=4326;POINT M (30 50 1e308)"}, r"location: Measure 1e\+308 is out of range"),
        ({"wkt": "POLYGON((0 0, 180 0, 180 10, 0 0))"}, "location: The edge from \\(0, 0\\) to \\(180, 0\\) joins"),
        ({"wkt": "0101000000000000000000F03F000000000000F03F"}, "location: Not valid WKT"),
        (
            {"geometry": {"type": "Point", "coordinates": [30, 50, 1e308]}},
            r"location: Altitude 1e\+308 is out of range",
        ),
        ({"lon": 30, "lat": 50, "occurred_from": "9999-12-31T23:59:59-14:00"}, "occurred_from: .* is out of range"),
        ({"lon": 30, "lat": 50, "occurred_to": "9999-12-31"}, "occurred_to: .* is out of range"),
        ({"lon": 30, "lat": 50, "occurred_from": "0001-01-01"}, "occurred_from: .* is out of range"),
    ],
)
def test_a_row_beyond_what_can_be_stored_is_a_bad_row_naming_the_field(fields, reason):
    with pytest.raises(ValueError, match=reason):
        parse_row({**ROW, **fields})


def test_a_wkt_row_in_wgs84_is_read():
    assert parse_row({**ROW, "wkt": "SRID=4326;POINT(30.2208 50.5445)"})["location"].coords == (30.2208, 50.5445)
