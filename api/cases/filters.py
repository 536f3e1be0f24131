"""Filters of the case and audit lists."""

import django_filters

from evidence.models import (
    AuditEntry,
    Case,
)


class CaseFilterSet(django_filters.FilterSet):
    class Meta:
        model = Case
        fields = {"reference": ["exact"]}


class AuditEntryFilterSet(django_filters.FilterSet):
    case = django_filters.CharFilter(field_name="case__reference")
    action = django_filters.CharFilter(field_name="action")

    class Meta:
        model = AuditEntry
        fields: list[str] = []
