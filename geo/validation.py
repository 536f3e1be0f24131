"""Geometry from GeoJSON, checked before anything is stored: a bad geometry is refused with the
reason, never repaired quietly (a court must see what the investigator entered)."""

import json
from typing import Any

from django.conf import settings
from django.contrib.gis.gdal.error import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry

GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}


class GeometryError(ValueError):
    pass


def geometry_from_geojson(value: Any) -> GEOSGeometry:
    """A GEOS geometry in SRID 4326 from a GeoJSON geometry object (a dict or its JSON text)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise GeometryError("Not valid JSON.") from None
    if not isinstance(value, dict):
        raise GeometryError("Expected a GeoJSON geometry object.")
    if "crs" in value:
        # RFC 7946 dropped "crs"; GDAL would also resolve it, which may read files (see settings).
        raise GeometryError('"crs" is not accepted: GeoJSON coordinates are WGS 84 longitude, latitude.')
    kind = value.get("type")
    if not isinstance(kind, str) or kind not in GEOMETRY_TYPES:
        raise GeometryError(f"Unsupported geometry type {kind!r}; use one of {', '.join(sorted(GEOMETRY_TYPES))}.")
    coordinates = value.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        raise GeometryError("A geometry needs non-empty coordinates.")
    limit = settings.SLID_MAX_GEOMETRY_VERTICES
    for count, (lon, lat) in enumerate(_positions(coordinates), start=1):
        if count > limit:
            raise GeometryError(f"Too many vertices: at most {limit} are accepted.")
        if not -180 <= lon <= 180:
            raise GeometryError(f"Longitude {lon} is out of range (-180 to 180).")
        if not -90 <= lat <= 90:
            raise GeometryError(f"Latitude {lat} is out of range (-90 to 90).")
    try:
        geometry = GEOSGeometry(json.dumps({"type": kind, "coordinates": coordinates}), srid=4326)
    except (GEOSException, GDALException, ValueError, TypeError) as error:
        raise GeometryError(f"Not a valid {kind}: {error}") from None
    if geometry.empty:
        raise GeometryError("The geometry is empty.")
    if not geometry.valid:
        raise GeometryError(f"Invalid {kind}: {geometry.valid_reason}.")
    return geometry


def _positions(coordinates: list):
    """Every (lon, lat) in nested GeoJSON coordinates; refuses anything that is not a position."""
    stack = [coordinates]
    while stack:
        item = stack.pop()
        if isinstance(item, list) and item and all(isinstance(n, int | float) for n in item):
            if len(item) not in (2, 3) or any(isinstance(n, bool) for n in item):
                raise GeometryError(f"A position has two numbers, longitude and latitude (got {item!r}).")
            yield float(item[0]), float(item[1])
        elif isinstance(item, list) and item:
            stack.extend(item)
        else:
            raise GeometryError(f"Malformed coordinates near {item!r}.")


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
