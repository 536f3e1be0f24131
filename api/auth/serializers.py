"""Requests and answers of signing in."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from rest_framework import serializers

from api.fields import StrictSerializerMixin
from evidence.models import ApiToken
from evidence.models.accounts import DEFAULT_DEVICE_NAME

USERNAME_MAX_LENGTH = get_user_model()._meta.get_field("username").max_length
# Argon2 hashes any length, but there is no reason to make it read megabytes.
PASSWORD_MAX_LENGTH = 4096


class DeviceNameField(serializers.CharField):
    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=ApiToken._meta.get_field("name").max_length, **kwargs)

    def to_internal_value(self, data) -> str:
        name = super().to_internal_value(data)
        if not name.isprintable():
            raise serializers.ValidationError(gettext("Use letters, digits, spaces and punctuation only."))
        return name


class TokenRequestSerializer(StrictSerializerMixin, serializers.Serializer):
    username = serializers.CharField(max_length=USERNAME_MAX_LENGTH)
    password = serializers.CharField(
        style={"input_type": "password"}, trim_whitespace=False, max_length=PASSWORD_MAX_LENGTH
    )
    otp = serializers.CharField(required=False, max_length=10, help_text="The one-time code, once TOTP is enabled.")
    name = DeviceNameField(
        required=False,
        default=DEFAULT_DEVICE_NAME,
        help_text='The device this token is for, e.g. "phone" (default "default"). Signing in again with '
        "the same name replaces that device's token; other devices keep theirs.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="The secret: shown this once, stored only as a hash.")
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)


class DeviceTokenSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(help_text="Whether this request was made with this token.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "created_at", "last_used_at", "expires_at", "current"]
        read_only_fields = fields

    def get_current(self, token: ApiToken) -> bool:
        used = getattr(self.context.get("request"), "auth", None)
        return isinstance(used, ApiToken) and used.pk == token.pk


class TotpSetupSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="Base32 secret for an authenticator app.")
    otpauth_uri = serializers.CharField(help_text="The same, as a URI for a QR code.")


class TotpCodeSerializer(StrictSerializerMixin, serializers.Serializer):
    code = serializers.CharField(max_length=10)


class TotpCurrentCodeSerializer(StrictSerializerMixin, serializers.Serializer):
    code = serializers.CharField(
        required=False, max_length=10, help_text="A current code from the second factor you have, if you have one."
    )


class TotpBeginSerializer(TotpCurrentCodeSerializer):
    current_password = serializers.CharField(
        style={"input_type": "password"},
        trim_whitespace=False,
        max_length=PASSWORD_MAX_LENGTH,
        help_text="Your password: a token alone does not put an authenticator on the account.",
    )
