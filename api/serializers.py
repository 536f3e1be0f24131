import json
from datetime import datetime

from django.contrib.auth import get_user_model
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from evidence import selectors
from evidence.access import Role
from evidence.crimes import unknown_crime_codes
from evidence.dates import parse_moment
from evidence.models import Allegation, Case, CaseMembership, Incident, Person, Unit
from geo.models import AdminArea
from geo.validation import GeometryError, geometry_from_geojson

UserModel = get_user_model()


class StrictSerializerMixin:
    """Refuses fields the serializer does not know, so a misspelt field is an error, not a silent drop."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class CaseSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    my_role = serializers.CharField(read_only=True, allow_null=True, help_text="Your role in the case.")

    class Meta:
        model = Case
        fields = ["id", "public_id", "reference", "title", "description", "created_at", "created_by", "my_role"]
        read_only_fields = ["public_id", "created_at"]

    def validate_reference(self, value: str) -> str:
        if self.instance is not None and value != self.instance.reference:
            raise serializers.ValidationError("A case's reference cannot be changed.")
        return value


class CaseMembershipSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=UserModel.objects.filter(is_active=True))
    username = serializers.CharField(source="user.username", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices)
    added_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CaseMembership
        fields = ["user", "username", "role", "added_at", "added_by"]
        read_only_fields = ["added_at"]
        validators = []  # A second POST for a member changes the role (see case_member_add).


class TokenRequestSerializer(StrictSerializerMixin, serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


# --- Fields -----------------------------------------------------------------------------------


class DateOrDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time, or a bare date: the day's first moment (UTC), or its last with ``end_of_day``."""

    def __init__(self, *, end_of_day: bool = False, **kwargs) -> None:
        self.end_of_day = end_of_day
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if isinstance(value, datetime):
            return super().to_internal_value(value)
        if not isinstance(value, str):
            raise serializers.ValidationError("Expected an ISO 8601 date or date-time string.")
        try:
            return parse_moment(value, end_of_day=self.end_of_day)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None


class ValidatedGeometryField(GeometryField):
    """GeoJSON geometry in, checked by geo.validation: out-of-range coordinates and invalid shapes are refused.

    Out, it uses the GeoJSON the database wrote when the selector annotated ``<field>_geojson``.
    """

    def get_attribute(self, instance):
        precomputed = getattr(instance, f"{self.source}_geojson", None)
        if precomputed is not None:
            return json.loads(precomputed)
        return super().get_attribute(instance)

    def to_internal_value(self, value):
        try:
            return geometry_from_geojson(value)
        except GeometryError as error:
            raise serializers.ValidationError(str(error)) from None


class UserCaseField(serializers.PrimaryKeyRelatedField):
    """A case the requesting user is a member of; any other id reads as not existing."""

    def get_queryset(self):
        return selectors.case_list(user=self.context["request"].user)


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object from the requesting user's cases, found through the given selector."""

    def __init__(self, *, selector, **kwargs) -> None:
        self.selector = selector
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.selector(user=self.context["request"].user)


class CaseScopedSerializerMixin(StrictSerializerMixin):
    """Objects stay in the case they were created in."""

    def validate_case(self, case: Case) -> Case:
        if self.instance is not None and case.pk != self.instance.case_id:
            raise serializers.ValidationError("An object cannot be moved to another case.")
        return case


# --- Incidents ----------------------------------------------------------------------------------


class IncidentSerializer(CaseScopedSerializerMixin, GeoFeatureModelSerializer):
    """A GeoJSON Feature: the location is the geometry, everything else is in properties."""

    case = UserCaseField()
    location = ValidatedGeometryField()
    occurred_from = DateOrDateTimeField()
    occurred_to = DateOrDateTimeField(end_of_day=True, required=False, allow_null=True)
    crimes = serializers.ListField(child=serializers.CharField(max_length=24), required=False, max_length=200)
    admin_area = serializers.PrimaryKeyRelatedField(read_only=True)
    admin_area_name = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    distance_m = serializers.SerializerMethodField(help_text="Metres from the `near` point, when one is given.")

    class Meta:
        model = Incident
        geo_field = "location"
        id_field = "id"
        fields = [
            "id", "public_id", "case", "title", "description", "occurred_from", "occurred_to", "date_precision",
            "location", "location_uncertainty_m", "place_name", "admin_area", "admin_area_name", "crimes",
            "killed", "injured", "missing", "detained", "status", "created_by", "updated_by", "created_at",
            "updated_at", "distance_m",
        ]  # fmt: skip
        read_only_fields = ["public_id", "created_at", "updated_at"]

    FEATURE_MEMBERS = {"type", "id", "geometry", "properties", "bbox"}

    def to_internal_value(self, data):
        if isinstance(data, dict) and "properties" in data:
            unknown = sorted(set(data) - self.FEATURE_MEMBERS)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown member of a GeoJSON Feature."] for name in unknown})
            if data.get("type", "Feature") != "Feature":
                raise serializers.ValidationError({"type": ['A GeoJSON "Feature" is expected.']})
            if not isinstance(data["properties"], dict):
                raise serializers.ValidationError({"properties": ["Expected an object."]})
            flat = {**data["properties"]}
            if "geometry" in data:
                flat["location"] = data["geometry"]
            data = flat
        return super().to_internal_value(data)

    def validate_crimes(self, codes: list[str]) -> list[str]:
        unknown = unknown_crime_codes(codes)
        if unknown:
            raise serializers.ValidationError(f"Unknown crime code {unknown[0]!r}; see /api/v1/crimes/.")
        return codes

    def validate(self, attrs):
        start = attrs.get("occurred_from", getattr(self.instance, "occurred_from", None))
        end = attrs.get("occurred_to", getattr(self.instance, "occurred_to", None))
        if start and end and end < start:
            raise serializers.ValidationError({"occurred_to": ["The end is before the start (occurred_from)."]})
        return attrs

    def get_admin_area_name(self, incident: Incident) -> str | None:
        return str(incident.admin_area) if incident.admin_area else None

    def get_distance_m(self, incident: Incident) -> float | None:
        distance = getattr(incident, "distance_m", None)
        return round(distance.m, 1) if distance is not None else None


class IncidentRevisionSerializer(serializers.Serializer):
    revision = serializers.IntegerField()
    at = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True)
    event = serializers.CharField()
    changes = serializers.DictField(help_text='{"field": {"from": …, "to": …}}')


# --- Suspects and allegations ----------------------------------------------------------------


class UnitSerializer(CaseScopedSerializerMixin, serializers.ModelSerializer):
    case = UserCaseField()
    parent = VisibleRelatedField(selector=selectors.unit_list, required=False, allow_null=True)

    class Meta:
        model = Unit
        fields = ["id", "public_id", "case", "name", "designation", "parent", "notes", "created_at"]
        read_only_fields = ["public_id", "created_at"]


class UnitSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name", "designation"]


class UnitDetailSerializer(UnitSerializer):
    chain_up = serializers.SerializerMethodField(help_text="Superior units, nearest first.")
    subordinates = serializers.SerializerMethodField(help_text="Subordinate units, nested.")

    class Meta(UnitSerializer.Meta):
        fields = [*UnitSerializer.Meta.fields, "chain_up", "subordinates"]

    def get_chain_up(self, unit: Unit) -> list[dict]:
        return UnitSummarySerializer(selectors.unit_chain_up(unit=unit), many=True).data

    def get_subordinates(self, unit: Unit) -> list[dict]:
        return selectors.unit_subordinate_tree(unit=unit)


class PersonSerializer(CaseScopedSerializerMixin, serializers.ModelSerializer):
    case = UserCaseField()
    unit = VisibleRelatedField(selector=selectors.unit_list, required=False, allow_null=True)
    other_names = serializers.ListField(child=serializers.CharField(max_length=300), required=False, max_length=50)
    identifiers = serializers.DictField(child=serializers.CharField(max_length=200), required=False)

    class Meta:
        model = Person
        fields = [
            "id", "public_id", "case", "full_name", "other_names", "date_of_birth", "rank", "position",
            "nationality", "identifiers", "unit", "created_at",
        ]  # fmt: skip
        read_only_fields = ["public_id", "created_at"]


class AllegationSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    """The case is the incident's; person or unit must belong to it too."""

    case = serializers.PrimaryKeyRelatedField(read_only=True)
    incident = VisibleRelatedField(selector=selectors.incident_list)
    person = VisibleRelatedField(selector=selectors.person_list, required=False, allow_null=True)
    unit = VisibleRelatedField(selector=selectors.unit_list, required=False, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Allegation
        fields = [
            "id", "public_id", "case", "incident", "person", "unit", "role", "basis", "confidence", "status",
            "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = ["public_id", "created_at"]

    def validate_incident(self, incident: Incident) -> Incident:
        if self.instance is not None and incident.case_id != self.instance.case_id:
            raise serializers.ValidationError("An allegation cannot be moved to another case.")
        return incident


# --- Places and vocabulary ---------------------------------------------------------------------


class AdminAreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = AdminArea
        fields = ["id", "name_uk", "name_en", "level", "code", "parent"]


class AdminAreaFeatureSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = AdminArea
        geo_field = "boundary"
        fields = ["id", "name_uk", "name_en", "level", "code", "parent", "boundary"]


class CrimeSerializer(serializers.Serializer):
    code = serializers.CharField()
    article = serializers.CharField()
    title = serializers.CharField()
    amended_by = serializers.CharField(allow_null=True, help_text="The amendment that added the crime, if any.")
