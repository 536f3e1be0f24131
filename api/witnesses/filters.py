"""Filters of the witness and victim lists."""

import django_filters

from evidence.filters import CaseFilter
from evidence.models import (
    ProtectedPerson,
)


class ProtectedPersonFilterSet(django_filters.FilterSet):
    case = CaseFilter()
    pseudonym = django_filters.CharFilter(field_name="pseudonym")

    class Meta:
        model = ProtectedPerson
        fields: list[str] = []
