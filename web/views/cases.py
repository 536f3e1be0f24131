"""The user's cases, and a case's home page."""

import contextlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from evidence.crimes import crimes
from evidence.filters import IncidentFilterSet
from evidence.models import IncidentStatus
from evidence.selectors.activity import case_activity
from evidence.selectors.cases import case_list
from evidence.selectors.maps import incident_counts, incident_mapped_extent, incident_timeline
from evidence.selectors.record import incident_list, person_list, unit_list
from geo.validation import GeometryError, parse_bbox
from web.pages import Page, is_htmx

# The case list is a handful of cases for most people; a superuser sees every case, a page at a time.
CASES_SHOWN = 200
SEARCH_MAX_LENGTH = 100


class CaseListPage(Page):
    """Your cases; the search box narrows the table as you type (htmx replaces the table only)."""

    template_name = "web/case_list.html"
    partial_template_name = "web/_case_table.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        # PostgreSQL refuses NUL in text, and nobody means to search for one.
        query = request.GET.get("q", "").replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]
        cases = case_list(user=request.user)
        if query:
            cases = cases.filter(Q(reference__icontains=query) | Q(title__icontains=query))
        shown = list(cases.order_by("reference")[: CASES_SHOWN + 1])
        return self.render({"cases": shown[:CASES_SHOWN], "more": len(shown) > CASES_SHOWN, "q": query})


class CaseHomePage(Page):
    """A case's home: the map of its incidents (vector tiles of clusters, web.views.map.CaseMapTilesPage), the
    timeline of when they began, their counts by status and crime, the newest activity, and the list of the
    incidents under the map. The list takes the API's incident filters (evidence.filters.IncidentFilterSet:
    the map's extent as bbox, dates, crime, suspect, unit with its subordinates, status, text) from the
    address, so a view can be shared; htmx replaces the list alone when the map moves, the timeline is
    brushed or a filter changes. The map, the timeline and the counts show the whole case."""

    template_name = "web/case_home.html"
    partial_template_name = "web/_incident_list.html"

    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        case = self.case
        incidents = incident_list_page(request, case)
        context: dict = {"list": incidents}
        if not is_htmx(request):
            counts = incident_counts(case=case)
            period, bars = incident_timeline(case=case)
            is_audit, activity = case_activity(user=request.user, case=case)
            context |= {
                "counts": counts,
                "status_counts": status_counts(counts),
                "crime_counts": crime_counts(counts),
                "timeline": {
                    "period": period,
                    "bars": [[bar.start.isoformat(), bar.end.isoformat(), bar.incidents] for bar in bars],
                },
                "activity": activity,
                "activity_is_audit": is_audit,
                "map": map_options(case, incidents),
                "choices": filter_choices(request, case, incidents, counts),
            }
        return self.render(context)


# The list's filters: the API's incident filters that a page offers (evidence.filters.IncidentFilterSet).
LIST_FILTERS = (
    "bbox",
    "occurred_after",
    "occurred_before",
    "crime",
    "suspect",
    "unit",
    "include_subordinates",
    "status",
    "q",
)
INCIDENTS_PER_PAGE = 25
# Pages further in are not offered (an offset that deep is slow); narrowing the filters finds them.
MAX_PAGE = 200
# A filtered list is counted this far, then said to be "more than" it.
COUNT_LIMIT = 1000
VALUE_MAX_LENGTH = 200
CHOICES_SHOWN = 500


@dataclass
class IncidentListPage:
    incidents: list
    filters: dict[str, list[str]]
    errors: dict[str, list[str]]
    page: int
    has_next: bool
    count: int
    count_is_lower_bound: bool

    @property
    def filtered(self) -> bool:
        return bool(self.filters)

    def query(self, **changes: object) -> str:
        """The address's query with these changes (None removes a filter): for links that keep the rest."""
        data = QueryDict(mutable=True)
        for name, values in self.filters.items():
            data.setlist(name, values)
        for name, value in changes.items():
            if value is None:
                data.pop(name, None)
            else:
                data.setlist(name, [str(value)])
        return data.urlencode()

    def previous_query(self) -> str | None:
        return self.query(page=self.page - 1 if self.page > 2 else None) if self.page > 1 else None

    def next_query(self) -> str | None:
        return self.query(page=self.page + 1) if self.has_next else None

    def first_index(self) -> int:
        return (self.page - 1) * INCIDENTS_PER_PAGE + 1


def list_filters(request: HttpRequest) -> dict[str, list[str]]:
    """The list's filters in the address, without blank values (the filter set strips them to nothing, and
    they filter nothing) and without NUL (PostgreSQL refuses it in text)."""
    filters = {}
    for name in LIST_FILTERS:
        values = [value.replace("\x00", "").strip()[:VALUE_MAX_LENGTH] for value in request.GET.getlist(name)]
        if any(values):
            filters[name] = [value for value in values if value]
    return filters


def incident_list_page(request: HttpRequest, case) -> IncidentListPage:
    filters = list_filters(request)
    page = _page_number(request.GET.get("page"))
    data = QueryDict(mutable=True)
    for name, values in filters.items():
        data.setlist(name, values)
    data["case"] = str(case.pk)  # bare dates are days in this case's time zone
    filterset = IncidentFilterSet(data, queryset=incident_list(user=request.user).filter(case=case), request=request)
    result = IncidentListPage([], filters, {}, page, False, 0, False)
    if not filterset.is_valid():
        result.errors = {name: [str(m) for m in messages] for name, messages in filterset.errors.items()}
        return result
    try:
        queryset = filterset.qs
    except ValidationError as error:
        result.errors = {name: [str(m) for m in messages] for name, messages in error.message_dict.items()}
        return result
    start = (page - 1) * INCIDENTS_PER_PAGE
    rows = list(queryset.select_related(None).prefetch_related(None)[start : start + INCIDENTS_PER_PAGE + 1])
    result.incidents = rows[:INCIDENTS_PER_PAGE]
    result.has_next = len(rows) > INCIDENTS_PER_PAGE and page < MAX_PAGE
    if not filters:
        result.count = incident_counts(case=case)["total"]["incidents"]
    elif start == 0 and len(rows) <= INCIDENTS_PER_PAGE:
        result.count = len(rows)
    else:
        result.count = queryset.order_by().values("pk")[: COUNT_LIMIT + 1].count()
        result.count_is_lower_bound = result.count > COUNT_LIMIT
        result.count = min(result.count, COUNT_LIMIT)
    return result


def _page_number(raw: str | None) -> int:
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 6:
        return min(max(int(raw), 1), MAX_PAGE)
    return 1


def status_counts(counts: dict) -> list[tuple[str, str, int]]:
    """(status, its name, how many) in the order of the workflow."""
    by_status = counts["status"]
    return [(value, label, by_status.get(value, 0)) for value, label in IncidentStatus.choices]


def crime_counts(counts: dict, *, shown: int = 12) -> list[tuple[str, str, int]]:
    """(code, title, how many) for the most frequent crimes; "" is "no crime named yet"."""
    titles = crimes()
    return [
        (code, _(titles[code].title) if code in titles else (_("No crime named yet") if code == "" else code), n)
        for code, n in list(counts["crime"].items())[:shown]
    ]


def map_options(case, incidents: IncidentListPage) -> dict:
    """What the case home's map script needs (web/static/web/js/case-home.js)."""
    extent = None
    if "bbox" in incidents.filters:
        # The value the list is filtered by (the filter set reads the last one given), if it is one.
        with contextlib.suppress(GeometryError):
            extent = list(parse_bbox(incidents.filters["bbox"][-1]))
    if extent is None:
        extent = incident_mapped_extent(case=case)
    try:
        incident_url = reverse("web:incident-detail", kwargs={"reference": case.reference, "incident": 999999999})
        incident_url = incident_url.replace("999999999", "{id}")
    except NoReverseMatch:
        incident_url = ""
    return {
        "tiles": reverse("web:case-map", kwargs={"reference": case.reference}) + "?z={z}&x={x}&y={y}",
        "extent": list(extent) if extent else None,
        "inView": "bbox" in incidents.filters,
        "incidentUrl": incident_url,
    }


def filter_choices(request: HttpRequest, case, incidents: IncidentListPage, counts: dict) -> dict:
    """The choices of the filter form: the case's people and units, the crimes it has, the statuses."""
    persons = person_list(user=request.user).filter(case=case).order_by("full_name")
    units = unit_list(user=request.user).filter(case=case).order_by("name")
    titles = crimes()
    codes = set(counts["crime"]) - {""} | set(incidents.filters.get("crime", []))
    return {
        "persons": list(persons.values_list("pk", "full_name")[:CHOICES_SHOWN]),
        "units": list(units.values_list("pk", "name")[:CHOICES_SHOWN]),
        "crimes": sorted((code, _(titles[code].title)) for code in codes if code in titles),
        "statuses": IncidentStatus.choices,
    }
