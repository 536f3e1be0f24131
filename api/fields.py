"""Serializer fields and mixins every subject shares: strict input (unknown fields are refused),
choice errors that name the choices, dates that may be bare days, validated geometries, and references
limited to the user's cases."""

import json
from collections.abc import Iterable
from datetime import datetime

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.relations import MANY_RELATION_KWARGS
from rest_framework.utils import html
from rest_framework_gis.fields import GeometryField

from evidence.dates import Moment, as_given, parse_moment
from evidence.models import (
    Case,
)
from evidence.selectors.cases import (  # a case is named by its id (digits) or its reference
    CASE_ID,
    CASE_REFERENCE,  # noqa: F401 - the schema's pattern (api.schema)
    CaseNameAmbiguous,
    case_list,
    case_named,
)
from geo.validation import GeometryError, geometry_from_geojson

# What a browser's form carries besides the fields: Django's CSRF token, and the names DRF's browsable
# API gives its method and content overrides. They are not fields, in form input only.
FORM_CONTROL_NAMES = frozenset({"csrfmiddlewaretoken", "_method", "_content", "_content_type"})
# Past this many, a choice error points to the documentation instead of listing them all.
MAX_CHOICES_LISTED = 40
# An error repeats this much of what was given, at most.
MAX_INPUT_SHOWN = 100


class ChoicesNamed:
    """The "invalid_choice" message of a choice field, naming the valid choices: DRF formats that message
    with the input alone (``"x" is not a valid choice.``), which leaves the client guessing."""

    def __init__(self, choices: Iterable[str]) -> None:
        self.choices = list(choices)

    def format(self, **kwargs) -> str:
        given = str(kwargs["input"])
        given = given if len(given) <= MAX_INPUT_SHOWN else given[:MAX_INPUT_SHOWN] + "…"
        if len(self.choices) > MAX_CHOICES_LISTED:
            message = gettext('"{input}" is not a valid choice; the valid ones are listed at /api/v1/docs/.')
            return message.format(input=given)
        message = gettext('"{input}" is not a valid choice; use one of {choices}.')
        return message.format(input=given, choices=", ".join(self.choices))


def name_the_choices(field: serializers.Field) -> None:
    """Makes a choice field's error name the valid choices (inside list and dict fields too)."""
    if isinstance(field, serializers.ChoiceField):
        field.error_messages["invalid_choice"] = ChoicesNamed(field.choice_strings_to_values)
    child = getattr(field, "child", None)
    if isinstance(child, serializers.Field):
        name_the_choices(child)


class StrictSerializerMixin:
    """Refuses fields the serializer does not know, so a misspelt field is an error, not a silent drop,
    and makes every choice field's error name the choices (the API's input serializers all use it)."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            name_the_choices(field)
        return fields

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            given = set(data.keys()) - (FORM_CONTROL_NAMES if html.is_html_input(data) else set())
            unknown = sorted(given - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [gettext("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)


class TranslatedCharField(serializers.CharField):
    """Text from Slid's own vocabularies (crime titles), shown in the language asked for when it has been
    translated (the messages are marked in evidence.crime_titles)."""

    def to_representation(self, value) -> str:
        return gettext(str(value))


class DateOrDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time, or a bare date (2022-03-04).

    What a bare date or a time without an offset means depends on the case's time zone, so they are
    given on as written (a ``date``, a naive ``datetime``) and placed in the case's zone by whoever
    knows the case: the record's services, the upload serializer, the incident filters
    (evidence.dates.resolve_moment). A date-time with an offset is taken as it is."""

    def to_internal_value(self, value) -> Moment:
        if isinstance(value, datetime):
            return super().to_internal_value(value)
        if not isinstance(value, str):
            raise serializers.ValidationError(gettext("Expected an ISO 8601 date or date-time string."))
        try:
            return parse_moment(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None


class DateTimeAsGivenField(serializers.DateTimeField):
    """A stored moment shown in the UTC offset it was given in, which the model keeps beside it in
    ``<field>_offset`` (minutes; PostgreSQL keeps the moment alone). Without one, in UTC."""

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        return as_given(value, getattr(instance, f"{self.source}_offset", None))

    def to_representation(self, value) -> str | None:
        if value is None:
            return None
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text


class DateOrDateTimeAsGivenField(DateTimeAsGivenField, DateOrDateTimeField):
    """A date or a date-time in (DateOrDateTimeField), the stored moment out in the UTC offset it was given in
    (DateTimeAsGivenField)."""


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


class DistinctManyRelatedField(serializers.ManyRelatedField):
    """A list of ids that names each object once: the same incident twice in one upload is a mistake to
    point out, not to guess at.

    In a form (multipart), an empty value is no id: a list sent empty, as Swagger UI and browsers send the
    fields a user left alone, is not given."""

    def get_value(self, dictionary):
        value = super().get_value(dictionary)
        if value is empty or not html.is_html_input(dictionary):
            return value
        ids = [item for item in value if item != ""]
        return ids or empty

    def to_internal_value(self, data):
        objects = super().to_internal_value(data)
        seen: set = set()
        for obj in objects:
            if obj.pk in seen:
                name = type(obj)._meta.verbose_name
                message = gettext("{name} {id} is named more than once.")
                raise serializers.ValidationError(message.format(name=str(name).capitalize(), id=obj.pk))
            seen.add(obj.pk)
        return objects


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object from the requesting user's cases, found through the given selector.

    ``model`` only tells the schema what the id refers to; the selector decides what is found. With
    ``many=True``, each object may be named once."""

    def __init__(self, *, selector, model, **kwargs) -> None:
        self.selector = selector
        super().__init__(queryset=model.objects.none(), **kwargs)

    @classmethod
    def many_init(cls, *args, **kwargs) -> DistinctManyRelatedField:
        # DRF's RelatedField.many_init, with the list field that refuses repeats.
        list_kwargs = {key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS}
        return DistinctManyRelatedField(child_relation=cls(*args, **kwargs), **list_kwargs)

    def get_queryset(self):
        return self.selector(user=self.context["request"].user)


class UserCaseField(VisibleRelatedField):
    """A case the requesting user is a member of, named by its id or by its reference (UA-2022-BUCHA); any
    other case reads as not existing. Shown by its id. A number is an id; a string is read by
    evidence.selectors.cases.case_named, which refuses digits that are the id of one of the user's cases and
    the reference of another (references of digits alone are refused since, but older cases may have one)."""

    default_error_messages = {
        "no_reference": _('No case "{reference}" among your cases: give the id or the reference of one.'),
        "incorrect_type": _("Incorrect type. Expected a case id or reference, received {data_type}."),
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(selector=case_list, model=Case, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            return super().to_internal_value(data)
        try:
            case = case_named(self.get_queryset(), data)
        except CaseNameAmbiguous as error:
            raise serializers.ValidationError(error.message, code="ambiguous") from None
        if case is not None:
            return case
        if CASE_ID.fullmatch(data):
            return super().to_internal_value(data)  # DRF's answer for an id that is not found
        message = self.error_messages["no_reference"].format(reference=data[:100])
        raise serializers.ValidationError(message, code="no_reference")


class CaseScopedSerializerMixin(StrictSerializerMixin):
    """Objects stay in the case they were created in."""

    def validate_case(self, case: Case) -> Case:
        if self.instance is not None and case.pk != self.instance.case_id:
            raise serializers.ValidationError(gettext("An object cannot be moved to another case."))
        return case
