"""Filters of the record's lists: persons, units, allegations and admin areas. The incidents' filters are
shared with the workspace: evidence.filters."""

import django_filters
from django.db.models import Q, QuerySet

from evidence.filters import CaseFilter, IncidentFilterSet
from evidence.models import Allegation, AllegationRole, AllegationStatus, Person, Unit
from evidence.selectors.record import person_search
from geo.models import AdminArea

__all__ = ["AdminAreaFilterSet", "AllegationFilterSet", "IncidentFilterSet", "PersonFilterSet", "UnitFilterSet"]


class PersonFilterSet(django_filters.FilterSet):
    case = CaseFilter()
    unit = django_filters.NumberFilter(field_name="unit_id")
    q = django_filters.CharFilter(method="filter_name", help_text="a name in any script; small misspellings match")

    class Meta:
        model = Person
        fields: list[str] = []

    def filter_name(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return person_search(queryset, text=value)


class UnitFilterSet(django_filters.FilterSet):
    case = CaseFilter()
    parent = django_filters.NumberFilter(field_name="parent_id")
    q = django_filters.CharFilter(method="filter_text", help_text="name or designation contains")

    class Meta:
        model = Unit
        fields: list[str] = []

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(name__icontains=value) | Q(designation__icontains=value))


class AllegationFilterSet(django_filters.FilterSet):
    case = CaseFilter()
    incident = django_filters.NumberFilter(field_name="incident_id")
    person = django_filters.NumberFilter(field_name="person_id")
    unit = django_filters.NumberFilter(field_name="unit_id")
    role = django_filters.MultipleChoiceFilter(choices=AllegationRole.choices)
    status = django_filters.MultipleChoiceFilter(choices=AllegationStatus.choices)

    class Meta:
        model = Allegation
        fields: list[str] = []


class AdminAreaFilterSet(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=AdminArea.Level.choices)
    parent = django_filters.NumberFilter(field_name="parent_id")
    q = django_filters.CharFilter(method="filter_name")

    class Meta:
        model = AdminArea
        fields: list[str] = []

    def filter_name(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(name_uk__icontains=value) | Q(name_en__icontains=value) | Q(code=value))
