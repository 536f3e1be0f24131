"""Reading incidents from GeoJSON or CSV files: every row is checked before anything is written."""

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.core.exceptions import ValidationError

from evidence.crimes import unknown_crime_codes
from evidence.dates import Moment, parse_moment, resolve_moment
from evidence.models import DEFAULT_TIME_ZONE, Incident
from geo.validation import GeometryError, geometry_from_geojson, geometry_from_wkt

TEXT_FIELDS = ("title", "description", "date_precision", "place_name", "status")
COUNT_FIELDS = ("location_uncertainty_m", "killed", "injured", "missing", "detained")
KNOWN_COLUMNS = {
    *TEXT_FIELDS, *COUNT_FIELDS, "occurred_from", "occurred_to", "crimes", "lon", "lat", "wkt", "geometry",
}  # fmt: skip


@dataclass
class RowProblem:
    number: int
    reason: str

    def __str__(self) -> str:
        return f"row {self.number}: {self.reason}"


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, raw fields) from a GeoJSON FeatureCollection or a CSV file with a header."""
    if path.suffix.lower() in (".geojson", ".json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("type") != "FeatureCollection":
            raise ValueError("A GeoJSON file must hold a FeatureCollection.")
        for number, feature in enumerate(document.get("features", []), start=1):
            yield number, {**(feature.get("properties") or {}), "geometry": feature.get("geometry")}
    elif path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            unknown = sorted(set(reader.fieldnames or []) - KNOWN_COLUMNS)
            if unknown:
                raise ValueError(f"Unknown column {unknown[0]!r}; known: {', '.join(sorted(KNOWN_COLUMNS))}")
            # Row 1 is the header, so data rows are numbered as a spreadsheet shows them.
            for number, row in enumerate(reader, start=2):
                yield number, {name: value for name, value in row.items() if value not in (None, "")}
    else:
        raise ValueError("Use a .geojson, .json or .csv file.")


def parse_row(raw: dict[str, Any], *, time_zone: str = DEFAULT_TIME_ZONE) -> dict[str, Any]:
    """Typed incident fields from one row; raises ValueError naming the field and the reason.

    Dates stay as written (a bare date, a time without an offset): incident_create places them in the
    case's time zone. They are checked here in ``time_zone``, the case's (Europe/Kyiv if not given)."""
    unknown = sorted(set(raw) - KNOWN_COLUMNS)
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown field")
    fields: dict[str, Any] = {name: str(raw[name]).strip() for name in TEXT_FIELDS if name in raw}
    for name in COUNT_FIELDS:
        if name in raw:
            fields[name] = _count(name, raw[name])
    if "occurred_from" not in raw:
        raise ValueError("occurred_from: required")
    fields["occurred_from"] = _moment("occurred_from", raw["occurred_from"])
    if "occurred_to" in raw:
        fields["occurred_to"] = _moment("occurred_to", raw["occurred_to"])
    crimes = raw.get("crimes", [])
    if isinstance(crimes, str):
        crimes = [code.strip() for code in crimes.replace("|", ";").split(";") if code.strip()]
    unknown_codes = unknown_crime_codes(crimes)
    if unknown_codes:
        raise ValueError(f"crimes: unknown crime code {unknown_codes[0]!r}")
    fields["crimes"] = crimes
    fields["location"] = _location(raw)
    start = resolve_moment(fields["occurred_from"], time_zone=time_zone)
    end = None
    if "occurred_to" in fields:
        end = resolve_moment(fields["occurred_to"], time_zone=time_zone, end_of_day=True)
    if end is not None and end < start:
        raise ValueError("occurred_to: the end is before the start")
    candidate = Incident(**{**fields, "occurred_from": start, "occurred_to": end})
    try:
        candidate.full_clean(exclude=["case", "created_by", "updated_by", "admin_area"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise ValueError(f"{field}: {messages[0]}") from None
    return fields


def _count(name: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {value!r} is not a whole number") from None
    if number < 0:
        raise ValueError(f"{name}: must not be negative")
    return number


def _moment(name: str, value: Any) -> Moment:
    try:
        return parse_moment(str(value))
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


def _location(raw: dict[str, Any]) -> GEOSGeometry:
    try:
        if raw.get("geometry") is not None:
            return geometry_from_geojson(raw["geometry"])
        if "wkt" in raw:
            return geometry_from_wkt(str(raw["wkt"]))
        if "lon" in raw and "lat" in raw:
            # Through str: float() of a huge integer from a GeoJSON file raises OverflowError; of its text, inf.
            lon, lat = float(str(raw["lon"])), float(str(raw["lat"]))
            return geometry_from_geojson({"type": "Point", "coordinates": [lon, lat]})
    except (GeometryError, GEOSException, ValueError) as error:
        raise ValueError(f"location: {error}") from None
    raise ValueError("location: give a geometry (GeoJSON), a wkt column, or lon and lat columns")
