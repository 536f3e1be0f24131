import json
from datetime import datetime

from django.contrib.auth import get_user_model
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from evidence import register, selectors
from evidence.access import Role
from evidence.dates import parse_moment
from evidence.models import (
    PREMIS_EVENT_TYPES,
    Allegation,
    AuditEntry,
    Case,
    CaseMembership,
    Confidentiality,
    CustodyEntry,
    EvidenceItem,
    EvidenceKind,
    Export,
    Incident,
    Person,
    ProtectedPerson,
    SourceType,
    Unit,
)
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
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
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
    added_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = CaseMembership
        fields = ["user", "username", "role", "added_at", "added_by"]
        read_only_fields = ["added_at"]
        validators = []  # A second POST for a member changes the role (see case_member_add).


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


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object from the requesting user's cases, found through the given selector.

    ``model`` only tells the schema what the id refers to; the selector decides what is found."""

    def __init__(self, *, selector, model, **kwargs) -> None:
        self.selector = selector
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        return self.selector(user=self.context["request"].user)


class UserCaseField(VisibleRelatedField):
    """A case the requesting user is a member of; any other id reads as not existing."""

    def __init__(self, **kwargs) -> None:
        super().__init__(selector=selectors.case_list, model=Case, **kwargs)


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
    admin_area = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    admin_area_name = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    distance_m = serializers.SerializerMethodField(help_text="Metres from the `near` point, when one is given.")
    protected_persons = VisibleRelatedField(
        selector=selectors.protected_person_visible, model=ProtectedPerson, many=True, required=False,
        write_only=True, help_text="Ids of witnesses and victims of the case; shown back only as pseudonyms.",
    )  # fmt: skip
    pseudonyms = serializers.SerializerMethodField(help_text="The witnesses and victims it refers to.")

    class Meta:
        model = Incident
        geo_field = "location"
        id_field = "id"
        fields = [
            "id", "public_id", "case", "title", "description", "occurred_from", "occurred_to", "date_precision",
            "location", "location_uncertainty_m", "place_name", "admin_area", "admin_area_name", "crimes",
            "killed", "injured", "missing", "detained", "status", "created_by", "updated_by", "created_at",
            "updated_at", "distance_m", "protected_persons", "pseudonyms",
        ]  # fmt: skip
        read_only_fields = ["public_id", "created_at", "updated_at"]

    FEATURE_MEMBERS = {"type", "id", "geometry", "properties", "bbox"}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a GeoJSON Feature (a JSON object)."]})
        if "properties" in data:
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

    # The period's order and the crime codes are the domain's rules: services._check_incident
    # refuses them with the field and the reason, for the API and every other caller alike.

    def get_pseudonyms(self, obj) -> list[str]:
        return sorted(person.pseudonym for person in obj.protected_persons.all())

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
    parent = VisibleRelatedField(selector=selectors.unit_list, model=Unit, required=False, allow_null=True)

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
    unit = VisibleRelatedField(selector=selectors.unit_list, model=Unit, required=False, allow_null=True)
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
    incident = VisibleRelatedField(selector=selectors.incident_list, model=Incident)
    person = VisibleRelatedField(selector=selectors.person_list, model=Person, required=False, allow_null=True)
    unit = VisibleRelatedField(selector=selectors.unit_list, model=Unit, required=False, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

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


# --- Evidence ---------------------------------------------------------------------------------

SHA256_PATTERN = r"^[0-9a-fA-F]{64}$"


class EvidenceSerializer(serializers.ModelSerializer):
    """An evidence item as Slid knows it: what was submitted, and what the workers found."""

    incidents = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    captured_location = GeometryField(read_only=True)
    received_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    near_duplicates = serializers.SerializerMethodField()
    duplicate_of = serializers.PrimaryKeyRelatedField(read_only=True)
    pseudonyms = serializers.SerializerMethodField(help_text="The witnesses and victims it refers to.")

    class Meta:
        model = EvidenceItem
        fields = [
            "id", "public_id", "ern", "case", "incidents", "title", "description", "kind", "source_type", "source",
            "source_url", "captured_at", "acquired_at", "confidentiality", "original_filename", "submitted_sha256",
            "status", "status_reason", "sha256", "md5", "size_bytes", "digests", "media_type",
            "media_type_mismatch", "metadata", "metadata_error", "captured_location", "incident_distances_m",
            "duplicate_of", "near_duplicates", "archive_key", "last_verified_at", "fixity_failed_at", "received_at",
            "received_by", "archived_at", "pseudonyms",
        ]  # fmt: skip
        read_only_fields = fields

    def get_pseudonyms(self, item: EvidenceItem) -> list[str]:
        return sorted(person.pseudonym for person in item.protected_persons.all())

    def get_near_duplicates(self, item: EvidenceItem) -> list[dict]:
        return selectors.evidence_near_duplicates(item=item)


class EvidenceUploadSerializer(StrictSerializerMixin, serializers.Serializer):
    """multipart/form-data: the file and what the submitter knows about it."""

    file = serializers.FileField(allow_empty_file=False, use_url=False)
    case = UserCaseField()
    incidents = VisibleRelatedField(selector=selectors.incident_list, model=Incident, many=True, required=False)
    protected_persons = VisibleRelatedField(
        selector=selectors.protected_person_visible, model=ProtectedPerson, many=True, required=False
    )
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=EvidenceKind.choices, required=False)
    source_type = serializers.ChoiceField(choices=SourceType.choices, required=False)
    source = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    source_url = serializers.URLField(required=False, allow_blank=True, max_length=2000)
    captured_at = DateOrDateTimeField(required=False, allow_null=True)
    acquired_at = DateOrDateTimeField(required=False, allow_null=True)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, required=False)
    sha256 = serializers.RegexField(
        SHA256_PATTERN,
        required=False,
        allow_blank=True,
        help_text="The SHA-256 you computed; a file whose hash differs is marked corrupt.",
        error_messages={"invalid": "Expected 64 hexadecimal characters."},
    )

    def validate(self, attrs):
        incidents = attrs.get("incidents", [])
        for incident in incidents:
            if incident.case_id != attrs["case"].pk:
                raise serializers.ValidationError({"incidents": [f"Incident {incident.pk} belongs to another case."]})
        return attrs


class CustodyEntrySerializer(serializers.ModelSerializer):
    premis_event_type = serializers.SerializerMethodField()

    class Meta:
        model = CustodyEntry
        fields = [
            "sequence", "event_type", "premis_event_type", "outcome", "detail", "details", "agent", "agent_details",
            "occurred_at", "previous_hash", "entry_hash",
        ]  # fmt: skip

    def get_premis_event_type(self, entry: CustodyEntry) -> str:
        return PREMIS_EVENT_TYPES[entry.event_type]


class EvidenceLinkSerializer(StrictSerializerMixin, serializers.Serializer):
    incident = VisibleRelatedField(selector=selectors.incident_list, model=Incident)


# --- Exports ------------------------------------------------------------------------------------


class ExportRequestSerializer(StrictSerializerMixin, serializers.Serializer):
    case = UserCaseField()
    incidents = VisibleRelatedField(selector=selectors.incident_list, model=Incident, many=True, required=False)
    evidence = VisibleRelatedField(selector=selectors.evidence_list, model=EvidenceItem, many=True, required=False)
    profile = serializers.CharField(default="default", max_length=64)
    include_identities = serializers.BooleanField(default=False)


class ExportSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    incidents = serializers.ListField(source="incident_ids", child=serializers.IntegerField(), read_only=True)
    evidence = serializers.ListField(source="evidence_ids", child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = Export
        fields = [
            "id", "public_id", "case", "incidents", "evidence", "profile", "include_identities", "status",
            "status_reason", "progress", "item_count", "size_bytes", "sha256", "requested_by", "created_at",
            "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class ExportColumnSerializer(serializers.Serializer):
    column = serializers.CharField(max_length=200)
    field = serializers.CharField(max_length=64)
    date_format = serializers.CharField(max_length=64, required=False, default="iso")


class ExportProfileSerializer(StrictSerializerMixin, serializers.Serializer):
    name = serializers.SlugField(max_length=64)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    columns = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=100)
    builtin = serializers.BooleanField(read_only=True)

    def to_representation(self, profile):
        return {
            "name": profile.name,
            "description": profile.description,
            "columns": [{"column": c.column, "field": c.field, "date_format": c.date_format} for c in profile.columns],
            "builtin": profile.name == "default",
        }

    def validate_name(self, name: str) -> str:
        if register.profile_named(name) is not None:
            raise serializers.ValidationError(f"A profile named {name!r} exists already.")
        return name

    def validate_columns(self, columns: list) -> list:
        errors = register.column_errors(columns)
        if errors:
            raise serializers.ValidationError(errors)
        return columns


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    case = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "case", "action", "target", "details", "source_ip"]
        read_only_fields = fields


# --- Witnesses and victims ----------------------------------------------------------------------


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
