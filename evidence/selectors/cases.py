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


def case_time_zones(*, user: User, case_id: int | None = None) -> dict[str, list[int]]:
    """The time zones of the user's cases (of that one case, if ``case_id``), each with its cases' ids."""
    cases = restrict_to_user_cases(Case.objects.all(), user=user, case_field="")
    if case_id is not None:
        cases = cases.filter(pk=case_id)
    zones: dict[str, list[int]] = {}
    for pk, zone in cases.order_by("pk").values_list("pk", "time_zone"):
        zones.setdefault(zone, []).append(pk)
    return zones
