"""Witnesses and victims as the API shows them, and their identity fields."""

from rest_framework import serializers

from api.fields import StrictSerializerMixin, UserCaseField
from evidence.models import (
    ProtectedPerson,
)
from evidence.models.witnesses import ConflictStatus, Sex

# A user id is a PostgreSQL integer (django.contrib.auth's AutoField).
MAX_USER_ID = 2**31 - 1


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
    # Plain ids, resolved by the service against the case's members: a user of another case, an
    # inactive one and an id no one has all get the same answer, so it tells nothing about who exists.
    readers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_USER_ID), required=False, max_length=1000,
        help_text="Members (besides leads) who may reveal this identity; only a lead names them.",
    )  # fmt: skip


class ProtectedPersonUpdateSerializer(ProtectedPersonCreateSerializer):
    case = None
    full_name = serializers.CharField(max_length=300, required=False)


class IdentitySerializer(IdentityFieldsMixin):
    pseudonym = serializers.CharField()


class VictimFieldsMixin(serializers.Serializer):
    """What is known of a victim, all optional; sealed with the identity (shown only where it is revealed)."""

    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_null=True)
    age = serializers.IntegerField(min_value=0, max_value=130, required=False, allow_null=True, help_text="In years.")
    age_from = serializers.IntegerField(
        min_value=0, max_value=130, required=False, allow_null=True, help_text="An age range, in years (inclusive)."
    )
    age_to = serializers.IntegerField(min_value=0, max_value=130, required=False, allow_null=True)
    conflict_status = serializers.ChoiceField(
        choices=ConflictStatus.choices, required=False, allow_null=True,
        help_text="civilian, combatant, or hors_de_combat (a combatant captured, wounded or surrendering).",
    )  # fmt: skip
    date_of_death = serializers.DateField(required=False, allow_null=True)
    cause_of_death = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class VictimCreateSerializer(VictimFieldsMixin, ProtectedPersonCreateSerializer):
    pass


class VictimUpdateSerializer(VictimFieldsMixin, ProtectedPersonUpdateSerializer):
    pass


class VictimIdentitySerializer(VictimFieldsMixin, IdentitySerializer):
    pass
