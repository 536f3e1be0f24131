"""Every number of a position is bounded before any geometry library sees it; WKT is read in Python.

GEOS aborts the whole process on some extreme coordinates ("stack smashing detected" for a third
coordinate of 1e308), so the checks that could crash run in a child process: an abort is then a failed
test, not a dead test run."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from geo.validation import GeometryError, geometry_from_geojson, geometry_from_wkt

ROOT = Path(__file__).resolve().parents[2]
HUGE = int("1" * 401)  # a coordinate written as a 401-digit integer


def run_isolated(code: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh Python with Django set up; SIGABRT shows as returncode -6."""
    program = "import django\ndjango.setup()\n" + textwrap.dedent(code)
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", program],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )


@pytest.mark.parametrize(
    "entry",
    [
        'geometry_from_geojson({"type": "Point", "coordinates": [30, 50, 1e308]})',
        'geometry_from_geojson(\'{"type": "Point", "coordinates": [30, 50, 1e308]}\')',
        'geometry_from_wkt("POINT Z (30 50 1e308)")',
        'geometry_from_wkt("POINT ZM (30 50 0 1e308)")',
        'geometry_from_wkt("SRID=4326;LINESTRING(30 50 1e308, 31 51 1e308)")',
        'parse_row({"title": "x", "occurred_from": "2022-03-01", "wkt": "POINT Z (30 50 1e308)"})',
        'parse_row({"title": "x", "occurred_from": "2022-03-01", "geometry": '
        '{"type": "Point", "coordinates": [30, 50, 1e308]}})',
    ],
)
def test_an_extreme_third_or_fourth_coordinate_is_refused_without_killing_the_process(entry):
    result = run_isolated(
        f"""
        from evidence.incident_import import parse_row
        from geo.validation import GeometryError, geometry_from_geojson, geometry_from_wkt
        try:
            result = {entry}
        except (GeometryError, ValueError) as error:
            print("refused:", error)
        else:
            location = result["location"] if isinstance(result, dict) else result
            print("accepted:", location.wkt)  # GEOS' WKT writer, where 1e308 smashed the stack
        """
    )

    assert result.returncode == 0, (result.returncode, result.stderr[-500:])
    assert "refused:" in result.stdout and "out of range" in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"type": "Point", "coordinates": [30, 50, 1e308]}, r"Altitude 1e\+308 is out of range"),
        ({"type": "Point", "coordinates": [30, 50, -1e308]}, "Altitude -1e\\+308 is out of range"),
        ({"type": "Point", "coordinates": [30, 50, 12]}, "longitude and latitude only; remove the altitude"),
        ({"type": "Point", "coordinates": [HUGE, 50]}, r"Longitude \(an integer of about 401 digits\) is out of range"),
        ({"type": "Point", "coordinates": [30, -HUGE]}, r"Latitude \(a negative integer of about 401 digits\)"),
        ({"type": "Point", "coordinates": [30, 50, HUGE]}, "Altitude .* is out of range"),
        ({"type": "LineString", "coordinates": [[30, 50], [HUGE, 50]]}, "Longitude .* is out of range"),
        ({"type": "Point", "coordinates": [30, 50, 1, 2]}, "A position has two numbers"),
        ({"type": "Point", "coordinates": [[30, 50]]}, "A position has two numbers"),
        ({"type": "LineString", "coordinates": [30, 50]}, "Malformed coordinates"),
        ({"type": "Point", "coordinates": [float("inf"), 50]}, "Longitude inf is out of range"),
    ],
)
def test_every_coordinate_is_bounded_before_geos_sees_it(value, reason):
    with pytest.raises(GeometryError, match=reason):
        geometry_from_geojson(value)


@pytest.mark.parametrize(
    "coordinates",
    [
        [[[0, 0], [180, 0], [180, 10], [0, 0]]],  # along the equator, half way round
        [[[-90, 0], [90, 0], [90, 1], [-90, 0]]],
        [[[30, 50], [-150, -50], [-150, -40], [30, 50]]],  # through the globe's centre, not along a parallel
    ],
)
def test_a_polygon_with_an_antipodal_edge_is_refused(coordinates):
    with pytest.raises(GeometryError, match=r"joins opposite points of the globe"):
        geometry_from_geojson({"type": "Polygon", "coordinates": coordinates})


def test_a_line_from_pole_to_pole_is_refused_but_one_that_stops_short_is_kept():
    with pytest.raises(GeometryError, match=r"edge from \(0, 90\) to \(10, -90\)"):
        geometry_from_geojson({"type": "LineString", "coordinates": [[0, 90], [10, -90]]})

    assert geometry_from_geojson({"type": "LineString", "coordinates": [[0, 0], [179.9, 0]]}).num_points == 2


@pytest.mark.parametrize(
    ("text", "wkt"),
    [
        ("POINT(30.22 50.54)", "POINT (30.22 50.54)"),
        ("SRID=4326;POINT (30.22 50.54)", "POINT (30.22 50.54)"),
        ("point(30 50)", "POINT (30 50)"),
        ("MULTIPOINT((30 50), (31 51))", "MULTIPOINT (30 50, 31 51)"),
        ("MULTIPOINT(30 50, 31 51)", "MULTIPOINT (30 50, 31 51)"),
        ("LINESTRING(30.1 50.5, 30.6 50.9)", "LINESTRING (30.1 50.5, 30.6 50.9)"),
        ("POLYGON((30 50, 31 50, 31 51, 30 50))", "POLYGON ((30 50, 31 50, 31 51, 30 50))"),
        (
            "MULTIPOLYGON(((30 50, 31 50, 31 51, 30 50)), ((32 50, 33 50, 33 51, 32 50)))",
            "MULTIPOLYGON (((30 50, 31 50, 31 51, 30 50)), ((32 50, 33 50, 33 51, 32 50)))",
        ),
        ("MULTILINESTRING((30 50, 31 51), (32 52, 33 53))", "MULTILINESTRING ((30 50, 31 51), (32 52, 33 53))"),
    ],
)
def test_wkt_and_ewkt_in_wgs84_are_read(text, wkt):
    geometry = geometry_from_wkt(text)

    assert geometry.srid == 4326
    assert geometry.wkt == wkt


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("POINT Z (30 50 1e308)", r"Altitude 1e\+308 is out of range"),
        ("POINT M (30 50 1e308)", r"Measure 1e\+308 is out of range"),
        ("POINT ZM (30 50 1e308 0)", r"Altitude 1e\+308 is out of range"),
        ("POINT (" + "1" * 401 + " 50)", "Longitude inf is out of range"),
        ("POINTZ (30 50 10)", "remove the altitude"),
        ("POINT (30 50 10)", "remove the altitude"),
        ("POINTM (30 50 10)", "remove the measure"),
        ("POINT ZM (30 50 10 1)", "remove the altitude and measure"),
        ("LINESTRING(0 0, 180 0)", "joins opposite points of the globe"),
        ("SRID=3857;POINT(3364000 6520000)", "only SRID=4326"),
        ("POINT EMPTY", "the geometry is empty"),
        ("GEOMETRYCOLLECTION(POINT(30 50))", "unsupported geometry type 'GEOMETRYCOLLECTION'"),
        ("POINT(30 50", "expected '\\)' at the end"),
        ("POINT(30 50) trailing", "unexpected 'trailing' after the geometry"),
        ("LINESTRING(30 50, 31 51 1)", "every position must have 2 numbers"),
        ("0101000000000000000000F03F000000000000F03F", "expected a geometry type"),  # hex WKB is not WKT
        ('{"type": "Point", "coordinates": [30, 50]}', "unexpected '{'"),
        ("", "the text is empty"),
        ("POLYGON((0 0, 2 2, 2 0, 0 2, 0 0))", "Self-intersection"),
    ],
)
def test_bad_wkt_is_refused_with_the_reason(text, reason):
    with pytest.raises(GeometryError, match=reason):
        geometry_from_wkt(text)
