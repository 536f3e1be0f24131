"""Reads. Every queryset that reaches a user passes through ``restrict_to_user_cases``."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import OuterRef, QuerySet, Subquery

from evidence.access import Action, role_allows
from evidence.models import AuditEntry, Case, CaseMembership

User = AbstractBaseUser | AnonymousUser


def restrict_to_user_cases(queryset: QuerySet, *, user: User, case_field: str = "case") -> QuerySet:
    """The one need-to-know restriction: only objects of cases the user is a member of.

    ``case_field`` is the path from the queryset's model to its case ("" for cases themselves).

    Superusers see everything; staff see, like anyone else, only what they are members of.
    """
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    # One membership per user and case, so this join never repeats a row.
    lookup = f"{case_field}__memberships__user" if case_field else "memberships__user"
    return queryset.filter(**{lookup: user})


def case_list(*, user: User) -> QuerySet[Case]:
    """The user's cases, each annotated with ``my_role`` (None for a superuser who is not a member)."""
    role = CaseMembership.objects.filter(case=OuterRef("pk"), user=user.pk).values("role")[:1]
    cases = Case.objects.select_related("created_by").annotate(my_role=Subquery(role))
    return restrict_to_user_cases(cases, user=user, case_field="")


def case_role(*, user: User, case: Case) -> str | None:
    if not user.is_authenticated:
        return None
    return CaseMembership.objects.filter(case=case, user=user).values_list("role", flat=True).first()


def user_may(*, user: User, case: Case, action: Action) -> bool:
    if user.is_authenticated and user.is_superuser:
        return True
    return role_allows(case_role(user=user, case=case), action)


def case_member_list(*, case: Case) -> QuerySet[CaseMembership]:
    return case.memberships.select_related("user", "added_by").order_by("user__username")


def audit_entry_list(*, case: Case) -> QuerySet[AuditEntry]:
    return case.audit_entries.select_related("actor")
