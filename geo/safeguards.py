"""Warnings about places that are probably wrong. A warning never refuses anything: the location is
kept as given, and the warning is stored and shown beside it, so that nobody is told nothing.

- A location outside the country the cases are about (``SLID_COUNTRY_OUTLINE``, Ukraine by default,
  with a margin of ``SLID_COUNTRY_MARGIN_M`` metres for the outline's coarseness): ``outside_country``;
  if it would fall inside with latitude and longitude swapped, ``coordinates_swapped`` instead, the
  commonest mistake (GeoJSON and WKT give longitude first).
- Evidence captured farther than ``SLID_EVIDENCE_FAR_FROM_INCIDENT_M`` metres from an incident it is
  linked to: ``far_from_incidents``."""

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon
from django.contrib.gis.geos.prepared import PreparedGeometry
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext, gettext_noop

OUTSIDE_COUNTRY = "outside_country"
COORDINATES_SWAPPED = "coordinates_swapped"


@dataclass(frozen=True)
class CountryOutline:
    name: str
    margin_m: int
    area: PreparedGeometry  # the outline grown by the margin


def country_outline() -> CountryOutline | None:
    """The configured country, or None when the check is turned off (an empty setting)."""
    path = settings.SLID_COUNTRY_OUTLINE
    return _read_outline(path, settings.SLID_COUNTRY_MARGIN_M) if path else None


@cache
def _read_outline(path: str, margin_m: int) -> CountryOutline:
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        features = document["features"] if document.get("type") == "FeatureCollection" else [document]
        polygons = []
        for feature in features:
            geometry = GEOSGeometry(json.dumps(feature["geometry"]), srid=4326)
            polygons.extend(geometry if geometry.geom_type == "MultiPolygon" else [geometry])
        outline = MultiPolygon(polygons, srid=4326)
        name = features[0].get("properties", {}).get("name") or "the country"
    except (OSError, ValueError, KeyError, TypeError, GEOSException) as error:
        raise ImproperlyConfigured(
            f"SLID_COUNTRY_OUTLINE={path!r} is not a readable GeoJSON polygon ({type(error).__name__}: {error})"
        ) from None
    if not outline.valid:
        raise ImproperlyConfigured(f"SLID_COUNTRY_OUTLINE={path!r} is not a valid polygon: {outline.valid_reason}")
    return CountryOutline(name=name, margin_m=margin_m, area=_grown(outline, margin_m).prepared)


def _grown(outline: MultiPolygon, margin_m: int) -> GEOSGeometry:
    """The outline grown by ``margin_m`` metres, measured in an azimuthal equidistant projection
    centred on it (a degree is not a fixed number of metres)."""
    if margin_m <= 0:
        return outline
    centre = outline.centroid
    local = SpatialReference(f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m +no_defs")
    projected = outline.transform(CoordTransform(SpatialReference(4326), local), clone=True)
    grown = projected.buffer(margin_m)
    grown.srid = None
    return grown.transform(CoordTransform(local, SpatialReference(4326)), clone=True)


def location_warnings(geometry: GEOSGeometry) -> list[dict[str, Any]]:
    """The warnings about an incident's location, as they are stored: a code and the values its message
    needs, worked out now (the country and the margin are those of the settings at the time), so that the
    message is written on reading, in the reader's language (``warnings_shown``). [] when the location lies
    in the country, or no country is set."""
    outline = country_outline()
    if outline is None or outline.area.contains(geometry):
        return []
    if outline.area.contains(swap_axes(geometry)):
        return [{"code": COORDINATES_SWAPPED, "country": outline.name}]
    return [{"code": OUTSIDE_COUNTRY, "country": outline.name, "margin_m": outline.margin_m}]


# The messages of the warnings, by code. Their msgids are what translators see (locale/).
WARNING_MESSAGES = {
    COORDINATES_SWAPPED: gettext_noop(
        "The location is outside %(country)s, but would be inside it with latitude and longitude swapped. "
        "GeoJSON and WKT give longitude first: [30.2208, 50.5445] is Bucha. Check the order."
    ),
    OUTSIDE_COUNTRY: gettext_noop(
        "The location lies (at least partly) outside %(country)s, by more than %(margin_m)s m. Check it; if it "
        "is right, this warning is only a reminder."
    ),
}
# The name of the outline Slid ships (geo/data/ukraine.geojson), so that it is translated too.
SHIPPED_COUNTRY = gettext_noop("Ukraine")


def warning_message(warning: dict[str, Any]) -> str:
    """A stored warning's message, in the active language."""
    template = WARNING_MESSAGES.get(warning.get("code"))
    if template is None:
        return str(warning.get("message", ""))
    country = warning.get("country") or SHIPPED_COUNTRY
    return gettext(template) % {"country": gettext(country), "margin_m": warning.get("margin_m", "")}


def warnings_shown(warnings: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Stored warnings as the API shows them: each its code and its message, in the active language."""
    return [{"code": str(warning.get("code", "")), "message": warning_message(warning)} for warning in warnings]


def swap_axes(geometry: GEOSGeometry) -> GEOSGeometry:
    """The same geometry with each point's two numbers exchanged."""
    document = json.loads(geometry.json)
    return GEOSGeometry(json.dumps(_swapped(document)), srid=geometry.srid)


def _swapped(document: dict[str, Any]) -> dict[str, Any]:
    if document["type"] == "GeometryCollection":
        return {**document, "geometries": [_swapped(part) for part in document["geometries"]]}
    return {**document, "coordinates": _swap_positions(document["coordinates"])}


def _swap_positions(value: list) -> list:
    if value and isinstance(value[0], int | float):
        return [value[1], value[0], *value[2:]]
    return [_swap_positions(part) for part in value]


def far_from_incidents(distances_m: dict[str, float]) -> list[int]:
    """The incidents (ids) that a file was captured farther from than ``SLID_EVIDENCE_FAR_FROM_INCIDENT_M``."""
    limit = settings.SLID_EVIDENCE_FAR_FROM_INCIDENT_M
    return sorted(int(incident) for incident, metres in distances_m.items() if metres > limit)
