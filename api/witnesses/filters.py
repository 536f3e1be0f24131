"""Filters of the witness and victim lists."""

import django_filters

from evidence.models import (
    ProtectedPerson,
)


class ProtectedPersonFilterSet(django_filters.FilterSet):
    case = django_filters.NumberFilter(field_name="case_id")
    pseudonym = django_filters.CharFilter(field_name="pseudonym")

    class Meta:
        model = ProtectedPerson
        fields: list[str] = []
