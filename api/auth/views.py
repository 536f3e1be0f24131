"""Signing in: API tokens, one per device, and the TOTP second factor."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext, gettext_noop
from django_otp import login as otp_login
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth.serializers import (
    DeviceTokenSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    TotpBeginSerializer,
    TotpCodeSerializer,
    TotpCurrentCodeSerializer,
    TotpSetupSerializer,
)
from api.filters import KnownParametersOnly
from evidence.models import ApiToken
from evidence.request_context import client_address
from evidence.selectors.accounts import token_list
from evidence.services.accounts import (
    signout_everywhere,
    token_issue,
    token_revoke,
    totp_begin,
    totp_confirm,
    totp_remove,
)
from evidence.services.signin import IssuedPasswordExpired, LoginRefused, LoginThrottled, signin_verify

# One answer for a wrong username, a wrong password and a missing or wrong code: telling them apart
# would tell a guesser that the password was right.
LOGIN_REFUSED = gettext_noop(
    "Unable to log in with the given username, password and one-time code (otp, if the account uses one)."
)


class TokenView(APIView):
    """Exchange a username and password (and the one-time code, for an account with a second factor)
    for a token for one device (POST), or sign out the token you call with (DELETE). Logins are limited
    per client address, and repeated failures lock the account for a while."""

    def get_authenticators(self):
        # Logging in must not fail because an old, revoked token is still in the headers.
        is_login = getattr(self.request, "method", None) == "POST"
        return [] if is_login else super().get_authenticators()

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        credentials = TokenRequestSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        data = credentials.validated_data
        try:
            signed_in = signin_verify(
                username=data["username"],
                password=data["password"],
                otp=data.get("otp"),
                client=client_address(request),
            )
        except LoginThrottled as limit:
            raise Throttled(wait=limit.wait, detail=limit.message) from None
        except IssuedPasswordExpired as expired:
            raise ValidationError({"password": [expired.message]}) from None
        except LoginRefused:
            raise ValidationError({"non_field_errors": [gettext(LOGIN_REFUSED)]}) from None
        token, key = token_issue(user=signed_in.user, name=data["name"], second_factor=signed_in.second_factor)
        return Response({"token": key, "id": token.pk, "name": token.name, "expires_at": token.expires_at})

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="This token revoked"),
            400: OpenApiResponse(description="The request was not made with a token"),
        },
    )
    def delete(self, request):
        if not isinstance(request.auth, ApiToken):
            detail = gettext(
                "This request carries no token to revoke; DELETE /api/v1/auth/tokens/ signs out everywhere."
            )
            raise ValidationError({"detail": detail})
        token_revoke(actor=request.user, token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenListView(generics.ListAPIView):
    """Your devices' tokens that still work (never their secrets); DELETE signs out everywhere: every token,
    this one included, and every session (the admin's, the workspace's)."""

    serializer_class = DeviceTokenSerializer
    filter_backends = [KnownParametersOnly]

    def get_queryset(self):
        return token_list(user=self.request.user)

    @extend_schema(
        operation_id="auth_tokens_destroy_all",
        request=None,
        responses={204: OpenApiResponse(description="Every token revoked, every session ended")},
    )
    def delete(self, request):
        signout_everywhere(actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenDetailView(APIView):
    """Revoke one of your devices' tokens (another user's answers 404)."""

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Token revoked")})
    def delete(self, request, pk: int):
        token = get_object_or_404(token_list(user=request.user), pk=pk)
        token_revoke(actor=request.user, token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TotpView(APIView):
    """Start using a TOTP second factor (POST, with your `current_password`: a new secret, to be confirmed;
    replacing one you have needs a current `code` from it too), or stop (DELETE, with a current `code`).
    Passwords and codes are checked as a login checks them: the same limits, and a wrong one counts
    towards the account's lockout."""

    @extend_schema(request=TotpBeginSerializer, responses={201: TotpSetupSerializer})
    def post(self, request):
        given = TotpBeginSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        with throttled_as_429():
            secret, uri = totp_begin(
                user=request.user,
                current_password=data["current_password"],
                code=data.get("code"),
                client=client_address(request),
            )
        return Response({"secret": secret, "otpauth_uri": uri}, status=status.HTTP_201_CREATED)

    @extend_schema(request=TotpCurrentCodeSerializer, responses={204: OpenApiResponse(description="Second factor off")})
    def delete(self, request):
        current = TotpCurrentCodeSerializer(data=request.data)
        current.is_valid(raise_exception=True)
        with throttled_as_429():
            totp_remove(user=request.user, code=current.validated_data.get("code"), client=client_address(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TotpConfirmView(APIView):
    """Confirm the new secret with a code from the app; from then on logins need a code. Every device that
    signed in without one is signed out, the token you call with included: log in again with your code. A
    session you call from stays, as signed in with the code."""

    @extend_schema(request=TotpCodeSerializer, responses={200: OpenApiResponse(description="Second factor on")})
    def post(self, request):
        code = TotpCodeSerializer(data=request.data)
        code.is_valid(raise_exception=True)
        session = None if isinstance(request.auth, ApiToken) else request.session.session_key
        with throttled_as_429():
            device = totp_confirm(
                user=request.user,
                code=code.validated_data["code"],
                client=client_address(request),
                keep_session=session,
            )
        if session is not None:
            otp_login(request, device)
        detail = gettext(
            "From now on, logging in needs a one-time code. Your devices that signed in without one were signed "
            "out (this token too, if you called with one): log in again with your code."
        )
        return Response({"detail": detail})


@contextmanager
def throttled_as_429() -> Iterator[None]:
    try:
        yield
    except LoginThrottled as limit:
        raise Throttled(wait=limit.wait, detail=limit.message) from None
