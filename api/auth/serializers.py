"""Requests and answers of signing in."""

from rest_framework import serializers

from api.fields import StrictSerializerMixin


class TokenRequestSerializer(StrictSerializerMixin, serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(required=False, max_length=10, help_text="The one-time code, once TOTP is enabled.")


class TotpSetupSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="Base32 secret for an authenticator app.")
    otpauth_uri = serializers.CharField(help_text="The same, as a URI for a QR code.")


class TotpCodeSerializer(StrictSerializerMixin, serializers.Serializer):
    code = serializers.CharField(max_length=10)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
