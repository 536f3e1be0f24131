"""Who may do what: the roles' table and every permission predicate. Every queryset that reaches
a user passes through ``restrict_to_user_cases``."""

from enum import StrEnum

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from evidence.models import (
    Case,
    CaseMembership,
    Confidentiality,
    EvidenceItem,
    Export,
    ExportProfile,
    ProtectedPerson,
    Role,
)
from evidence.selectors.accounts import totp_enrolled

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


def restrict_audit_to_user(queryset: QuerySet, *, user: User) -> QuerySet:
    """The audit entries a user may read. Superusers read the whole log. Anyone else, staff included,
    reads the entries of the cases whose log their role lets them read (it is for those who manage the
    case, as on the case's own audit route), and, of the entries of no case (sign-ins, second factors,
    register profiles), those they made themselves."""
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    readers = [role for role, actions in ROLE_ACTIONS.items() if Action.MANAGE_CASE in actions]
    case_ids = list(CaseMembership.objects.filter(user=user, role__in=readers).values_list("case_id", flat=True))
    return queryset.filter(Q(case_id__in=case_ids) | Q(case__isnull=True, actor=user))


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


# With SLID_REQUIRE_TOTP, these need an account with a second factor, signed in with its code.
SECOND_FACTOR_ACTIONS = frozenset({Action.REVEAL_IDENTITY, Action.EXPORT})


def second_factor_needed(*, action: Action) -> bool:
    return settings.SLID_REQUIRE_TOTP and action in SECOND_FACTOR_ACTIONS


def session_counts(*, user: User, verified: bool) -> bool:
    """A browser session of an account with a second factor counts only if it was opened with the
    account's one-time code (``verified``: django-otp's mark on the session); one opened before the
    account had a second factor does not."""
    return verified or not totp_enrolled(user=user)


def user_may_reveal(*, user: User, person: ProtectedPerson) -> bool:
    """A lead of the case, or a member the lead named for this person."""
    if user_may(user=user, case=person.case, action=Action.REVEAL_IDENTITY):
        return True
    return person.readers.filter(pk=user.pk).exists() and case_role(user=user, case=person.case) is not None


def user_may_name_readers(*, user: User, case: Case) -> bool:
    """Naming who else may reveal an identity is the lead's: it hands on what only leads hold."""
    return user_may(user=user, case=case, action=Action.REVEAL_IDENTITY) and user_may(
        user=user, case=case, action=Action.MANAGE_CASE
    )


def user_may_download_export(*, user: User, export: Export) -> bool:
    """Legal members and leads download packages; one built with witness and victim identities (and
    the evidence that identifies witnesses) only leads, whose every download reveals each identity."""
    if export.include_identities:
        return user_may(user=user, case=export.case, action=Action.REVEAL_IDENTITY)
    return user_may(user=user, case=export.case, action=Action.EXPORT)


def user_may_define_export_profile(*, user: User, case: Case | None) -> bool:
    """A case's register profiles are defined by its leads and legal members (those who export). A
    profile shared by every case is defined by staff: every user sees it, so it carries no case
    information (a chamber's protocol, not a case's names)."""
    if case is None:
        return user.is_authenticated and (user.is_staff or user.is_superuser)
    return user_may(user=user, case=case, action=Action.EXPORT)


def restrict_export_profiles(queryset: QuerySet[ExportProfile], *, user: User) -> QuerySet[ExportProfile]:
    """The profiles a user sees: those shared by every case, and those of the cases they are a member
    of (any role). An export of a case uses only those and the built-in default."""
    if not user.is_authenticated:
        return queryset.none()
    own_cases = restrict_to_user_cases(queryset.filter(case__isnull=False), user=user)
    return queryset.filter(Q(case__isnull=True) | Q(pk__in=own_cases.values("pk")))


def user_may_manage_account(*, user: User, account: AbstractBaseUser) -> bool:
    """Deactivating, reactivating or issuing a new password to an account. Staff do it for accounts that
    are not staff; superusers for any account but their own (their own password they change themselves,
    and deactivating themselves could leave nobody to undo it). A new password hands the account to
    whoever issues it until its owner changes it, so a staff member may not take another's this way."""
    if not (user.is_authenticated and user.is_staff) or user.pk == account.pk:
        return False
    return user.is_superuser or not (account.is_staff or account.is_superuser)
