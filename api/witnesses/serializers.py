"""Witnesses and victims as the API shows them, and their identity fields."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from api.fields import StrictSerializerMixin, UserCaseField
from evidence.models import (
    ProtectedPerson,
)

UserModel = get_user_model()


class ProtectedPersonSerializer(serializers.ModelSerializer):
    """What everyone in the case sees: the pseudonym, never the identity."""

    class Meta:
        model = ProtectedPerson
        fields = ["id", "public_id", "case", "pseudonym", "readers", "created_at"]
        read_only_fields = fields


class IdentityFieldsMixin(serializers.Serializer):
    full_name = serializers.CharField(max_length=300)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    contact = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    address = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    protective_measures = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    consent = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ProtectedPersonCreateSerializer(StrictSerializerMixin, IdentityFieldsMixin):
    case = UserCaseField()
    readers = serializers.PrimaryKeyRelatedField(
        queryset=UserModel.objects.filter(is_active=True), many=True, required=False,
        help_text="Members (besides leads) who may reveal this identity.",
    )  # fmt: skip


class ProtectedPersonUpdateSerializer(ProtectedPersonCreateSerializer):
    case = None
    full_name = serializers.CharField(max_length=300, required=False)


class IdentitySerializer(IdentityFieldsMixin):
    pseudonym = serializers.CharField()
