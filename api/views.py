from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from api.filters import CaseFilterSet
from api.permissions import CaseRolePermission
from api.serializers import CaseMembershipSerializer, CaseSerializer, TokenRequestSerializer, TokenSerializer
from evidence import selectors, services
from evidence.access import Action
from evidence.models import CaseMembership


class TokenView(APIView):
    """Exchange a username and password for an API token (POST), or revoke your token (DELETE)."""

    def _is_login(self) -> bool:
        return getattr(self.request, "method", None) == "POST"

    def get_permissions(self):
        return [permissions.AllowAny()] if self._is_login() else [permissions.IsAuthenticated()]

    def get_authenticators(self):
        # Logging in must not fail because an old, revoked token is still in the headers.
        return [] if self._is_login() else super().get_authenticators()

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        credentials = TokenRequestSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        user = authenticate(request, **credentials.validated_data)
        if user is None:
            raise ValidationError({"non_field_errors": ["Unable to log in with the given username and password."]})
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Token revoked")})
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class IsStaff(permissions.BasePermission):
    message = "Only staff create cases."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_staff)


class CaseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Cases, the unit of need-to-know. Staff create them; a case's leads edit it and manage its members."""

    serializer_class = CaseSerializer
    filterset_class = CaseFilterSet
    permission_classes = [permissions.IsAuthenticated, CaseRolePermission]
    case_actions = {
        "update": Action.MANAGE_CASE,
        "partial_update": Action.MANAGE_CASE,
        "members": Action.READ,
        "member": Action.MANAGE_CASE,
    }
    ordering_fields = ["reference", "created_at"]

    def get_queryset(self):
        return selectors.case_list(user=self.request.user)

    def get_permissions(self):
        if self.action == "create":
            return [permissions.IsAuthenticated(), IsStaff()]
        return super().get_permissions()

    def perform_create(self, serializer):
        case = services.case_create(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=case.pk)

    def perform_update(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "reference"}
        services.case_update(actor=self.request.user, case=serializer.instance, **data)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    @extend_schema(methods=["GET"], responses=CaseMembershipSerializer(many=True))
    @extend_schema(methods=["POST"], request=CaseMembershipSerializer, responses=CaseMembershipSerializer)
    @action(detail=True, methods=["get", "post"], serializer_class=CaseMembershipSerializer, filterset_class=None)
    def members(self, request, pk=None):
        """List the case's members; a lead adds a member, or changes a member's role, with POST."""
        case = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.case_member_list(case=case))
            return self.get_paginated_response(CaseMembershipSerializer(page, many=True).data)
        self._check_may_manage(case)
        serializer = CaseMembershipSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership, created = services.case_member_add(actor=request.user, case=case, **serializer.validated_data)
        return Response(
            CaseMembershipSerializer(membership).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Member removed")})
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<user_id>\d+)", filterset_class=None)
    def member(self, request, pk=None, user_id=None):
        """A lead removes a member from the case."""
        case = self.get_object()
        membership = get_object_or_404(CaseMembership.objects.select_related("user"), case=case, user_id=user_id)
        services.case_member_remove(actor=request.user, case=case, user=membership.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _check_may_manage(self, case) -> None:
        if not selectors.user_may(user=self.request.user, case=case, action=Action.MANAGE_CASE):
            self.permission_denied(self.request, message="Only a lead of this case manages its members.")
