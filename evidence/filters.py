"""The incident filters, one set for every list of incidents: the API's (api.record) and the workspace's
(the case home's list). Places, periods, crimes, suspects, units, status and text.

A filter that cannot be applied raises django.core.exceptions.ValidationError naming its parameter, which
the API answers as a 400 ({"bbox": ["…"]}) and a page shows next to the filter."""

from functools import reduce
from operator import or_

import django_filters
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import ValidationError
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Q, QuerySet
from django.utils.translation import gettext
from django_filters.constants import EMPTY_VALUES

from evidence.crimes import crimes
from evidence.dates import Moment, needs_time_zone, parse_moment, resolve_moment
from evidence.models import DEFAULT_TIME_ZONE, Case, Incident, IncidentStatus
from evidence.selectors.access import restrict_to_user_cases
from evidence.selectors.cases import (
    CASE_ID,
    CASE_REFERENCE,
    CASE_REFERENCE_MAX_LENGTH,
    CaseNameAmbiguous,
    case_named,
    case_time_zones,
)
from evidence.selectors.record import unit_ids_with_subordinates, unit_list
from geo import selectors as geo_selectors
from geo.models import AdminArea
from geo.validation import GeometryError, parse_bbox, parse_point

MAX_RADIUS_M = 2_000_000
# A case's id (at most 19 digits) or its reference.
CASE_NAME_MAX = max(CASE_REFERENCE_MAX_LENGTH, 19)


class CaseFilter(django_filters.CharFilter):
    """``case``: one of the user's cases, by its id or its reference (evidence.selectors.cases.case_named), in
    every list that has it. A value that can be neither answers 400, as do digits that are the id of one of
    the user's cases and the reference of another; one that names none of them finds nothing."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", "the case's id, or its reference (UA-2022-BUCHA)")
        super().__init__(field_name="case_id", **kwargs)
        self._named: dict[str, Case | None] = {}

    def filter(self, queryset: QuerySet, value: str) -> QuerySet:
        if value in EMPTY_VALUES:
            return queryset
        case = self.case(value)
        return queryset.filter(case_id=case.pk) if case is not None else queryset.none()

    def case(self, value: str) -> Case | None:
        """The case ``value`` names among the requesting user's, or None."""
        if value not in self._named:
            if not (CASE_ID.fullmatch(value) or CASE_REFERENCE.fullmatch(value)) or len(value) > CASE_NAME_MAX:
                message = gettext("Give one of your cases by its id or its reference, such as UA-2022-BUCHA.")
                raise ValidationError({"case": [message]})
            request = getattr(self.parent, "request", None)
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                return None
            try:
                case = case_named(restrict_to_user_cases(Case.objects.all(), user=user, case_field=""), value)
            except CaseNameAmbiguous as error:
                raise ValidationError({"case": [error.message]}) from None
            self._named[value] = case
        return self._named[value]


class IncidentFilterSet(django_filters.FilterSet):
    case = CaseFilter()
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices)
    bbox = django_filters.CharFilter(method="filter_nothing", help_text="minlon,minlat,maxlon,maxlat")
    near = django_filters.CharFilter(method="filter_nothing", help_text="lon,lat; with radius_m")
    radius_m = django_filters.NumberFilter(method="filter_nothing", help_text="metres on the ellipsoid; with near")
    admin_area = django_filters.NumberFilter(method="filter_admin_area", help_text="inside it or its descendants")
    occurred_after = django_filters.CharFilter(
        method="filter_nothing", help_text="ISO date-time, or a date: its start in the case's time zone"
    )
    occurred_before = django_filters.CharFilter(
        method="filter_nothing", help_text="ISO date-time, or a date: its end in the case's time zone"
    )
    crime = django_filters.MultipleChoiceFilter(
        method="filter_crime",
        choices=lambda: [(code, code) for code in crimes()],
        help_text="crime code; repeat for any of several",
    )
    suspect = django_filters.NumberFilter(method="filter_suspect", help_text="person id")
    unit = django_filters.NumberFilter(method="filter_unit", help_text="unit id")
    include_subordinates = django_filters.BooleanFilter(method="filter_nothing")
    q = django_filters.CharFilter(method="filter_text", help_text="full text over title, description and place name")
    ordering = django_filters.CharFilter(
        method="filter_nothing", help_text="occurred_from, -occurred_from (default), distance, -distance"
    )

    class Meta:
        model = Incident
        fields: list[str] = []

    def filter_nothing(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset  # Read together in filter_queryset.

    def filter_admin_area(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        area = AdminArea.objects.filter(pk=value).first()
        if area is None:
            raise ValidationError({"admin_area": [gettext("No admin area %(id)s.") % {"id": int(value)}]})
        return queryset.filter(admin_area_id__in=geo_selectors.admin_area_with_descendants(area))

    def filter_crime(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.filter(crimes__overlap=list(value)) if value else queryset

    def filter_suspect(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        return queryset.filter(allegations__person_id=value).distinct()

    def filter_unit(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        unit = unit_list(user=self.request.user).filter(pk=value).first()
        if unit is None:
            raise ValidationError({"unit": [gettext("No unit %(id)s.") % {"id": int(value)}]})
        if self.form.cleaned_data.get("include_subordinates"):
            unit_ids = unit_ids_with_subordinates(unit=unit)
        else:
            unit_ids = [unit.pk]
        # Incidents alleged against the unit itself or against people serving in it.
        alleged = Q(allegations__unit_id__in=unit_ids) | Q(allegations__person__unit_id__in=unit_ids)
        return queryset.filter(pk__in=Incident.objects.filter(alleged).values("pk"))

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(search=SearchQuery(value, config="simple", search_type="websearch"))

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        queryset = self._filter_near(queryset, data.get("near"), data.get("radius_m"))
        queryset = self._filter_window(queryset, data.get("occurred_after"), data.get("occurred_before"))
        # The bbox goes last: then its count can be taken from the footprint index (geo.querysets).
        queryset = self._filter_bbox(queryset, data.get("bbox"))
        return self._order(queryset, data.get("ordering") or "-occurred_from", near=bool(data.get("near")))

    def _filter_bbox(self, queryset: QuerySet, bbox: str | None) -> QuerySet:
        if not bbox:
            return queryset
        try:
            return queryset.in_bbox(parse_bbox(bbox))
        except GeometryError as error:
            raise ValidationError({"bbox": [str(error)]}) from None

    def _filter_near(self, queryset: QuerySet, near: str | None, radius) -> QuerySet:
        if not near and radius is None:
            return queryset
        if not near or radius is None:
            raise ValidationError({"near" if not near else "radius_m": [gettext("near and radius_m go together.")]})
        if not 0 < radius <= MAX_RADIUS_M:
            message = gettext("Must be above 0 and at most %(limit)s metres.") % {"limit": MAX_RADIUS_M}
            raise ValidationError({"radius_m": [message]})
        try:
            lon, lat = parse_point(near)
        except GeometryError as error:
            raise ValidationError({"near": [str(error)]}) from None
        return geo_selectors.within_metres(queryset, field="location", lon=lon, lat=lat, metres=float(radius))

    def _filter_window(self, queryset: QuerySet, after: str | None, before: str | None) -> QuerySet:
        """Incidents whose period overlaps the window [after, before].

        A bare date (or a time without an offset) is read in the time zone of the incident's case:
        of the case asked for with ``case``, else of each of your cases in turn (they usually share one)."""
        start = _moment(after, "occurred_after") if after else None
        end = _moment(before, "occurred_before") if before else None
        if start is None and end is None:
            return queryset
        zones: dict[str, list[int] | None] = {}
        if any(moment is not None and needs_time_zone(moment) for moment in (start, end)):
            if name := self.form.cleaned_data.get("case"):
                case = self.filters["case"].case(name)  # found once, for the filter and for its zone
                zones = {case.time_zone: [case.pk]} if case is not None else {}
            else:
                zones = dict(case_time_zones(user=self.request.user))
        if len(zones) <= 1:
            # One zone (or none that matters: the moments have offsets, or there is no case to see).
            zones = {next(iter(zones), DEFAULT_TIME_ZONE): None}
        windows, ends = [], []
        for zone, case_ids in zones.items():
            window_start = resolve_moment(start, time_zone=zone) if start is not None else None
            window_end = resolve_moment(end, time_zone=zone, end_of_day=True) if end is not None else None
            if window_start and window_end and window_end < window_start:
                raise ValidationError({"occurred_before": [gettext("Must not be before occurred_after.")]})
            overlaps = Q(period__overlap=DateTimeTZRange(window_start, window_end, "[]"))
            windows.append(overlaps if case_ids is None else overlaps & Q(case_id__in=case_ids))
            ends.append(window_end)
        queryset = queryset.filter(reduce(or_, windows))
        # Implied by the overlap, and lets the newest-first index scan start at the window's end
        # instead of walking back from the newest incident (seen: 450 ms to 50 ms on a million).
        return queryset.filter(occurred_from__lte=max(ends)) if end is not None else queryset

    def _order(self, queryset: QuerySet, ordering: str, *, near: bool) -> QuerySet:
        if ordering in ("distance", "-distance"):
            if not near:
                raise ValidationError({"ordering": [gettext("Ordering by distance needs near and radius_m.")]})
            return queryset.order_by(f"{'-' if ordering[0] == '-' else ''}distance_m", "id")
        if ordering == "occurred_from":
            return queryset.order_by("occurred_from", "id")
        if ordering == "-occurred_from":
            return queryset.order_by("-occurred_from", "-id")
        raise ValidationError({"ordering": [gettext("Use occurred_from, -occurred_from, distance or -distance.")]})


def _moment(value: str, field: str) -> Moment:
    try:
        return parse_moment(value)
    except ValueError as error:
        raise ValidationError({field: [str(error)]}) from None
