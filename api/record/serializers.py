"""The record as the API shows and accepts it."""

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from api.fields import (
    CaseScopedSerializerMixin,
    DateOrDateTimeAsGivenField,
    StrictSerializerMixin,
    TranslatedCharField,
    UserCaseField,
    ValidatedGeometryField,
    VisibleRelatedField,
)
from evidence.models import (
    Allegation,
    Incident,
    Person,
    PersonAssignment,
    ProtectedPerson,
    Unit,
)
from evidence.selectors.record import incident_list, person_list, unit_chain_up, unit_list, unit_subordinate_tree
from evidence.selectors.witnesses import protected_person_visible
from geo.models import AdminArea
from geo.safeguards import warnings_shown


class LocationWarningSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["outside_country", "coordinates_swapped"])
    message = serializers.CharField()


class IncidentSerializer(CaseScopedSerializerMixin, GeoFeatureModelSerializer):
    """A GeoJSON Feature: the location is the geometry, everything else is in properties."""

    case = UserCaseField()
    location = ValidatedGeometryField()
    occurred_from = DateOrDateTimeAsGivenField(
        help_text="A date-time, kept and shown with its UTC offset; without one, or a date (that day's start), it is "
        "read in the case's time zone, named in occurred_from_time_zone."
    )
    occurred_to = DateOrDateTimeAsGivenField(
        required=False,
        allow_null=True,
        help_text="A date-time, kept and shown with its UTC offset; without one, or a date (that day's end), it is "
        "read in the case's time zone, named in occurred_to_time_zone.",
    )
    crimes = serializers.ListField(child=serializers.CharField(max_length=24), required=False, max_length=200)
    national_offences = serializers.ListField(
        child=serializers.CharField(max_length=16), required=False, max_length=50,
        help_text='Articles of the Criminal Code of Ukraine, e.g. "438(1)"; see /api/v1/national-offences/.',
    )  # fmt: skip
    admin_area = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    admin_area_name = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    review_requested_of = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    reviewed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    distance_m = serializers.SerializerMethodField(help_text="Metres from the `near` point, when one is given.")
    protected_persons = VisibleRelatedField(
        selector=protected_person_visible, model=ProtectedPerson, many=True, required=False,
        write_only=True, help_text="Ids of witnesses and victims of the case; shown back only as pseudonyms.",
    )  # fmt: skip
    pseudonyms = serializers.SerializerMethodField(help_text="The witnesses and victims it refers to.")
    warnings = serializers.SerializerMethodField(
        help_text="What looks wrong with the location; it is kept as given all the same. Stored as codes; each "
        "message is written when read, in the language asked for."
    )

    class Meta:
        model = Incident
        geo_field = "location"
        id_field = "id"
        fields = [
            "id", "public_id", "case", "title", "description", "occurred_from", "occurred_from_time_zone",
            "occurred_to", "occurred_to_time_zone", "date_precision", "location", "location_uncertainty_m",
            "place_name", "admin_area", "admin_area_name", "crimes", "national_offences", "killed", "injured",
            "missing", "detained", "status", "created_by", "updated_by", "created_at", "updated_at", "distance_m",
            "protected_persons", "pseudonyms", "warnings", "review_reason", "review_requested_of", "reviewed_by",
            "reviewed_at", "reopened_at",
        ]  # fmt: skip
        read_only_fields = [
            "public_id", "occurred_from_time_zone", "occurred_to_time_zone", "created_at", "updated_at",
            "review_reason", "review_requested_of", "reviewed_by", "reviewed_at", "reopened_at",
        ]  # fmt: skip

    FEATURE_MEMBERS = {"type", "id", "geometry", "properties", "bbox"}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            message = gettext("Expected a GeoJSON Feature (a JSON object).")
            raise serializers.ValidationError({"non_field_errors": [message]})
        if "properties" in data:
            unknown = sorted(set(data) - self.FEATURE_MEMBERS)
            if unknown:
                message = gettext("Unknown member of a GeoJSON Feature.")
                raise serializers.ValidationError({name: [message] for name in unknown})
            if data.get("type", "Feature") != "Feature":
                raise serializers.ValidationError({"type": [gettext('A GeoJSON "Feature" is expected.')]})
            if not isinstance(data["properties"], dict):
                raise serializers.ValidationError({"properties": [gettext("Expected an object.")]})
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

    @extend_schema_field(LocationWarningSerializer(many=True))
    def get_warnings(self, incident: Incident) -> list[dict[str, str]]:
        return warnings_shown(incident.warnings)

    def get_distance_m(self, incident: Incident) -> float | None:
        distance = getattr(incident, "distance_m", None)
        return round(distance.m, 1) if distance is not None else None


class RevisionSerializer(serializers.Serializer):
    """One revision of a record (an incident, an evidence item's description, a person, a unit, an allegation,
    a dated assignment): "created", "changed", or "snapshot" (the row as it stood when revisions began)."""

    revision = serializers.IntegerField()
    at = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True)
    event = serializers.CharField()
    changes = serializers.DictField(help_text='{"field": {"from": …, "to": …}}')


IncidentRevisionSerializer = RevisionSerializer


class PersonAssignmentSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    """What the person was from valid_from to valid_to (days, inclusive; no end: still holds)."""

    unit = VisibleRelatedField(selector=unit_list, model=Unit, required=False, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = PersonAssignment
        fields = [
            "id", "public_id", "person", "unit", "rank", "position", "valid_from", "valid_to", "basis",
            "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = ["public_id", "person", "created_at"]


class UnitSerializer(CaseScopedSerializerMixin, serializers.ModelSerializer):
    case = UserCaseField()
    parent = VisibleRelatedField(selector=unit_list, model=Unit, required=False, allow_null=True)

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
        return UnitSummarySerializer(unit_chain_up(unit=unit), many=True).data

    def get_subordinates(self, unit: Unit) -> list[dict]:
        return unit_subordinate_tree(unit=unit)


class PersonSerializer(CaseScopedSerializerMixin, serializers.ModelSerializer):
    case = UserCaseField()
    unit = VisibleRelatedField(selector=unit_list, model=Unit, required=False, allow_null=True)
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
    incident = VisibleRelatedField(selector=incident_list, model=Incident)
    person = VisibleRelatedField(selector=person_list, model=Person, required=False, allow_null=True)
    unit = VisibleRelatedField(selector=unit_list, model=Unit, required=False, allow_null=True)
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
            raise serializers.ValidationError(gettext("An allegation cannot be moved to another case."))
        return incident


class AdminAreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = AdminArea
        fields = ["id", "name_uk", "name_en", "level", "code", "parent"]


class AdminAreaFeatureSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = AdminArea
        geo_field = "boundary"
        fields = ["id", "name_uk", "name_en", "level", "code", "parent", "boundary"]


class NationalOffenceSerializer(serializers.Serializer):
    """An article (and part) of the Criminal Code of Ukraine: the Code's own title and a translation."""

    code = serializers.CharField(help_text='The article, with its part in brackets: "438(1)".')
    article = serializers.CharField()
    part = serializers.CharField(allow_null=True)
    title_uk = serializers.CharField(help_text="The article's title as the Code gives it.")
    title_en = serializers.CharField()
    part_en = serializers.CharField(help_text="What the part makes an offence, in English.")


class CrimeSerializer(serializers.Serializer):
    code = serializers.CharField()
    article = serializers.CharField()
    title = TranslatedCharField()
    amended_by = serializers.CharField(allow_null=True, help_text="The amendment that added the crime, if any.")
