"""An incident's dates and its revisions in words: when it happened, as precisely as it is known, and who
changed what (from evidence.selectors.record.incident_revision_list, pghistory's revisions)."""

import zoneinfo
from datetime import datetime
from typing import Any

from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.utils import formats, timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from evidence.models import Case, DatePrecision, Incident, IncidentStatus
from geo.models import AdminArea
from web.templatetags.workspace import in_case_zone

# The fields a revision holds that a reader of the history has no use for: ids and the creation stamp
# (the first revision is the creation).
NOT_SHOWN = {"id", "public_id", "case_id", "created_by_id", "created_at"}
COUNTS = {"killed", "injured", "missing", "detained", "location_uncertainty_m"}
# A long description is shown up to here in the history (the incident's page has it whole).
TEXT_SHOWN = 300


def field_labels() -> dict[str, str]:
    return {
        "title": _("Title"),
        "description": _("Description"),
        "occurred_from": _("From"),
        "occurred_to": _("Until"),
        "date_precision": _("How precisely the dates are known"),
        "location": _("Location"),
        "location_uncertainty_m": _("Uncertainty of the location, in metres"),
        "place_name": _("Place"),
        "admin_area_id": _("Administrative area"),
        "crimes": _("Crimes"),
        "killed": _("Killed"),
        "injured": _("Injured"),
        "missing": _("Missing"),
        "detained": _("Detained"),
        "status": _("Status"),
    }


def area_name(area: AdminArea | None) -> str:
    """An administrative area's name in the page's language (Ukrainian when it has no English one)."""
    if area is None:
        return ""
    if get_language() == "uk" or not area.name_en:
        return area.name_uk
    return area.name_en


def incident_when(incident: Incident, case: Case) -> str:
    """When it happened, no more precisely than it is known, in the case's time zone: "4 March 2022 to 6 March
    2022", "March 2022", "about 4 March 2022", or to the minute when exact."""
    zone = zoneinfo.ZoneInfo(case.time_zone)
    precision = incident.date_precision

    def shown(moment: datetime) -> str:
        local = timezone.localtime(moment, zone)
        if precision == DatePrecision.EXACT:
            return in_case_zone(moment, case)
        if precision == DatePrecision.MONTH:
            return formats.date_format(local, "YEAR_MONTH_FORMAT")
        if precision == DatePrecision.YEAR:
            return str(local.year)
        return formats.date_format(local, "DATE_FORMAT")

    text = shown(incident.occurred_from)
    if incident.occurred_to is not None and shown(incident.occurred_to) != text:
        text = _("%(start)s to %(end)s") % {"start": text, "end": shown(incident.occurred_to)}
    if precision == DatePrecision.APPROXIMATE:
        text = _("about %(when)s") % {"when": text}
    return text


def describe_geometry(geojson: str | None) -> str:
    """A location in a sentence: the point's coordinates, or the shape, its size and where it lies."""
    if not geojson:
        return _("empty")
    try:
        geometry = GEOSGeometry(geojson)
    except (GEOSException, ValueError):
        return geojson
    if geometry.geom_type == "Point":
        return _("a point at %(lon)s, %(lat)s") % {"lon": _number(geometry.x), "lat": _number(geometry.y)}
    shapes = {
        "LineString": _("a line"), "MultiLineString": _("lines"), "Polygon": _("an area"),
        "MultiPolygon": _("areas"), "MultiPoint": _("points"),
    }  # fmt: skip
    centre = geometry.centroid
    count = geometry.num_coords
    if geometry.geom_type in ("Polygon", "MultiPolygon"):  # a ring's last point is its first again
        polygons = [geometry] if geometry.geom_type == "Polygon" else list(geometry)
        count -= sum(1 + polygon.num_interior_rings for polygon in polygons)
    return ngettext(
        "%(shape)s of %(count)d point, around %(lon)s, %(lat)s",
        "%(shape)s of %(count)d points, around %(lon)s, %(lat)s",
        count,
    ) % {"shape": shapes.get(geometry.geom_type, geometry.geom_type), "count": count,
         "lon": _number(centre.x), "lat": _number(centre.y)}  # fmt: skip


def _number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def readable_revisions(revisions: list[dict], case: Case) -> list[dict[str, Any]]:
    """The revisions, newest first, each with who, when, and its changes as labelled from/to words."""
    labels = field_labels()
    area_ids = {
        value
        for revision in revisions
        for side in ("from", "to")
        if (value := revision["changes"].get("admin_area_id", {}).get(side)) is not None
    }
    areas = {area.pk: area for area in AdminArea.objects.filter(pk__in=area_ids).only("name_uk", "name_en", "level")}
    shown = []
    for revision in revisions:
        created = revision["event"] == "created"
        changes = []
        if not created:
            for name, change in revision["changes"].items():
                if name in NOT_SHOWN or name not in labels:
                    continue
                changes.append(_change(name, labels[name], change, case, areas))
        shown.append(
            {
                "number": revision["revision"],
                "at": in_case_zone(revision["at"], case),
                "at_iso": revision["at"].isoformat(),
                "user": revision["user"],
                "created": created,
                "changes": changes,
            }
        )
    return shown[::-1]


def _change(name: str, label: str, change: dict, case: Case, areas: dict) -> dict[str, Any]:
    if name == "crimes":
        before, after = set(change["from"] or []), set(change["to"] or [])
        return {"label": label, "added": sorted(after - before), "removed": sorted(before - after)}
    before, after = (_value(name, change[side], case, areas) for side in ("from", "to"))
    return {"label": label, "from": before, "to": after}


def _value(name: str, value: Any, case: Case, areas: dict) -> str:
    if value is None or value == "":
        return _("not known") if name in COUNTS else _("empty")
    if isinstance(value, datetime):
        return in_case_zone(value, case)
    if name == "location":
        return describe_geometry(value)
    if name == "admin_area_id":
        return area_name(areas.get(value)) or str(value)
    if name == "status":
        return _label(IncidentStatus, value)
    if name == "date_precision":
        return _label(DatePrecision, value)
    text = str(value)
    return text if len(text) <= TEXT_SHOWN else text[:TEXT_SHOWN] + "…"


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value
