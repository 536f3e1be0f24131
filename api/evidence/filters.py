"""Filters of the evidence list."""

import django_filters

from evidence.filters import CaseFilter
from evidence.models import (
    EvidenceItem,
    EvidenceKind,
    EvidenceStatus,
)


class EvidenceFilterSet(django_filters.FilterSet):
    case = CaseFilter()
    incident = django_filters.NumberFilter(field_name="incident_links__incident_id")
    status = django_filters.MultipleChoiceFilter(choices=EvidenceStatus.choices)
    kind = django_filters.MultipleChoiceFilter(choices=EvidenceKind.choices)
    sha256 = django_filters.CharFilter(field_name="sha256", lookup_expr="iexact")
    ern = django_filters.CharFilter(field_name="ern")

    class Meta:
        model = EvidenceItem
        fields: list[str] = []
