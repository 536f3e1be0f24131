"""Package requests, packages and register profiles as the API shows and accepts them."""

from django.utils.translation import gettext
from rest_framework import serializers

from api.fields import StrictSerializerMixin, UserCaseField, VisibleRelatedField
from evidence.models import (
    EvidenceItem,
    Export,
    Incident,
)
from evidence.package import register
from evidence.selectors.items import evidence_list
from evidence.selectors.record import incident_list


class ExportRequestSerializer(StrictSerializerMixin, serializers.Serializer):
    case = UserCaseField()
    incidents = VisibleRelatedField(selector=incident_list, model=Incident, many=True, required=False)
    evidence = VisibleRelatedField(selector=evidence_list, model=EvidenceItem, many=True, required=False)
    profile = serializers.CharField(default="default", max_length=64)
    include_identities = serializers.BooleanField(default=False)
    include_analysis_chart = serializers.BooleanField(
        default=False, help_text="Put the analysis chart of the package's incidents in it (data/analysis-chart.csv)."
    )


class ExportSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    incidents = serializers.ListField(source="incident_ids", child=serializers.IntegerField(), read_only=True)
    evidence = serializers.ListField(source="evidence_ids", child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = Export
        fields = [
            "id", "public_id", "case", "incidents", "evidence", "profile", "include_identities",
            "include_analysis_chart",
            "status", "status_reason", "progress", "item_count", "size_bytes", "sha256", "requested_by",
            "created_at", "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class ExportColumnSerializer(serializers.Serializer):
    column = serializers.CharField(max_length=200)
    field = serializers.CharField(max_length=64)
    date_format = serializers.CharField(max_length=64, required=False, default="iso")


class ExportProfileSerializer(StrictSerializerMixin, serializers.Serializer):
    """A register profile. With ``case``, the case's own (its leads and legal members define it, its
    members see it); without, one shared by every case, which only staff define."""

    case = UserCaseField(required=False, allow_null=True, default=None)
    name = serializers.SlugField(max_length=64)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    columns = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=100)
    id = serializers.IntegerField(read_only=True, allow_null=True, help_text="None for a built-in profile.")
    builtin = serializers.BooleanField(read_only=True)
    retired_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def to_representation(self, profile: register.Profile):
        return {
            "id": profile.id,
            "case": profile.case_id,
            "name": profile.name,
            "description": profile.description,
            "columns": [{"column": c.column, "field": c.field, "date_format": c.date_format} for c in profile.columns],
            "builtin": profile.builtin,
            "retired_at": serializers.DateTimeField().to_representation(profile.retired_at)
            if profile.retired_at
            else None,
        }

    def validate_columns(self, columns: list) -> list:
        return valid_columns(columns)


def valid_columns(columns: list) -> list:
    errors = register.column_errors(columns)
    if errors:
        raise serializers.ValidationError(errors)
    return columns


class ExportProfileUpdateSerializer(StrictSerializerMixin, serializers.Serializer):
    """An edit of a profile: its description, its columns, or both. Its name and case never change (exports
    name it by them): a profile for another name or case is a new profile."""

    description = serializers.CharField(required=False, allow_blank=True)
    columns = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=100, required=False)
    name = serializers.CharField(required=False, help_text="Refused: a profile's name never changes.")
    case = serializers.IntegerField(required=False, allow_null=True, help_text="Refused: nor does its case.")

    def validate_columns(self, columns: list) -> list:
        return valid_columns(columns)

    def validate_name(self, name: str) -> str:
        raise serializers.ValidationError(
            gettext("A profile's name never changes: exports name it by it. Define a new profile and retire this one.")
        )

    def validate_case(self, case: int | None) -> None:
        raise serializers.ValidationError(
            gettext("A profile's case never changes. Define a new profile and retire this one.")
        )


class ExportProfileRetireSerializer(StrictSerializerMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why no new export should use the profile.")
