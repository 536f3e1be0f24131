"""Accounts, for staff: list, create (with a one-time password), deactivate, reactivate, issue a new
one-time password. And, for everyone, changing one's own password."""

from django.contrib.auth import update_session_auth_hash
from django.utils.translation import gettext, gettext_noop
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.users.filters import UserFilterSet
from api.users.serializers import (
    PasswordChangedSerializer,
    PasswordChangeSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserWithPasswordSerializer,
)
from evidence.models import ApiToken
from evidence.request_context import client_address
from evidence.selectors.accounts import user_list
from evidence.services.accounts import (
    password_change,
    user_activate,
    user_create,
    user_deactivate,
    user_password_issue,
)
from evidence.services.signin import LoginRefused, LoginThrottled, signin_verify

NOT_THE_CURRENT_ONE = gettext_noop(
    "That is not your current password (or, if your account uses one, the one-time code otp)."
)
# The answers that carry a one-time password must not be kept by a browser or a proxy.
NO_STORE = {"Cache-Control": "no-store"}


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Accounts, for staff (api.access): search with `q` (part of a username or e-mail address) and
    `is_active`. Accounts are never deleted, only deactivated: custody entries and the audit log name them."""

    serializer_class = UserSerializer
    filterset_class = UserFilterSet
    ordering_fields = ["username", "date_joined", "last_login"]

    def get_queryset(self):
        return user_list()

    @extend_schema(request=UserCreateSerializer, responses={201: UserWithPasswordSerializer})
    def create(self, request):
        """Create an account (never staff). The answer carries its one-time password, this once: give it
        to its owner, who signs in with it and must choose their own within SLID_ONE_TIME_PASSWORD_HOURS."""
        serializer = UserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, password = user_create(actor=request.user, **serializer.validated_data)
        return self._with_password(user, password, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: UserSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def deactivate(self, request, pk=None):
        """The account can no longer sign in and its tokens stop working; it is kept, with its memberships."""
        user = user_deactivate(actor=request.user, user=self.get_object())
        return Response(UserSerializer(self.get_queryset().get(pk=user.pk)).data)

    @extend_schema(request=None, responses={200: UserSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def activate(self, request, pk=None):
        """Undo a deactivation: the account signs in again with its password."""
        user = user_activate(actor=request.user, user=self.get_object())
        return Response(UserSerializer(self.get_queryset().get(pk=user.pk)).data)

    @extend_schema(request=None, responses={200: UserWithPasswordSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def password(self, request, pk=None):
        """A new one-time password for an account whose owner lost theirs: every device of the account is
        signed out, and its owner must choose their own password again."""
        user = self.get_object()
        password, _ = user_password_issue(actor=request.user, user=user)
        return self._with_password(user, password, status.HTTP_200_OK)

    def _with_password(self, user, password: str, code: int) -> Response:
        user = self.get_queryset().get(pk=user.pk)
        user.one_time_password = password
        return Response(UserWithPasswordSerializer(user).data, status=code, headers=NO_STORE)


class PasswordChangeView(APIView):
    """Change your own password: the current one (and your one-time code, if your account has a second
    factor) and a new one that Django's password rules accept. Your other devices are signed out; the
    token (or session) you call with keeps working. An account whose password was issued by staff can do
    nothing else until it has done this. Checking the current password counts towards the same limits as
    logging in."""

    serializer_class = PasswordChangeSerializer

    @extend_schema(request=PasswordChangeSerializer, responses={200: PasswordChangedSerializer})
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            signin_verify(
                username=request.user.get_username(),
                password=data["current_password"],
                otp=data.get("otp"),
                client=client_address(request),
            )
        except LoginThrottled as limit:
            raise Throttled(wait=limit.wait, detail=limit.message) from None
        except LoginRefused:
            raise ValidationError({"current_password": [gettext(NOT_THE_CURRENT_ONE)]}) from None
        token = request.auth if isinstance(request.auth, ApiToken) else None
        signed_out = password_change(actor=request.user, new_password=data["new_password"], keep=token)
        if token is None:  # a session: this one stays signed in, the others end with the old password
            request.user.refresh_from_db(fields=["password"])
            update_session_auth_hash(request, request.user)
        detail = gettext("Your password has been changed; your other devices were signed out.")
        return Response({"detail": detail, "signed_out": signed_out})
