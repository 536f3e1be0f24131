"""Filters of the package list."""

import django_filters

from evidence.models import (
    Export,
    ExportStatus,
)


class ExportFilterSet(django_filters.FilterSet):
    case = django_filters.NumberFilter(field_name="case_id")
    status = django_filters.MultipleChoiceFilter(choices=ExportStatus.choices)

    class Meta:
        model = Export
        fields: list[str] = []
