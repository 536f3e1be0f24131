"""Accounts as staff see and create them, and one's own password change."""

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import StrictSerializerMixin
from evidence.selectors.accounts import issued_password

UserModel = get_user_model()
# Argon2 hashes any length, but there is no reason to make it read megabytes (as the login's).
PASSWORD_MAX_LENGTH = 4096


def _max_length(field: str) -> int:
    return UserModel._meta.get_field(field).max_length


class UserSerializer(serializers.ModelSerializer):
    # Not typed as an address: accounts made in the admin, or before this API, may have none.
    email = serializers.CharField(read_only=True, help_text="The e-mail address; may be empty.")
    must_change_password = serializers.SerializerMethodField(
        help_text="The password was issued by staff and its owner has not replaced it yet."
    )
    password_expires_at = serializers.SerializerMethodField(
        help_text="When the issued password stops working, if it has not been replaced."
    )

    class Meta:
        model = UserModel
        fields = [
            "id", "username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser",
            "date_joined", "last_login", "must_change_password", "password_expires_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_must_change_password(self, user) -> bool:
        return issued_password(user=user) is not None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_password_expires_at(self, user) -> str | None:
        issued = issued_password(user=user)
        return None if issued is None else serializers.DateTimeField().to_representation(issued.expires_at)


class NormalisedUsernameField(serializers.CharField):
    """A username as it will be stored, normalised (NFKC, as Django's normalize_username) before its length and
    characters are checked: normalising can lengthen it 18 times over ("\ufdfa") and put spaces in it."""

    def to_internal_value(self, data) -> str:
        return UserModel.normalize_username(super().to_internal_value(data))


class UserCreateSerializer(StrictSerializerMixin, serializers.Serializer):
    username = NormalisedUsernameField(
        max_length=_max_length("username"),
        validators=[UnicodeUsernameValidator()],
        help_text="Letters, digits and @ . + - _ only; unique in any case.",
    )
    email = serializers.EmailField(
        max_length=_max_length("email"), help_text="Unique in any case: leads add members by it."
    )
    first_name = serializers.CharField(max_length=_max_length("first_name"), required=False, default="")
    last_name = serializers.CharField(max_length=_max_length("last_name"), required=False, default="")


class UserWithPasswordSerializer(UserSerializer):
    one_time_password = serializers.CharField(
        read_only=True,
        help_text="Shown this once and stored only as a hash. Its owner signs in with it and must then choose "
        "their own (POST /api/v1/auth/password/) before anything else works.",
    )

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "one_time_password"]
        read_only_fields = fields


class PasswordChangeSerializer(StrictSerializerMixin, serializers.Serializer):
    current_password = serializers.CharField(
        style={"input_type": "password"}, trim_whitespace=False, max_length=PASSWORD_MAX_LENGTH
    )
    new_password = serializers.CharField(
        style={"input_type": "password"},
        trim_whitespace=False,
        max_length=PASSWORD_MAX_LENGTH,
        help_text="At least 12 characters, not common, not all digits, not like your username or e-mail.",
    )
    otp = serializers.CharField(
        required=False, max_length=10, help_text="A one-time code, if your account has a second factor."
    )


class PasswordChangedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    signed_out = serializers.IntegerField(help_text="How many of your other devices were signed out.")
