import django_filters

from evidence.models import Case


class CaseFilterSet(django_filters.FilterSet):
    class Meta:
        model = Case
        fields = {"reference": ["exact"]}
