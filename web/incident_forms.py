"""The incident form of the workspace, and the words a person reads when the location or a rule refuses
what was entered. The form reads and checks the input's shape; the geometry is checked by geo.validation
and the rules (period in order, known crimes) by evidence.services.record, as for the API."""

import json
import re
import zoneinfo
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evidence.crimes import crimes
from evidence.dates import FIRST_DAY, LAST_DAY
from evidence.models import DatePrecision, Incident, IncidentStatus
from geo.safeguards import COORDINATES_SWAPPED, OUTSIDE_COUNTRY
from geo.validation import GeometryError, geometry_from_geojson, geometry_from_wkt

# The largest count PostgreSQL's integer column holds; beyond it the database would refuse the row.
MAX_COUNT = 2_147_483_647
# A location as text: about 40 characters a vertex, for as many vertices as geo.validation accepts.
LOCATION_MAX_LENGTH = 40 * settings.SLID_MAX_GEOMETRY_VERTICES
COUNT_FIELDS = ("killed", "injured", "missing", "detained")


def _crime_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {_(crime.title)}") for code, crime in crimes().items()]


class IncidentForm(forms.Form):
    """Create or edit an incident. ``location`` holds GeoJSON (what the map writes) or WKT (what a person
    may type or paste); dates are a day and, optionally, a time in the case's time zone."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=Incident._meta.get_field("title").max_length)
    location = forms.CharField(
        label=gettext_lazy("Location"),
        max_length=LOCATION_MAX_LENGTH,
        help_text=gettext_lazy(
            "Click on the map to drop a point, or draw a line or an area. Or type it here: "
            "POINT(30.2208 50.5445) (longitude first) or GeoJSON."
        ),
        error_messages={
            "required": gettext_lazy("Put the incident on the map: drop a point, or draw a line or an area.")
        },
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off"}),
    )
    location_uncertainty_m = forms.IntegerField(
        label=gettext_lazy("Uncertainty of the location, in metres"),
        required=False,
        min_value=0,
        max_value=MAX_COUNT,
    )
    place_name = forms.CharField(
        label=gettext_lazy("Place"),
        required=False,
        max_length=Incident._meta.get_field("place_name").max_length,
        help_text=gettext_lazy("As people name it: a street, a village, a building."),
    )
    occurred_from_date = forms.DateField(
        label=gettext_lazy("From (day)"),
        widget=forms.DateInput(attrs={"type": "date", "min": FIRST_DAY.isoformat(), "max": LAST_DAY.isoformat()}),
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
    )
    occurred_from_time = forms.TimeField(
        label=gettext_lazy("From (time)"),
        required=False,
        help_text=gettext_lazy("Leave empty for the whole day."),
        widget=forms.TimeInput(attrs={"type": "time", "step": 1}),
    )
    occurred_to_date = forms.DateField(
        label=gettext_lazy("Until (day)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "min": FIRST_DAY.isoformat(), "max": LAST_DAY.isoformat()}),
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
    )
    occurred_to_time = forms.TimeField(
        label=gettext_lazy("Until (time)"),
        required=False,
        help_text=gettext_lazy("Leave empty for the end of the day."),
        widget=forms.TimeInput(attrs={"type": "time", "step": 1}),
    )
    date_precision = forms.ChoiceField(
        label=gettext_lazy("How precisely the dates are known"),
        choices=DatePrecision.choices,
        initial=DatePrecision.DAY,
        help_text=gettext_lazy(
            "For a month or a year, give its first and last day; approximate means around these dates."
        ),
    )
    crimes = forms.MultipleChoiceField(
        label=gettext_lazy("Crimes (Rome Statute)"),
        required=False,
        choices=_crime_choices,
        help_text=gettext_lazy("Search by title or by article, such as 8(2)(a)(i)."),
        widget=forms.SelectMultiple(attrs={"size": 8, "data-crime-picker": ""}),
    )
    killed = forms.IntegerField(label=gettext_lazy("Killed"), required=False, min_value=0, max_value=MAX_COUNT)
    injured = forms.IntegerField(label=gettext_lazy("Injured"), required=False, min_value=0, max_value=MAX_COUNT)
    missing = forms.IntegerField(label=gettext_lazy("Missing"), required=False, min_value=0, max_value=MAX_COUNT)
    detained = forms.IntegerField(label=gettext_lazy("Detained"), required=False, min_value=0, max_value=MAX_COUNT)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), choices=IncidentStatus.choices, initial=IncidentStatus.DRAFT
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What geo.validation said, as it said it: shown under the plain words, for whoever needs the detail.
        self.location_detail = ""

    def clean_location(self) -> GEOSGeometry:
        try:
            return read_location(self.cleaned_data["location"])
        except GeometryError as error:
            self.location_detail = str(error)
            raise ValidationError(geometry_error_message(str(error)), code="geometry") from None

    def service_fields(self, *, changed_only: bool) -> dict[str, Any]:
        """The incident's fields as evidence.services.record takes them: a day alone as a ``date`` (the
        whole day in the case's zone), a day and time as a naive ``datetime`` (a time in the case's zone).
        With ``changed_only``, only what the person changed (an edit sends nothing else: the audit entry
        and the revision then hold what they meant to change)."""
        data = self.cleaned_data
        changed = set(self.changed_data) if changed_only else set(self.fields)
        fields: dict[str, Any] = {}
        for name in ("title", "place_name", "date_precision", "status", "description", "location_uncertainty_m",
                     *COUNT_FIELDS):  # fmt: skip
            if name in changed:
                fields[name] = data[name]
        if "location" in changed:
            fields["location"] = data["location"]
        if "crimes" in changed:
            fields["crimes"] = list(data["crimes"])
        if {"occurred_from_date", "occurred_from_time"} & changed:
            fields["occurred_from"] = _moment(data["occurred_from_date"], data["occurred_from_time"])
        if {"occurred_to_date", "occurred_to_time"} & changed:
            fields["occurred_to"] = (
                _moment(data["occurred_to_date"], data["occurred_to_time"]) if data["occurred_to_date"] else None
            )
        return fields

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("occurred_to_time") and not data.get("occurred_to_date"):
            self.add_error("occurred_to_date", _("Give the day as well as the time."))
        return data


def _moment(day: date, at: time | None) -> date | datetime:
    return datetime.combine(day, at) if at is not None else day


def initial_for(incident: Incident) -> dict[str, Any]:
    """The form's initial values for an incident: its dates as a day and a time in the case's zone (the time
    left empty where the stored moment is the day's start, or its end, as a bare day makes them)."""
    zone = zoneinfo.ZoneInfo(incident.case.time_zone)
    start = timezone.localtime(incident.occurred_from, zone)
    initial: dict[str, Any] = {
        "title": incident.title,
        # As the selector had PostGIS write it (the same text on every request, so an untouched map is no change).
        "location": getattr(incident, "location_geojson", None) or incident.location.geojson,
        "location_uncertainty_m": incident.location_uncertainty_m,
        "place_name": incident.place_name,
        "occurred_from_date": start.date(),
        "occurred_from_time": None if start.time() == time.min else start.time(),
        "date_precision": incident.date_precision,
        "crimes": list(incident.crimes),
        "status": incident.status,
        "description": incident.description,
        **{name: getattr(incident, name) for name in COUNT_FIELDS},
    }
    if incident.occurred_to is not None:
        end = timezone.localtime(incident.occurred_to, zone)
        initial["occurred_to_date"] = end.date()
        initial["occurred_to_time"] = None if end.time() == time.max else end.time()
    return initial


# The fields of evidence.services.record, and the form's field that a refusal of each belongs to.
SERVICE_FIELD_TO_FORM = {"occurred_from": "occurred_from_date", "occurred_to": "occurred_to_date"}


def service_error_message(field: str | None, message: str) -> str:
    """A refusal of evidence.services.record in the words of the page (the service's words are the API's,
    in English, for scripts)."""
    if field == "occurred_to" and message.startswith("The end is before the start"):
        return _("The end is before the start.")
    return message


# --- The location -------------------------------------------------------------------------------------

JSON_START = re.compile(r"\s*[\[{\"]")


def read_location(text: str) -> GEOSGeometry:
    """A geometry from GeoJSON or WKT text, checked by geo.validation; GeometryError says why not."""
    if JSON_START.match(text):
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):  # a nesting deeper than Python's stack is no geometry either
            raise GeometryError("Not valid JSON.") from None
        if isinstance(value, dict) and value.get("type") == "Feature":
            value = value.get("geometry")  # what a person pastes from another tool is often a Feature
        if not isinstance(value, dict):  # geo.validation would read a string as JSON once more, unguarded
            raise GeometryError("Expected a GeoJSON geometry object.")
        return geometry_from_geojson(value)
    return geometry_from_wkt(text)


# geo.validation's reasons, in the words of the page. Each pattern matches the start of its message; the
# first that matches wins. The message itself stays available as the technical detail.
POSITION = r"\[(?P<lon>-?[\d.e+-]+) (?P<lat>-?[\d.e+-]+)\]"
GEOMETRY_MESSAGES: list[tuple[re.Pattern, Any]] = [
    (
        re.compile(rf"Invalid (Multi)?Polygon: (Ring )?Self-intersection{POSITION}"),
        lambda m: (
            _(
                "The outline of the area crosses itself, near longitude %(lon)s, latitude %(lat)s. Move its corners "
                "so that no two edges cross (Edit the shape), or draw it again."
            )
            % {"lon": m["lon"], "lat": m["lat"]}
        ),
    ),
    (
        re.compile(r"Invalid (Multi)?Polygon: Too few points|Not a valid (Multi)?Polygon"),
        lambda m: _("An area needs at least three different corners. Draw it again."),
    ),
    (
        re.compile(r"Invalid (Multi)?LineString: Too few points|Not a valid (Multi)?LineString"),
        lambda m: _("A line needs at least two different points. Draw it again."),
    ),
    (
        re.compile(r"Invalid (Multi)?Polygon: (Hole lies outside shell|Nested|Interior is disconnected|Duplicate)"),
        lambda m: _(
            "The parts of the area overlap or a hole lies outside it. Draw the area as one outline, or its "
            "parts apart from each other."
        ),
    ),
    (
        re.compile(r"(Longitude|Latitude) "),
        lambda m: _(
            "A point lies off the globe: longitude goes from -180 to 180 and latitude from -90 to 90. "
            "GeoJSON and WKT give longitude first."
        ),
    ),
    (
        re.compile(r"Too many vertices"),
        lambda m: (
            _("The shape has too many points (at most %(limit)s). Simplify it.")
            % {"limit": settings.SLID_MAX_GEOMETRY_VERTICES}
        ),
    ),
    (
        re.compile(r"Slid keeps longitude and latitude only"),
        lambda m: _("Give each point's longitude and latitude only, without an altitude."),
    ),
    (
        re.compile(r"The edge from"),
        lambda m: _("Two points in a row lie on opposite sides of the globe. Add a point between them."),
    ),
    (
        re.compile(r"Unsupported geometry type"),
        lambda m: _("A location is a point, a line or an area (or several of one of them)."),
    ),
    (
        re.compile(r'"crs" is not accepted'),
        lambda m: _('Leave out "crs": coordinates are longitude and latitude (WGS 84).'),
    ),
    (
        re.compile(r"The geometry is empty|A geometry needs non-empty coordinates"),
        lambda m: _("Put the incident on the map: drop a point, or draw a line or an area."),
    ),
    (
        re.compile(r"Not valid JSON|Not valid WKT|Expected a GeoJSON|Malformed coordinates|A position has two"),
        lambda m: _(
            "The location cannot be read. Draw it on the map, or type it as POINT(30.2208 50.5445) "
            "(longitude first) or as GeoJSON."
        ),
    ),
]


def geometry_error_message(reason: str) -> str:
    """What a person reads when geo.validation refuses a location."""
    for pattern, message in GEOMETRY_MESSAGES:
        match = pattern.match(reason)
        if match:
            return message(match)
    return reason


def warning_message(warning: dict[str, str]) -> str:
    """A location warning of geo.safeguards in the words of the page."""
    if warning.get("code") == COORDINATES_SWAPPED:
        return _(
            "The location is outside the country, but would be inside it with latitude and longitude swapped. "
            "Check the order: longitude first (Bucha is POINT(30.2208 50.5445))."
        )
    if warning.get("code") == OUTSIDE_COUNTRY:
        return _(
            "The location lies (at least partly) outside the country. Check it; if it is right, this is only a "
            "reminder."
        )
    return warning.get("message", "")
