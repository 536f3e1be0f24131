"""Package requests, packages and register profiles as the API shows and accepts them."""

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
    builtin = serializers.BooleanField(read_only=True)

    def to_representation(self, profile: register.Profile):
        return {
            "case": profile.case_id,
            "name": profile.name,
            "description": profile.description,
            "columns": [{"column": c.column, "field": c.field, "date_format": c.date_format} for c in profile.columns],
            "builtin": profile is register.DEFAULT_PROFILE,
        }

    def validate_columns(self, columns: list) -> list:
        errors = register.column_errors(columns)
        if errors:
            raise serializers.ValidationError(errors)
        return columns
