"""Cases, memberships and audit entries as the API shows them."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from api.fields import StrictSerializerMixin
from evidence.models import (
    AuditEntry,
    Case,
    CaseMembership,
    Role,
)

UserModel = get_user_model()


class CaseSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    my_role = serializers.CharField(read_only=True, allow_null=True, help_text="Your role in the case.")

    class Meta:
        model = Case
        fields = [
            "id", "public_id", "reference", "title", "description", "time_zone", "created_at", "created_by", "my_role",
        ]  # fmt: skip
        read_only_fields = ["public_id", "created_at"]
        extra_kwargs = {
            "time_zone": {
                "help_text": "An IANA time zone (default Europe/Kyiv): a bare date given for the case, such as "
                "2022-03-04, means that day there."
            }
        }

    def validate_reference(self, value: str) -> str:
        if self.instance is not None and value != self.instance.reference:
            raise serializers.ValidationError("A case's reference cannot be changed.")
        return value


class CaseMembershipSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=UserModel.objects.filter(is_active=True))
    username = serializers.CharField(source="user.username", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices)
    added_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = CaseMembership
        fields = ["user", "username", "role", "added_at", "added_by"]
        read_only_fields = ["added_at"]
        validators = []  # A second POST for a member changes the role (see case_member_add).


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    case = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "case", "action", "target", "details", "source_ip"]
        read_only_fields = fields
