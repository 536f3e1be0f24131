"""Assessments, review transitions (on incidents, evidence items and assessments), the review queue, an item's
review checklist and the analysis chart (CSV and XLSX too)."""

import re

from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import renderers, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.assessments.serializers import (
    AssessmentSerializer,
    CheckSerializer,
    QueueEntrySerializer,
    RejectSerializer,
    ReviewStateSerializer,
    SubmitSerializer,
)
from api.case_scoped import CaseScopedViewSet
from api.fields import UserCaseField
from api.filters import ALWAYS_KNOWN, refuse_unknown_parameters
from api.record.serializers import RevisionSerializer
from api.renderers import BrowsableAPIRenderer
from evidence.crimes import crimes
from evidence.models import Case, ReviewState
from evidence.package.chart import chart_csv, chart_xlsx
from evidence.selectors.analysis_chart import analysis_chart, analysis_chart_rows
from evidence.selectors.record import incident_list, person_list, revision_list
from evidence.selectors.reviews import REVIEW_TYPES, assessment_list, evidence_checklist, review_queue
from evidence.services.assessments import assessment_create, assessment_update
from evidence.services.reviews import evidence_check, review_reject, review_state, review_submit, review_verify

# A text filter longer than any crime code or element key is a mistake (or an attack), not a search.
FILTER_MAX_LENGTH = 100


def is_id(value: str) -> bool:
    """An id in a query parameter: ASCII digits only (str.isdigit also takes "²"), small enough for a bigint."""
    return re.fullmatch(r"[0-9]{1,18}", value) is not None


UserModel = get_user_model()


def _review_state(obj) -> dict:
    return {
        "id": obj.pk,
        "state": review_state(obj),
        "review_reason": obj.review_reason,
        "review_requested_of": obj.review_requested_of.get_username() if obj.review_requested_of_id else None,
        "reviewed_by": obj.reviewed_by.get_username() if obj.reviewed_by_id else None,
        "reviewed_at": obj.reviewed_at,
        "reopened_at": obj.reopened_at,
    }


class ReviewActionsMixin:
    """``submit/`` (draft or rejected → under review, optionally naming the ``reviewer``), ``verify/`` (by a legal
    member or a lead who did not make the last change) and ``reject/`` (with a ``reason``)."""

    @extend_schema(request=SubmitSerializer, responses=ReviewStateSerializer, filters=False)
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def submit(self, request, pk=None):
        """Submits it for review, optionally asking one legal member or lead (`reviewer`, an account id)."""
        obj = self.get_object()
        given = SubmitSerializer(data=request.data, case=obj.case)
        given.is_valid(raise_exception=True)
        obj = review_submit(actor=request.user, obj=obj, reviewer=given.validated_data.get("reviewer"))
        return Response(ReviewStateSerializer(_review_state(obj)).data)

    @extend_schema(request=None, responses=ReviewStateSerializer, filters=False)
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def verify(self, request, pk=None):
        """Verifies it: a legal member or a lead who did not make the last change (four-eyes rule). An evidence item
        needs every box of its checklist ticked; the verdict goes into its chain of custody."""
        obj = review_verify(actor=request.user, obj=self.get_object())
        return Response(ReviewStateSerializer(_review_state(obj)).data)

    @extend_schema(request=RejectSerializer, responses=ReviewStateSerializer, filters=False)
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def reject(self, request, pk=None):
        """Rejects it, saying why (`reason`); its authors rework it and submit it again."""
        obj = self.get_object()
        given = RejectSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        obj = review_reject(actor=request.user, obj=obj, reason=given.validated_data["reason"])
        return Response(ReviewStateSerializer(_review_state(obj)).data)


class AssessmentViewSet(ReviewActionsMixin, CaseScopedViewSet):
    """What an evidence item proves: an element of a crime in an incident (`incident`, `crime`, `element`), or an
    element of a mode of liability of a person or a unit (`person` or `unit`, `mode`, `element`), with a pinpoint
    (`page`; `time_start_s`/`time_end_s`; `region_x`, `region_y`, `region_w`, `region_h`), the relevance, the
    probative value, direct or circumstantial, inculpatory or **exculpatory**. Investigators, analysts and leads
    propose; legal members and leads verify. Filters: case, evidence, incident, person, unit, crime, mode, element,
    review_state, bearing."""

    serializer_class = AssessmentSerializer
    selector = staticmethod(assessment_list)
    create_service = staticmethod(assessment_create)
    update_service = staticmethod(assessment_update)
    update_target = "assessment"
    filter_backends: list = []
    filterset_class = None
    FILTERS = ("case", "evidence", "incident", "person", "unit", "crime", "mode", "element", "review_state", "bearing")

    def case_for_create(self, validated_data: dict):
        return validated_data["evidence"].case

    def get_queryset(self):
        assessments = super().get_queryset()
        if self.action != "list":
            return assessments
        refuse_unknown_parameters(self.request, {*ALWAYS_KNOWN, *self.FILTERS, "page", "page_size"})
        given = {name: self.request.query_params.get(name) for name in self.FILTERS}
        for name, value in given.items():
            if value is None:
                continue
            if name in ("case", "evidence", "incident", "person", "unit"):
                if not is_id(value):
                    raise ValidationError({name: [gettext("Give an id (a number).")]})
            elif "\x00" in value or len(value) > FILTER_MAX_LENGTH:
                message = gettext("Give at most %(max)s characters, without a NUL character.")
                raise ValidationError({name: [message % {"max": FILTER_MAX_LENGTH}]})
        lookups = {f"{name}_id" if name in ("case", "evidence", "incident", "person", "unit") else name: value
                   for name, value in given.items() if value is not None}  # fmt: skip
        return assessments.filter(**lookups).order_by("pk")

    @extend_schema(
        parameters=[OpenApiParameter(name, str) for name in FILTERS],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=RevisionSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def revisions(self, request, pk=None):
        """Every revision: when, by whom, and which fields changed from what to what (review states too)."""
        return Response(RevisionSerializer(revision_list(self.get_object().events.all()), many=True).data)


class ReviewQueueViewSet(viewsets.GenericViewSet):
    """The review queue: records of your cases by review state, oldest change first. `case` (id or reference,
    repeatable), `state` (draft, under_review, verified, rejected), `type` (incident, evidence, assessment;
    repeatable), `reviewer` (an account id, or `me`: what you were asked to review)."""

    serializer_class = QueueEntrySerializer
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("case", str, many=True),
            OpenApiParameter("state", str, enum=ReviewState.values),
            OpenApiParameter("type", str, enum=list(REVIEW_TYPES), many=True),
            OpenApiParameter("reviewer", str, description="an account id, or `me`"),
        ]
    )
    def list(self, request):
        params = request.query_params
        refuse_unknown_parameters(request, {*ALWAYS_KNOWN, "case", "state", "type", "reviewer", "page", "page_size"})
        case_field = UserCaseField()
        case_field.bind("case", serializers.Serializer(context={"request": request}))
        case_ids = None
        if params.getlist("case"):
            try:
                case_ids = [case_field.to_internal_value(name).pk for name in params.getlist("case")]
            except ValidationError as error:
                raise ValidationError({"case": error.detail}) from None
        state = params.get("state")
        if state is not None and state not in ReviewState.values:
            message = gettext('"%(state)s" is not a review state; use one of %(states)s.')
            raise ValidationError({"state": [message % {"state": state[:50], "states": ", ".join(ReviewState.values)}]})
        types = params.getlist("type") or list(REVIEW_TYPES)
        unknown = [kind for kind in types if kind not in REVIEW_TYPES]
        if unknown:
            message = gettext('"%(type)s" is not a type; use one of %(types)s.')
            raise ValidationError({"type": [message % {"type": unknown[0][:50], "types": ", ".join(REVIEW_TYPES)}]})
        reviewer = params.get("reviewer")
        reviewer_id = None
        if reviewer == "me":
            reviewer_id = request.user.pk
        elif reviewer is not None:
            if not is_id(reviewer):
                raise ValidationError({"reviewer": [gettext("Give an account id, or me.")]})
            reviewer_id = int(reviewer)
        entries = review_queue(user=request.user, case_ids=case_ids, state=state, types=types, reviewer_id=reviewer_id)
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(QueueEntrySerializer(page, many=True).data)


class ChartCSVRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return chart_csv(analysis_chart_rows(data))


class ChartXLSXRenderer(renderers.BaseRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return chart_xlsx(analysis_chart_rows(data))


CHART_FILES = (ChartCSVRenderer, ChartXLSXRenderer)


class AnalysisChartMixin:
    """``analysis-chart/`` on a case."""

    def options(self, request, *args, **kwargs):
        # The description of a route is JSON, whatever file its query asks the chart in.
        if isinstance(getattr(request, "accepted_renderer", None), CHART_FILES):
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = renderers.JSONRenderer.media_type
        return super().options(request, *args, **kwargs)

    def handle_exception(self, exc):
        # An error is JSON, whatever file was asked for.
        if isinstance(getattr(self.request, "accepted_renderer", None), CHART_FILES):
            self.request.accepted_renderer = renderers.JSONRenderer()
            self.request.accepted_media_type = renderers.JSONRenderer.media_type
        return super().handle_exception(exc)

    @extend_schema(
        parameters=[
            OpenApiParameter("suspect", int, description="a person of the case: their incidents and modes"),
            OpenApiParameter("crime", str, description="one crime code, e.g. 8(2)(a)(i)"),
            OpenApiParameter("incident", int, description="one incident of the case"),
            OpenApiParameter("format", str, enum=["json", "csv", "xlsx"]),
        ],
        responses={(200, "application/json"): dict, (200, "text/csv"): bytes},
        filters=False,
    )
    @action(
        detail=True, methods=["get"], url_path="analysis-chart", url_name="analysis-chart", filterset_class=None,
        pagination_class=None, renderer_classes=[renderers.JSONRenderer, BrowsableAPIRenderer, *CHART_FILES],
    )  # fmt: skip
    def analysis_chart(self, request, pk=None):
        """For every charged crime and mode of liability, every element with the assessments that go to it (ERN,
        pinpoint, relevance, probative value, verified or not; exculpatory ones first and flagged), and the
        elements no verified evidence proves (`gaps`). `?format=csv` or `?format=xlsx` for a file."""
        case: Case = self.get_object()
        refuse_unknown_parameters(request, {*ALWAYS_KNOWN, "suspect", "crime", "incident"})
        params = request.query_params
        suspect = self._of_case(params.get("suspect"), person_list, case, "suspect")
        incident = self._of_case(params.get("incident"), incident_list, case, "incident")
        crime = params.get("crime")
        if crime is not None and crime not in crimes():
            message = gettext("Unknown crime code %(code)s; see /api/v1/crimes/.") % {"code": repr(crime[:30])}
            raise ValidationError({"crime": [message]})
        chart = analysis_chart(case=case, suspect=suspect, crime=crime, incident=incident)
        response = Response(chart)
        if isinstance(request.accepted_renderer, CHART_FILES):
            name = f"analysis-chart-{case.reference}.{request.accepted_renderer.format}"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def _of_case(self, value: str | None, selector, case: Case, field: str):
        if value is None:
            return None
        found = None
        if is_id(value):
            found = selector(user=self.request.user).filter(case=case, pk=int(value)).first()
        if found is None:
            message = gettext("No %(field)s %(id)s in %(case)s.")
            raise ValidationError({field: [message % {"field": field, "id": value[:30], "case": case.reference}]})
        return found


class ChecklistMixin:
    """``checklist/`` on an evidence item."""

    @extend_schema(methods=["GET"], request=None, responses=dict, filters=False)
    @extend_schema(methods=["POST"], request=CheckSerializer, responses=dict)
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def checklist(self, request, pk=None):
        """The item's review checklist (Berkeley Protocol): each box, who ticked it and when, and the findings a
        reviewer weighs (near duplicates, provenance, distance to each incident, capture time). POST ticks or
        unticks one box (`box`, `checked`, `note`, `corroborating`: ids of the items that corroborate it)."""
        item = self.get_object()
        if request.method == "POST":
            given = CheckSerializer(data=request.data, context=self.get_serializer_context())
            given.is_valid(raise_exception=True)
            evidence_check(actor=request.user, item=item, **given.validated_data)
        return Response(evidence_checklist(item=item))
