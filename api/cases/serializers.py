"""Cases, memberships and audit entries as the API shows them."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from rest_framework import serializers

from api.fields import StrictSerializerMixin
from evidence.models import (
    AuditEntry,
    Case,
    CaseMembership,
    Role,
)

UserModel = get_user_model()
USERNAME_MAX_LENGTH = UserModel._meta.get_field("username").max_length
EMAIL_MAX_LENGTH = UserModel._meta.get_field("email").max_length


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
            raise serializers.ValidationError(gettext("A case's reference cannot be changed."))
        return value


class CaseMembershipSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    added_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = CaseMembership
        fields = ["user", "username", "role", "added_at", "added_by"]
        read_only_fields = fields


class CaseMemberAddSerializer(StrictSerializerMixin, serializers.Serializer):
    """A lead names the colleague by one of ``username`` (exact) or ``email`` (in any case); staff may also
    use ``user`` (an id: ids are counted, so naming by id would let a lead walk every account). Posting a
    member again changes the role (evidence.services.cases.case_member_add)."""

    user = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="The account's id (staff only)."
    )
    username = serializers.CharField(required=False, max_length=USERNAME_MAX_LENGTH, help_text="The exact username.")
    email = serializers.EmailField(required=False, max_length=EMAIL_MAX_LENGTH, help_text="In any case.")
    role = serializers.ChoiceField(choices=Role.choices)

    def validate(self, data: dict) -> dict:
        if sum(field in data for field in ("user", "username", "email")) != 1:
            raise serializers.ValidationError(
                {"user": [gettext("Name the member by exactly one of user (an id), username or email.")]}
            )
        return data


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    case = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "case", "action", "target", "details", "source_ip"]
        read_only_fields = fields
