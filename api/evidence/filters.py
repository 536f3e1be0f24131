"""Filters of the evidence list."""

import django_filters
from django.db.models import QuerySet

from evidence.filters import CaseFilter
from evidence.models import (
    EvidenceItem,
    EvidenceKind,
    EvidenceStatus,
)
from evidence.selectors.items import evidence_search


class EvidenceFilterSet(django_filters.FilterSet):
    case = CaseFilter()
    incident = django_filters.NumberFilter(field_name="incident_links__incident_id")
    status = django_filters.MultipleChoiceFilter(choices=EvidenceStatus.choices)
    kind = django_filters.MultipleChoiceFilter(choices=EvidenceKind.choices)
    sha256 = django_filters.CharFilter(field_name="sha256", lookup_expr="iexact")
    ern = django_filters.CharFilter(field_name="ern")
    q = django_filters.CharFilter(
        method="filter_text",
        help_text="full text over title, description, source, file name and extracted metadata (whole words, "
        'any script; "phrases", or, -word)',
    )

    class Meta:
        model = EvidenceItem
        fields: list[str] = []

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return evidence_search(queryset, text=value)
