"""Geometry from GeoJSON (or WKT), checked before anything is stored: a bad geometry is refused with the
reason, never repaired quietly (a court must see what the investigator entered).

Every number of every position is checked here, in Python, before any geometry library sees it. GEOS
aborts the whole process on some extreme values (a third coordinate of 1e308 overflows a buffer of its
WKT writer: "stack smashing detected"), so a single request could kill a web worker; and PostGIS'
geography refuses an edge between two opposite points of the globe with an internal error."""

import json
import math
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.gis.gdal.error import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry

from geo.wkt import POSITION_DEPTH, WKTError, read_wkt

GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}

# How deep the runs of positions joined by edges (lines, rings) sit in each type's coordinates.
EDGES_DEPTH = {"LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}

# The range of each axis. Slid keeps longitude and latitude only (README), so a position with an altitude
# or a measure is refused; the two are bounded all the same, so that no number outside these ranges ever
# reaches GEOS, even in the message of a refusal. Altitude in metres: the deepest ocean to the edge of space.
AXIS_RANGES: dict[str, tuple[float, float, str]] = {
    "longitude": (-180.0, 180.0, ""),
    "latitude": (-90.0, 90.0, ""),
    "altitude": (-12_000.0, 100_000.0, " metres"),
    "measure": (-1e9, 1e9, ""),
}
# Two ends of an edge this close to opposite each other (as unit vectors) are taken as antipodal: PostGIS
# refuses them at 1e-12; a little more margin keeps rounding in either computation from slipping through.
ANTIPODAL_TOLERANCE = 1e-9


class GeometryError(ValueError):
    pass


def geometry_from_geojson(value: Any) -> GEOSGeometry:
    """A GEOS geometry in SRID 4326 from a GeoJSON geometry object (a dict or its JSON text)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than Python parses
            raise GeometryError("Not valid JSON.") from None
    if not isinstance(value, dict):
        raise GeometryError("Expected a GeoJSON geometry object.")
    if "crs" in value:
        # RFC 7946 dropped "crs"; GDAL would also resolve it, which may read files (see settings).
        raise GeometryError('"crs" is not accepted: GeoJSON coordinates are WGS 84 longitude, latitude.')
    kind = value.get("type")
    if not isinstance(kind, str) or kind not in GEOMETRY_TYPES:
        raise GeometryError(
            f"Unsupported geometry type {_brief(kind)}; use one of {', '.join(sorted(GEOMETRY_TYPES))}."
        )
    coordinates = value.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        raise GeometryError("A geometry needs non-empty coordinates.")
    return geometry_from_positions(kind, coordinates, axes=("longitude", "latitude", "altitude"))


def geometry_from_positions(kind: str, coordinates: list, *, axes: tuple[str, ...]) -> GEOSGeometry:
    """A GEOS geometry from coordinates nested as GeoJSON nests them; ``axes`` names the numbers a
    position may have, in order. Every number is bounded, and every edge checked, before GEOS is called."""
    limit = settings.SLID_MAX_GEOMETRY_VERTICES
    for count, position in enumerate(_positions(coordinates, POSITION_DEPTH[kind], axes), start=1):
        if count > limit:
            raise GeometryError(f"Too many vertices: at most {limit} are accepted.")
        if len(position) > 2:
            extra = " and ".join(axes[2 : len(position)])
            raise GeometryError(f"Slid keeps longitude and latitude only; remove the {extra} from each position.")
    if kind in EDGES_DEPTH:
        for run in _runs(coordinates, EDGES_DEPTH[kind]):
            for start, end in zip(run, run[1:], strict=False):
                if _antipodal(start, end):
                    raise GeometryError(
                        f"The edge from {_point(start)} to {_point(end)} joins opposite points of the globe, so "
                        "the line between them is not defined; add a point in between."
                    )
    try:
        geometry = GEOSGeometry(json.dumps({"type": kind, "coordinates": coordinates}), srid=4326)
    except (GEOSException, GDALException, ValueError, TypeError) as error:
        raise GeometryError(f"Not a valid {kind}: {error}") from None
    if geometry.empty:
        raise GeometryError("The geometry is empty.")
    if not geometry.valid:
        raise GeometryError(f"Invalid {kind}: {geometry.valid_reason}.")
    return geometry


def geometry_from_wkt(text: str) -> GEOSGeometry:
    """A GEOS geometry in SRID 4326 from WKT or EWKT (``SRID=4326;POINT(30.22 50.54)``), read in Python
    (geo.wkt) so that its numbers are bounded before GEOS sees them."""
    try:
        kind, coordinates, axes = read_wkt(text)
    except WKTError as error:
        raise GeometryError(f"Not valid WKT: {error}") from None
    return geometry_from_positions(kind, coordinates, axes=axes)


def _positions(coordinates: list, depth: int, axes: tuple[str, ...]) -> Iterator[list]:
    """Every position of coordinates nested ``depth`` lists deep, each number checked against its axis.
    Refuses anything that is not a position where one belongs, or a list where one does not."""
    stack: list[tuple[Any, int]] = [(coordinates, depth)]
    while stack:
        item, level = stack.pop()
        if not isinstance(item, list) or not item:
            raise GeometryError(f"Malformed coordinates near {_brief(item)}.")
        if level == 0:
            _check_position(item, axes)
            yield item
        else:
            stack.extend((child, level - 1) for child in reversed(item))


def _check_position(position: list, axes: tuple[str, ...]) -> None:
    if not 2 <= len(position) <= len(axes) or not all(_is_number(n) for n in position):
        raise GeometryError(f"A position has two numbers, longitude and latitude (got {_brief(position)}).")
    for axis, number in zip(axes, position, strict=False):
        low, high, unit = AXIS_RANGES[axis]
        # Compared as given: float() of a 401-digit integer raises OverflowError; NaN is in no range.
        if not low <= number <= high:
            raise GeometryError(f"{axis.capitalize()} {_brief(number)} is out of range ({low:g} to {high:g}{unit}).")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _runs(coordinates: list, depth: int) -> Iterator[list]:
    """The runs of positions joined by edges: a line, or a ring."""
    if depth == 1:
        yield coordinates
    else:
        for child in coordinates:
            yield from _runs(child, depth - 1)


def _unit_vector(position: list) -> tuple[float, float, float]:
    lon, lat = math.radians(position[0]), math.radians(position[1])
    return math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)


def _antipodal(start: list, end: list) -> bool:
    a, b = _unit_vector(start), _unit_vector(end)
    return all(abs(p + q) < ANTIPODAL_TOLERANCE for p, q in zip(a, b, strict=True))


def _point(position: list) -> str:
    return f"({position[0]:g}, {position[1]:g})"


def _brief(value: Any) -> str:
    """A short description of a value for an error message: never the whole of a huge input."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        kind = "a negative integer" if value < 0 else "an integer"
        return f"({kind} of about {int(value.bit_length() * 0.30103) + 1} digits)"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(float(value))
    if isinstance(value, list):
        shown = ", ".join(_brief(item) for item in value[:3])
        return f"[{shown}{', …' if len(value) > 3 else ''}]"
    if isinstance(value, dict):
        return "{…}"
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}…"


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    try:
        minlon, minlat, maxlon, maxlat = (float(part) for part in value.split(","))
    except ValueError:
        raise GeometryError("Expected minlon,minlat,maxlon,maxlat.") from None
    if not (-180 <= minlon < maxlon <= 180 and -90 <= minlat < maxlat <= 90):
        raise GeometryError("Corners out of range or in the wrong order (minlon,minlat,maxlon,maxlat).")
    return minlon, minlat, maxlon, maxlat


def parse_point(value: str) -> tuple[float, float]:
    try:
        lon, lat = (float(part) for part in value.split(","))
    except ValueError:
        raise GeometryError("Expected lon,lat.") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise GeometryError("Longitude or latitude out of range.")
    return lon, lat
