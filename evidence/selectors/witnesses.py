"""Reads of witnesses and victims (pseudonyms only; identities go through a service)."""

from django.db.models import QuerySet

from evidence.models import (
    ProtectedPerson,
)
from evidence.selectors.access import User, restrict_to_user_cases


def protected_person_visible(*, user: User) -> QuerySet[ProtectedPerson]:
    return restrict_to_user_cases(ProtectedPerson.objects.all(), user=user)


def protected_person_list(*, user: User, kind: str) -> QuerySet[ProtectedPerson]:
    people = ProtectedPerson.objects.filter(kind=kind).prefetch_related("readers")
    return restrict_to_user_cases(people, user=user)
