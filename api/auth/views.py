"""Signing in: API tokens and the TOTP second factor."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from api.auth import login
from api.auth.authentication import token_expires_at
from api.auth.serializers import TokenRequestSerializer, TokenSerializer, TotpCodeSerializer, TotpSetupSerializer
from evidence.services.accounts import (
    login_record_failure,
    token_issue,
    token_revoke,
    totp_begin,
    totp_confirm,
    totp_login_code_ok,
    totp_remove,
)


class TokenView(APIView):
    """Exchange a username and password for a new API token (POST; the old one is revoked), or revoke
    your token (DELETE). Logins are throttled, and repeated failures lock the account for a while."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def get_authenticators(self):
        # Logging in must not fail because an old, revoked token is still in the headers.
        is_login = getattr(self.request, "method", None) == "POST"
        return [] if is_login else super().get_authenticators()

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        credentials = TokenRequestSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        username = credentials.validated_data["username"]
        locked = login.locked_for_seconds(username)
        if locked:
            raise Throttled(wait=locked, detail="Too many failed logins for this account; try again later.")
        otp = credentials.validated_data.pop("otp", None)
        user = authenticate(request, **credentials.validated_data)
        if user is not None and not totp_login_code_ok(user=user, code=otp):
            login.record_failure(username)
            login_record_failure(username=username, user=user)
            message = "The one-time code does not match." if otp else "This account needs a one-time code (otp)."
            raise ValidationError({"otp": [message]})
        if user is None:
            login.record_failure(username)
            login_record_failure(username=username, user=None)
            raise ValidationError({"non_field_errors": ["Unable to log in with the given username and password."]})
        login.record_success(username)
        token = token_issue(user=user)
        return Response({"token": token.key, "expires_at": token_expires_at(token)})

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Token revoked")})
    def delete(self, request):
        token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TotpView(APIView):
    """Staff: start using a TOTP second factor (POST: a new secret, to be confirmed), or stop (DELETE)."""

    @extend_schema(request=None, responses={201: TotpSetupSerializer})
    def post(self, request):
        secret, uri = totp_begin(user=request.user)
        return Response({"secret": secret, "otpauth_uri": uri}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Second factor removed")})
    def delete(self, request):
        totp_remove(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TotpConfirmView(APIView):
    """Staff: confirm the new secret with a code from the app; from then on logins need a code."""

    @extend_schema(request=TotpCodeSerializer, responses={200: OpenApiResponse(description="Second factor on")})
    def post(self, request):
        code = TotpCodeSerializer(data=request.data)
        code.is_valid(raise_exception=True)
        if not totp_confirm(user=request.user, code=code.validated_data["code"]):
            raise ValidationError({"code": ["That code does not match; check the app's clock and try again."]})
        return Response({"detail": "From now on, logging in needs a one-time code."})
