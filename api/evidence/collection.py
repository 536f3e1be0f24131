"""Custody before Slid as the API accepts it: the ``collection`` of an upload (a JSON object, or its text in a
multipart form) and of a later declaration (evidence.services.collection). Errors name the part at fault:
``{"collection": ["handovers[2].at: …"]}``."""

import json

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import DateOrDateTimeField, StrictSerializerMixin, ValidatedGeometryField

NAME_HELP = (
    "Who, as the record should say it. Name a witness or victim by pseudonym, never by name: the custody "
    "chain cannot be redacted and goes into every package."
)
POINT_HELP = "A GeoJSON Point: [longitude, latitude], checked like an incident's location."
MOMENT_HELP = (
    "A date-time, kept with its UTC offset; without one, or a date, it is read in the case's time zone "
    "(named in <field>_time_zone). Not after the item reached Slid."
)


@extend_schema_field(
    {"type": "object", "properties": {"type": {"enum": ["Point"]}, "coordinates": {"type": "array", "items": {
        "type": "number"}, "minItems": 2, "maxItems": 2}}, "nullable": True}
)  # fmt: skip
class PointField(ValidatedGeometryField):
    """A GeoJSON Point, checked like an incident's location (evidence.services.collection refuses other types)."""


class HandOverSerializer(StrictSerializerMixin, serializers.Serializer):
    """One hand-over before intake: from whom to whom, when, where, the seals of physical media, a note."""

    at = DateOrDateTimeField(help_text=MOMENT_HELP)
    location = PointField(required=False, allow_null=True, help_text=POINT_HELP)
    place_name = serializers.CharField(required=False, allow_blank=True, max_length=300)
    seals = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50,
        help_text="Seal numbers of the bags or containers of physical media.",
    )  # fmt: skip
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)

    def get_fields(self):
        # "from" is a Python keyword, so these two cannot be declared as attributes.
        fields = super().get_fields()
        fields["from"] = serializers.CharField(max_length=300, help_text=NAME_HELP)
        fields["to"] = serializers.CharField(max_length=300, help_text=NAME_HELP)
        return fields


class CollectionSerializer(StrictSerializerMixin, serializers.Serializer):
    """Who collected the item, from whom, when, where and how (the Berkeley Protocol's capture information),
    and each hand-over before it reached Slid, in order."""

    collected_by = serializers.CharField(max_length=300, help_text=NAME_HELP)
    collected_from = serializers.CharField(required=False, allow_blank=True, max_length=300, help_text=NAME_HELP)
    collected_at = DateOrDateTimeField(help_text=MOMENT_HELP)
    location = PointField(required=False, allow_null=True, help_text=POINT_HELP)
    place_name = serializers.CharField(required=False, allow_blank=True, max_length=300)
    device = serializers.CharField(required=False, allow_blank=True, max_length=300)
    method = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text="e.g. forensic image, screen recording, seizure."
    )
    tool = serializers.CharField(required=False, allow_blank=True, max_length=300)
    tool_version = serializers.CharField(required=False, allow_blank=True, max_length=100)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    handovers = HandOverSerializer(many=True, required=False, max_length=100)


@extend_schema_field(CollectionSerializer)
class CollectionField(serializers.Field):
    """The collection record: a JSON object, or its text (in a multipart form), checked by CollectionSerializer.
    Its errors come as one list of "part: reason" lines, the part as a path (``handovers[1].seals[0]``)."""

    default_error_messages = {"invalid": "Expected a JSON object."}

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except (ValueError, RecursionError):
                raise serializers.ValidationError(gettext("Not valid JSON.")) from None
        if not isinstance(data, dict):
            raise serializers.ValidationError(gettext("Expected a JSON object."))
        record = CollectionSerializer(data=data)
        if not record.is_valid():
            raise serializers.ValidationError(list(_paths(record.errors)))
        return record.validated_data

    def to_representation(self, value):
        return value


def _paths(errors, prefix: str = ""):
    """ "part: reason" for each error of a nested serializer (lists of hand-overs are numbered from 1)."""
    if isinstance(errors, dict):
        for name, inner in errors.items():
            if name == "non_field_errors":
                yield from _paths(inner, prefix)
            elif isinstance(name, int):  # an item of a list field (seals), numbered from 1 like hand-overs
                yield from _paths(inner, f"{prefix}[{name + 1}]")
            else:
                yield from _paths(inner, f"{prefix}.{name}" if prefix else str(name))
    elif isinstance(errors, list) and errors and all(isinstance(inner, str) for inner in errors):
        for message in errors:
            yield f"{prefix}: {message}" if prefix else str(message)
    elif isinstance(errors, list):
        for number, inner in enumerate(errors, start=1):
            if inner:
                yield from _paths(inner, f"{prefix}[{number}]")


class CollectionDeclarationSerializer(StrictSerializerMixin, serializers.Serializer):
    collection = CollectionField(help_text="The collection record (see the upload's `collection`).")
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000,
        help_text="Why it is declared now; needed to correct a record already declared. Kept in custody.",
    )  # fmt: skip
