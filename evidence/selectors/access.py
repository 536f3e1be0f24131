"""Who may do what: the roles' table and every permission predicate. Every queryset that reaches
a user passes through ``restrict_to_user_cases``."""

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from evidence.models import (
    Case,
    CaseMembership,
    Confidentiality,
    EvidenceItem,
    ProtectedPerson,
    Role,
)

User = AbstractBaseUser | AnonymousUser


class Action(StrEnum):
    READ = "read"
    WRITE = "write"
    MANAGE_CASE = "manage_case"
    DOWNLOAD = "download"
    EXPORT = "export"
    REVEAL_IDENTITY = "reveal_identity"  # leads; and any member a lead names for that person


ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.LEAD: frozenset(Action),
    Role.INVESTIGATOR: frozenset({Action.READ, Action.WRITE, Action.DOWNLOAD}),
    Role.ANALYST: frozenset({Action.READ, Action.DOWNLOAD}),
    Role.LEGAL: frozenset({Action.READ, Action.DOWNLOAD, Action.EXPORT}),
}


def role_allows(role: str | None, action: Action) -> bool:
    return role is not None and action in ROLE_ACTIONS[role]


def restrict_to_user_cases(queryset: QuerySet, *, user: User, case_field: str = "case") -> QuerySet:
    """The one need-to-know restriction: only objects of cases the user is a member of.

    ``case_field`` is the path from the queryset's model to its case ("" for cases themselves).

    Superusers see everything; staff see, like anyone else, only what they are members of.
    """
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    # The user's case ids as a literal list (a user belongs to a handful of cases): the planner can
    # then put them into the (case, location) and (case, period) index scans instead of joining.
    case_ids = list(CaseMembership.objects.filter(user=user).values_list("case_id", flat=True))
    return queryset.filter(**{f"{case_field}__in" if case_field else "pk__in": case_ids})


def case_role(*, user: User, case: Case) -> str | None:
    if not user.is_authenticated:
        return None
    return CaseMembership.objects.filter(case=case, user=user).values_list("role", flat=True).first()


def user_may(*, user: User, case: Case, action: Action) -> bool:
    if user.is_authenticated and user.is_superuser:
        return True
    return role_allows(case_role(user=user, case=case), action)


# Roles that may read but not download evidence of these kinds (the security issue will refine this).
RESTRICTED_DOWNLOADS = {Confidentiality.CONFIDENTIAL, Confidentiality.IDENTIFIES_WITNESS}


def user_may_download(*, user: User, item: EvidenceItem) -> bool:
    if user.is_superuser:
        return True
    role = case_role(user=user, case=item.case)
    if not role_allows(role, Action.DOWNLOAD):
        return False
    return not (item.confidentiality in RESTRICTED_DOWNLOADS and role == Role.ANALYST)


def user_may_anywhere(*, user: User, action: Action) -> bool:
    """Whether some case gives the user a role that allows ``action``."""
    if user.is_authenticated and user.is_superuser:
        return True
    roles = CaseMembership.objects.filter(user=user.pk).values_list("role", flat=True).distinct()
    return any(role_allows(role, action) for role in roles)


def user_may_reveal(*, user: User, person: ProtectedPerson) -> bool:
    """A lead of the case, or a member the lead named for this person."""
    if user_may(user=user, case=person.case, action=Action.REVEAL_IDENTITY):
        return True
    return person.readers.filter(pk=user.pk).exists() and case_role(user=user, case=person.case) is not None
