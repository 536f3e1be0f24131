"""Filters of the account list (staff only)."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

UserModel = get_user_model()


class UserFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", max_length=254, help_text="Part of the username or of the e-mail address, in any case."
    )
    is_active = django_filters.BooleanFilter(help_text="true: accounts that may sign in; false: deactivated ones.")

    class Meta:
        model = UserModel
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(username__icontains=value) | Q(email__icontains=value))
