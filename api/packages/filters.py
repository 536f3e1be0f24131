"""Filters of the package list."""

import django_filters

from evidence.filters import CaseFilter
from evidence.models import (
    Export,
    ExportStatus,
)


class ExportFilterSet(django_filters.FilterSet):
    case = CaseFilter()
    status = django_filters.MultipleChoiceFilter(choices=ExportStatus.choices)

    class Meta:
        model = Export
        fields: list[str] = []
