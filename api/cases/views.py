"""Cases, their members and their audit log."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from api.assessments.views import AnalysisChartMixin
from api.cases.filters import AuditEntryFilterSet, CaseFilterSet
from api.cases.serializers import (
    AuditEntrySerializer,
    CaseMemberAddSerializer,
    CaseMembershipSerializer,
    CaseSerializer,
)
from evidence.models import CaseMembership
from evidence.selectors.audit import audit_entry_list, audit_entry_list_visible
from evidence.selectors.cases import case_list, case_member_list
from evidence.services.cases import (
    MemberLookupThrottled,
    case_create,
    case_member_add_by,
    case_member_remove,
    case_update,
)


class CaseViewSet(
    AnalysisChartMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Cases, the unit of need-to-know. Staff create them; a case's leads edit it and manage its members."""

    serializer_class = CaseSerializer
    filterset_class = CaseFilterSet
    ordering_fields = ["reference", "created_at"]

    def get_queryset(self):
        return case_list(user=self.request.user)

    def perform_create(self, serializer):
        case = case_create(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=case.pk)

    def perform_update(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "reference"}
        case_update(actor=self.request.user, case=serializer.instance, **data)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    @extend_schema(methods=["GET"], responses=CaseMembershipSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=CaseMemberAddSerializer,
        responses={200: CaseMembershipSerializer, 201: CaseMembershipSerializer},
    )
    @action(detail=True, methods=["get", "post"], serializer_class=CaseMemberAddSerializer, filterset_class=None)
    def members(self, request, pk=None):
        """List the case's members; a lead adds a member, or changes a member's role, with POST, naming the
        colleague by `username` (exact) or `email` (in any case); staff may also use `user` (an id). An
        account that does not exist and one that is deactivated get the same answer, and too many of those
        answer 429 for a while."""
        case = self.get_object()  # the table's rule: read to list, manage the case to add
        if request.method == "GET":
            page = self.paginate_queryset(case_member_list(case=case))
            return self.get_paginated_response(CaseMembershipSerializer(page, many=True).data)
        serializer = CaseMemberAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            membership, created = case_member_add_by(
                actor=request.user,
                case=case,
                role=data["role"],
                user_id=data.get("user"),
                username=data.get("username"),
                email=data.get("email"),
            )
        except MemberLookupThrottled as limit:
            raise Throttled(wait=limit.wait, detail=limit.message) from None
        return Response(
            CaseMembershipSerializer(membership).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(responses=AuditEntrySerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=AuditEntrySerializer, filterset_class=None)
    def audit(self, request, pk=None):
        """The case's audit log, newest first: who did what, when and from where (leads only)."""
        page = self.paginate_queryset(audit_entry_list(case=self.get_object()))
        return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Member removed")})
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<user_id>\d+)", filterset_class=None)
    def member(self, request, pk=None, user_id=None):
        """A lead removes a member from the case."""
        case = self.get_object()
        membership = get_object_or_404(CaseMembership.objects.select_related("user"), case=case, user_id=user_id)
        case_member_remove(actor=request.user, case=case, user=membership.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The audit log across cases, for staff; filter with `case` (a reference) and `action`. Superusers
    read all of it; other staff the entries of the cases they lead, and their own entries of no case."""

    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilterSet

    def get_queryset(self):
        return audit_entry_list_visible(user=self.request.user)
