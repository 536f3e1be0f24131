"""Serializer fields and mixins every subject shares: strict input (unknown fields are refused),
dates that may be bare days, validated geometries, and references limited to the user's cases."""

import json
from datetime import datetime

from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS
from rest_framework_gis.fields import GeometryField

from evidence.dates import Moment, parse_moment
from evidence.models import (
    Case,
)
from evidence.selectors.cases import case_list
from geo.validation import GeometryError, geometry_from_geojson


class StrictSerializerMixin:
    """Refuses fields the serializer does not know, so a misspelt field is an error, not a silent drop."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


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
            raise serializers.ValidationError("Expected an ISO 8601 date or date-time string.")
        try:
            return parse_moment(value)
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


class DistinctManyRelatedField(serializers.ManyRelatedField):
    """A list of ids that names each object once: the same incident twice in one upload is a mistake to
    point out, not to guess at."""

    def to_internal_value(self, data):
        objects = super().to_internal_value(data)
        seen: set = set()
        for obj in objects:
            if obj.pk in seen:
                name = type(obj)._meta.verbose_name
                raise serializers.ValidationError(f"{name.capitalize()} {obj.pk} is named more than once.")
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
    """A case the requesting user is a member of; any other id reads as not existing."""

    def __init__(self, **kwargs) -> None:
        super().__init__(selector=case_list, model=Case, **kwargs)


class CaseScopedSerializerMixin(StrictSerializerMixin):
    """Objects stay in the case they were created in."""

    def validate_case(self, case: Case) -> Case:
        if self.instance is not None and case.pk != self.instance.case_id:
            raise serializers.ValidationError("An object cannot be moved to another case.")
        return case
