"""The record: incidents (GeoJSON), units, persons, allegations, and the shared vocabularies
(admin areas, Rome Statute crimes)."""

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework_gis.pagination import GeoJsonPagination

from api.assessments.views import ReviewActionsMixin
from api.case_scoped import CaseScopedViewSet
from api.filters import ALWAYS_KNOWN, FilterBackend, KnownParametersOnly, known_parameters, refuse_unknown_parameters
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
    NationalOffenceSerializer,
    PersonAssignmentSerializer,
    PersonSerializer,
    RevisionSerializer,
    UnitDetailSerializer,
    UnitSerializer,
)
from evidence.crimes import crimes
from evidence.national_offences import national_offences
from evidence.selectors.record import (
    allegation_list,
    incident_list,
    incident_revision_list,
    person_assignment_list,
    person_list,
    revision_list,
    unit_list,
)
from evidence.services.record import (
    allegation_create,
    allegation_update,
    incident_create,
    incident_update,
    person_assignment_create,
    person_assignment_update,
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


class IncidentViewSet(ReviewActionsMixin, CaseScopedViewSet):
    """Incidents as GeoJSON: a FeatureCollection to list, a Feature to read or create.

    Filters combine: bbox, near + radius_m (metres), admin_area, occurred_after / occurred_before (periods
    overlapping the window), crime (repeatable: any of), suspect, unit (+ include_subordinates), status, case, q.
    """

    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    filter_backends = [KnownParametersOnly, FilterBackend]  # the FilterSet orders too (by distance needs `near`)
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


class RevisionsMixin:
    """``revisions/``: every revision of the object, as incidents have (pghistory events, evidence.selectors.record)."""

    @extend_schema(responses=RevisionSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def revisions(self, request, pk=None):
        """Every revision: when, by whom, and which fields changed from what to what."""
        return Response(RevisionSerializer(revision_list(self.get_object().events.all()), many=True).data)


class UnitViewSet(RevisionsMixin, CaseScopedViewSet):
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


class PersonViewSet(RevisionsMixin, CaseScopedViewSet):
    """Suspects. `q` finds a name in any script ("Omurbekov" finds "Омурбеков") despite small misspellings.
    `assignments/`: what the person was (rank, position, unit) from one day to another."""

    serializer_class = PersonSerializer
    filterset_class = PersonFilterSet
    selector = staticmethod(person_list)
    create_service = staticmethod(person_create)
    update_service = staticmethod(person_update)
    update_target = "person"
    ordering_fields = ["full_name"]

    def get_serializer_class(self):
        return PersonAssignmentSerializer if self.action in ("assignments", "assignment") else PersonSerializer

    @extend_schema(methods=["GET"], responses=PersonAssignmentSerializer(many=True), filters=False, request=None)
    @extend_schema(methods=["POST"], request=PersonAssignmentSerializer, responses={201: PersonAssignmentSerializer})
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def assignments(self, request, pk=None):
        """The person's dated assignments, earliest first; POST records one (rank, position, unit, valid_from,
        valid_to, basis). Packages state the one that held on each incident's day."""
        person = self.get_object()
        if request.method == "GET":
            return Response(PersonAssignmentSerializer(person_assignment_list(person=person), many=True).data)
        given = PersonAssignmentSerializer(data=request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        assignment = person_assignment_create(actor=request.user, person=person, **given.validated_data)
        return Response(PersonAssignmentSerializer(assignment).data, status=201)

    @extend_schema(request=PersonAssignmentSerializer, responses=PersonAssignmentSerializer, filters=False)
    @action(
        detail=True, methods=["patch"], url_path=r"assignments/(?P<assignment_id>\d+)", url_name="assignment",
        filterset_class=None, pagination_class=None,
    )  # fmt: skip
    def assignment(self, request, pk=None, assignment_id=None):
        """Corrects one dated assignment (revisioned: `assignments/{id}/revisions/`)."""
        person = self.get_object()
        assignment = person_assignment_list(person=person).filter(pk=assignment_id).first()
        if assignment is None:
            raise NotFound(gettext("No assignment %(id)s of this person.") % {"id": assignment_id})
        given = PersonAssignmentSerializer(
            assignment, data=request.data, partial=True, context=self.get_serializer_context()
        )
        given.is_valid(raise_exception=True)
        assignment = person_assignment_update(actor=request.user, assignment=assignment, **given.validated_data)
        return Response(PersonAssignmentSerializer(assignment).data)

    @extend_schema(responses=RevisionSerializer(many=True), filters=False)
    @action(
        detail=True, methods=["get"], url_path=r"assignments/(?P<assignment_id>\d+)/revisions",
        url_name="assignment-revisions", filterset_class=None, pagination_class=None,
    )  # fmt: skip
    def assignment_revisions(self, request, pk=None, assignment_id=None):
        """Every revision of one dated assignment."""
        assignment = person_assignment_list(person=self.get_object()).filter(pk=assignment_id).first()
        if assignment is None:
            raise NotFound(gettext("No assignment %(id)s of this person.") % {"id": assignment_id})
        return Response(RevisionSerializer(revision_list(assignment.events.all()), many=True).data)


class AllegationViewSet(RevisionsMixin, CaseScopedViewSet):
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

    @extend_schema(
        parameters=[
            OpenApiParameter("article", str, enum=["6", "7", "8"]),
            OpenApiParameter("q", str, description="words in the code or the title, in English or as translated"),
        ]
    )
    def list(self, request):
        refuse_unknown_parameters(request, {*ALWAYS_KNOWN, "article", "q", *known_parameters(self)})
        article = request.query_params.get("article")
        rows = [crime for crime in crimes().values() if article is None or crime.article == article]
        if words := request.query_params.get("q", "").casefold().split():
            rows = [crime for crime in rows if _crime_matches(crime, words)]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(CrimeSerializer(page, many=True).data)

    @extend_schema(responses=CrimeSerializer)
    def retrieve(self, request, pk=None):
        crime = crimes().get(pk)
        if crime is None:
            raise NotFound(gettext("No crime with code %(code)s.") % {"code": repr(pk)})
        return Response(CrimeSerializer(crime).data)


class NationalOffenceViewSet(viewsets.GenericViewSet):
    """The articles of the Criminal Code of Ukraine an incident may name in `national_offences`, beside the
    Rome Statute's crimes: Section XX, crimes against peace, the security of mankind and the international
    legal order."""

    lookup_value_regex = r"[^/]+"
    serializer_class = NationalOffenceSerializer
    filter_backends: list = []

    @extend_schema(parameters=[OpenApiParameter("article", str, description='e.g. "438"')])
    def list(self, request):
        refuse_unknown_parameters(request, {*ALWAYS_KNOWN, "article", *known_parameters(self)})
        article = request.query_params.get("article")
        rows = [row for row in national_offences().values() if article is None or row.article == article]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(NationalOffenceSerializer(page, many=True).data)

    @extend_schema(responses=NationalOffenceSerializer)
    def retrieve(self, request, pk=None):
        offence = national_offences().get(pk)
        if offence is None:
            message = gettext("No article of the Criminal Code of Ukraine with code %(code)s.") % {"code": repr(pk)}
            raise NotFound(message)
        return Response(NationalOffenceSerializer(offence).data)


def _crime_matches(crime, words: list[str]) -> bool:
    """Every word is in the code or in the title, in English or in the language asked for."""
    text = f"{crime.code} {crime.title} {gettext(crime.title)}".casefold()
    return all(word in text for word in words)
