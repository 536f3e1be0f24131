"""Reads of cases and their members."""

from django.db.models import OuterRef, QuerySet, Subquery

from evidence.models import (
    Case,
    CaseMembership,
)
from evidence.selectors.access import User, restrict_to_user_cases


def case_list(*, user: User) -> QuerySet[Case]:
    """The user's cases, each annotated with ``my_role`` (None for a superuser who is not a member)."""
    role = CaseMembership.objects.filter(case=OuterRef("pk"), user=user.pk).values("role")[:1]
    cases = Case.objects.select_related("created_by").annotate(my_role=Subquery(role))
    return restrict_to_user_cases(cases, user=user, case_field="")


def case_member_list(*, case: Case) -> QuerySet[CaseMembership]:
    return case.memberships.select_related("user", "added_by").order_by("user__username")
