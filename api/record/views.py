"""The record: incidents (GeoJSON), units, persons, allegations, and the shared vocabularies
(admin areas, Rome Statute crimes)."""

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework_gis.pagination import GeoJsonPagination

from api.case_scoped import CaseScopedViewSet
from api.filters import FilterBackend
from api.pagination import MAX_PAGE_SIZE, PAGE_SIZE
from api.record.filters import (
    AdminAreaFilterSet,
    AllegationFilterSet,
    IncidentFilterSet,
    PersonFilterSet,
    UnitFilterSet,
)
from api.record.serializers import (
    AdminAreaFeatureSerializer,
    AdminAreaSerializer,
    AllegationSerializer,
    CrimeSerializer,
    IncidentRevisionSerializer,
    IncidentSerializer,
    PersonSerializer,
    UnitDetailSerializer,
    UnitSerializer,
)
from evidence.crimes import crimes
from evidence.selectors.record import allegation_list, incident_list, incident_revision_list, person_list, unit_list
from evidence.services.record import (
    allegation_create,
    allegation_update,
    incident_create,
    incident_update,
    person_create,
    person_update,
    unit_create,
    unit_update,
)
from geo.models import AdminArea


class IncidentPagination(GeoJsonPagination):
    page_size = PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE  # ?page_size= as on every other list

    def get_paginated_response_schema(self, schema):
        # The list serializer is already documented as a FeatureCollection; a page is that, plus counts.
        # (drf-gis's own version nests the collection in "features" and still requires "results".)
        link = {"type": "string", "format": "uri", "nullable": True}
        counts = {
            "type": "object",
            "required": ["count"],
            "properties": {"count": {"type": "integer"}, "next": link, "previous": link},
        }
        return {"allOf": [schema, counts]}


class IncidentViewSet(CaseScopedViewSet):
    """Incidents as GeoJSON: a FeatureCollection to list, a Feature to read or create.

    Filters combine: bbox, near + radius_m (metres), admin_area, occurred_after / occurred_before (periods
    overlapping the window), crime (repeatable: any of), suspect, unit (+ include_subordinates), status, case, q.
    """

    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    filter_backends = [FilterBackend]  # the FilterSet orders too (by distance needs `near`)
    pagination_class = IncidentPagination
    selector = staticmethod(incident_list)
    create_service = staticmethod(incident_create)
    update_service = staticmethod(incident_update)
    update_target = "incident"

    def get_queryset(self):
        incidents = super().get_queryset()
        if not self.detail:
            return incidents
        # One incident: its case comes with it (the permission check reads it); the revisions show nothing else.
        incidents = incidents.select_related("case")
        return incidents.prefetch_related(None) if self.action == "revisions" else incidents

    @extend_schema(responses=IncidentRevisionSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def revisions(self, request, pk=None):
        """Every revision of the incident: when, by whom, and which fields changed from what to what."""
        revisions = incident_revision_list(incident=self.get_object())
        return Response(IncidentRevisionSerializer(revisions, many=True).data)


class UnitViewSet(CaseScopedViewSet):
    """Units and their command hierarchy; a unit's page shows its chain up and its subordinates down."""

    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet
    selector = staticmethod(unit_list)
    create_service = staticmethod(unit_create)
    update_service = staticmethod(unit_update)
    update_target = "unit"
    ordering_fields = ["name", "designation"]

    def get_serializer_class(self):
        return UnitDetailSerializer if self.action == "retrieve" else UnitSerializer


class PersonViewSet(CaseScopedViewSet):
    """Suspects. `q` finds a name in any script ("Omurbekov" finds "Омурбеков") despite small misspellings."""

    serializer_class = PersonSerializer
    filterset_class = PersonFilterSet
    selector = staticmethod(person_list)
    create_service = staticmethod(person_create)
    update_service = staticmethod(person_update)
    update_target = "person"
    ordering_fields = ["full_name"]


class AllegationViewSet(CaseScopedViewSet):
    """Who is alleged to have done what in which incident. The case is the incident's."""

    serializer_class = AllegationSerializer
    filterset_class = AllegationFilterSet
    selector = staticmethod(allegation_list)
    create_service = staticmethod(allegation_create)
    update_service = staticmethod(allegation_update)
    update_target = "allegation"

    def case_for_create(self, validated_data: dict):
        return validated_data["incident"].case


class AdminAreaViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrative areas (shared by all cases). The list leaves boundaries out; one area is a GeoJSON Feature."""

    queryset = AdminArea.objects.all()
    filterset_class = AdminAreaFilterSet

    def get_queryset(self):
        # A boundary can be megabytes; only one area's page shows it.
        return self.queryset if self.action == "retrieve" else self.queryset.defer("boundary")

    def get_serializer_class(self):
        return AdminAreaFeatureSerializer if self.action == "retrieve" else AdminAreaSerializer


class CrimeViewSet(viewsets.GenericViewSet):
    """The crimes of Rome Statute articles 6, 7 and 8, as the Elements of Crimes number them."""

    lookup_value_regex = r"[^/]+"
    serializer_class = CrimeSerializer
    filter_backends: list = []

    @extend_schema(parameters=[OpenApiParameter("article", str, enum=["6", "7", "8"])])
    def list(self, request):
        article = request.query_params.get("article")
        rows = [crime for crime in crimes().values() if article is None or crime.article == article]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(CrimeSerializer(page, many=True).data)

    @extend_schema(responses=CrimeSerializer)
    def retrieve(self, request, pk=None):
        crime = crimes().get(pk)
        if crime is None:
            raise NotFound(gettext("No crime with code %(code)s.") % {"code": repr(pk)})
        return Response(CrimeSerializer(crime).data)
