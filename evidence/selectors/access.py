"""Who may do what: the roles' table and every permission predicate. Every queryset that reaches
a user passes through ``restrict_to_user_cases``."""

from collections.abc import Iterable
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext, gettext_noop

from evidence.models import (
    EVIDENCE_CLASSIFICATION_FIELDS,
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
    # Recording what was disclosed to the defence, the chamber or a national prosecutor, and marking evidence
    # not exculpatory any more: legal judgements, for the case's lawyers and leads.
    DISCLOSE = "disclose"
    # Proposing assessments (what an item proves): investigators and analysts, and leads.
    ASSESS = "assess"
    # Verifying or rejecting what others recorded (a second pair of eyes): legal members and leads.
    REVIEW = "review"


ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.LEAD: frozenset(Action),
    Role.INVESTIGATOR: frozenset({Action.READ, Action.WRITE, Action.DOWNLOAD, Action.ASSESS}),
    Role.ANALYST: frozenset({Action.READ, Action.DOWNLOAD, Action.ASSESS}),
    Role.LEGAL: frozenset({Action.READ, Action.DOWNLOAD, Action.EXPORT, Action.DISCLOSE, Action.REVIEW}),
}


def role_allows(role: str | None, action: Action | frozenset[Action]) -> bool:
    """Whether the role allows the action; given a set of actions, whether it allows one of them."""
    if role is None:
        return False
    if isinstance(action, frozenset):
        return bool(action & ROLE_ACTIONS[role])
    return action in ROLE_ACTIONS[role]


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


def restrict_uploads_to_owner(queryset: QuerySet, *, user: User) -> QuerySet:
    """Resumable uploads (evidence.services.resumable) are their owner's alone until their last byte is in:
    nobody else, not a lead of the case nor a superuser, sees, resumes or cancels one. The case's own rule
    (WRITE, as for the API's upload) is checked too, on every request."""
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(owner=user)


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


def user_may(*, user: User, case: Case, action: Action | frozenset[Action]) -> bool:
    if user.is_authenticated and user.is_superuser:
        return True
    return role_allows(case_role(user=user, case=case), action)


# Roles that may read but not download evidence of these kinds. Evidence that identifies a witness has a
# rule of its own (download_refusal).
RESTRICTED_DOWNLOADS = {Confidentiality.CONFIDENTIAL, Confidentiality.IDENTIFIES_WITNESS}


def identified_persons(*, item: EvidenceItem) -> list[ProtectedPerson] | None:
    """The witnesses and victims whose identities the item's bytes give away, or None if they give away
    none. Bytes identify when an item of the case holding them is marked ``identifies_witness``: a second
    upload of a video statement, marked as nothing in particular, is still the statement. The persons are
    those linked to any such item."""
    same_bytes = Q(pk=item.pk) | Q(sha256=item.sha256) if item.sha256 else Q(pk=item.pk)
    marked = EvidenceItem.objects.filter(
        same_bytes, case_id=item.case_id, confidentiality=Confidentiality.IDENTIFIES_WITNESS
    )
    marked_ids = list(marked.values_list("pk", flat=True))
    if not marked_ids:
        return None
    linked = ProtectedPerson.objects.filter(evidence__in=marked_ids).select_related("case").distinct()
    return list(linked.order_by("kind", "pseudonym"))


def user_may_reveal_all(*, user: User, case: Case, persons: list[ProtectedPerson]) -> bool:
    """Whether the user may reveal every one of ``persons`` (of ``case``); with none, whether they may
    reveal identities in the case at all (its leads)."""
    if not persons:
        return user_may(user=user, case=case, action=Action.REVEAL_IDENTITY)
    return all(user_may_reveal(user=user, person=person) for person in persons)


def download_refusal(*, user: User, item: EvidenceItem, persons: list[ProtectedPerson] | None) -> str | None:
    """Why the user may not download the item's bytes, or None if they may. ``persons`` is
    ``identified_persons(item=item)``: a download of bytes that identify a witness is a reveal of each person
    linked to them, for those who may reveal every one (a lead; a reader a lead named for each), whatever
    their role."""
    if not user.is_authenticated:
        return gettext("Sign in first.")
    if persons is not None:
        if user_may_reveal_all(user=user, case=item.case, persons=persons):
            return None
        message = gettext(
            "%(ern)s identifies a witness: only those who may reveal the identity of every witness and victim "
            "linked to it (the case's leads, and readers a lead named for each) download it."
        )
        return message % {"ern": item.ern}
    if user.is_superuser:
        return None
    role = case_role(user=user, case=item.case)
    if not role_allows(role, Action.DOWNLOAD):
        return gettext("Your role in %(case)s does not allow downloading evidence.") % {"case": item.case.reference}
    if item.confidentiality in RESTRICTED_DOWNLOADS and role == Role.ANALYST:
        return gettext("Your role may not download %(confidentiality)s evidence.") % {
            "confidentiality": item.confidentiality
        }
    return None


def user_may_download(*, user: User, item: EvidenceItem) -> bool:
    return download_refusal(user=user, item=item, persons=identified_persons(item=item)) is None


def user_may_anywhere(*, user: User, action: Action) -> bool:
    """Whether some case gives the user a role that allows ``action``."""
    if user.is_authenticated and user.is_superuser:
        return True
    roles = CaseMembership.objects.filter(user=user.pk).values_list("role", flat=True).distinct()
    return any(role_allows(role, action) for role in roles)


# --- Signed in with the code: one rule for the API's tokens and every session (admin, workspace) ----
# 1. A sign-in of an account that has a second factor counts only if it gave the account's one-time code
#    (``signed_in_counts``). One that did not, a token issued or a session opened before the second factor
#    was turned on, is refused outright: it is not the account's owner as the account now stands.
# 2. With SLID_REQUIRE_TOTP, revealing identities and exporting (and, for staff, the admin) also need the
#    account to have a second factor at all (``second_factor_refusal``).

SECOND_FACTOR_ACTIONS = frozenset({Action.REVEAL_IDENTITY, Action.EXPORT})
ENROL_FIRST = gettext_noop(
    "This deployment requires a second factor for this. Turn it on with POST /api/v1/auth/totp/ and "
    "POST /api/v1/auth/totp/confirm/ (a code from an authenticator app), then log in again with your code (otp)."
)
LOG_IN_WITH_CODE = gettext_noop(
    "This deployment requires a second factor for this, and your token was issued without one: log in again "
    "with your one-time code (otp)."
)


def signed_in_counts(*, user: User, with_code: bool, enrolled: bool | None = None) -> bool:
    """Whether a sign-in counts: one that gave the code (``with_code``: a token issued at a login with the
    code, a session django-otp marked verified), or one of an account without a second factor. ``enrolled``
    is ``totp_enrolled(user)`` when the caller has it already."""
    if with_code:
        return True
    return not (totp_enrolled(user=user) if enrolled is None else enrolled)


def session_counts(*, user: User, verified: bool) -> bool:
    """``signed_in_counts`` for a browser session (``verified``: django-otp's mark on it)."""
    return signed_in_counts(user=user, with_code=verified)


def second_factor_needed(*, action: Action | None) -> bool:
    """Whether SLID_REQUIRE_TOTP asks for a second factor for ``action`` (None: the admin, all of it)."""
    return settings.SLID_REQUIRE_TOTP and (action is None or action in SECOND_FACTOR_ACTIONS)


def second_factor_refusal(*, user: User, with_code: bool, action: Action | None) -> str | None:
    """Why ``action`` (None: the admin) is refused for want of a second factor, or None when it is not."""
    if not second_factor_needed(action=action):
        return None
    if not totp_enrolled(user=user):
        return gettext(ENROL_FIRST)
    return None if with_code else gettext(LOG_IN_WITH_CODE)


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


def user_may_name_accounts_by_id(*, user: User) -> bool:
    """Naming an account by its id (adding a member with ``user``). Ids are counted, so whoever may name one
    may walk them all and learn every account's username from the answers: only staff, who list accounts
    anyway. A lead names a colleague by exact username or e-mail address."""
    return user.is_authenticated and user.is_staff


def user_may_manage_account(*, user: User, account: AbstractBaseUser) -> bool:
    """Deactivating, reactivating or issuing a new password to an account. Staff do it for accounts that
    are not staff; superusers for any account but their own (their own password they change themselves,
    and deactivating themselves could leave nobody to undo it). A new password hands the account to
    whoever issues it until its owner changes it, so a staff member may not take another's this way."""
    if not (user.is_authenticated and user.is_staff) or user.pk == account.pk:
        return False
    return user.is_superuser or not (account.is_staff or account.is_superuser)


def user_may_reset_second_factor(*, user: User, account: AbstractBaseUser) -> bool:
    """An operator's reset of an account's lost second factor (manage.py reset_totp), in the name of an
    active staff member: staff reset accounts that are not staff, superusers any, their own included (an
    operator with the server's shell who lost their phone could name another superuser anyway)."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or not (account.is_staff or account.is_superuser)


def user_may_mark_graphic(*, user: User, item: EvidenceItem, graphic: bool) -> bool:
    """Any member may mark an item graphic: it only protects colleagues. Taking the mark off exposes them
    to it unblurred, so that is for those who write the record (leads, investigators) and its submitter."""
    if graphic:
        return user_may(user=user, case=item.case, action=Action.READ)
    if user_may(user=user, case=item.case, action=Action.WRITE):
        return True
    return item.received_by_id == user.pk and case_role(user=user, case=item.case) is not None


# From the least to the most restricted: who inside the team may see an item's bytes.
CONFIDENTIALITY_ORDER = (
    Confidentiality.PUBLIC,
    Confidentiality.RESTRICTED,
    Confidentiality.CONFIDENTIAL,
    Confidentiality.IDENTIFIES_WITNESS,
)


def user_may_lower_confidentiality(*, user: User, item: EvidenceItem, to: str) -> bool:
    """Anyone who writes the record may make an item more confidential. Making it less so opens its bytes to
    more of the team (an item that identifies a witness is downloaded only by those who may reveal every
    person linked to it): the case's leads decide that, and for an item that identifies a witness only if
    they may reveal each of those persons."""
    if CONFIDENTIALITY_ORDER.index(to) >= CONFIDENTIALITY_ORDER.index(item.confidentiality):
        return True
    if not user_may(user=user, case=item.case, action=Action.MANAGE_CASE):
        return False
    persons = identified_persons(item=item)
    return persons is None or user_may_reveal_all(user=user, case=item.case, persons=persons)


def user_reviews_in_case(*, user: AbstractBaseUser, case: Case) -> bool:
    """Whether the user may be asked to review the case's records: an active member whose role reviews (its
    lawyers and leads). Unlike user_may, a superuser who is not a member is not one of the case's reviewers."""
    reviewing_roles = [role for role, actions in ROLE_ACTIONS.items() if Action.REVIEW in actions]
    return user.is_active and CaseMembership.objects.filter(case=case, user=user, role__in=reviewing_roles).exists()


def correction_refusal(*, user: User, item: EvidenceItem, fields: Iterable[str]) -> str | None:
    """The first field of a correction the user may not make, or None. Those who write the record correct
    anything correctable; the case's lawyers, who do not, only the court classification, the art. 54(3)(e)
    condition and the exculpatory mark (legal judgements; the rules on lowering them apply besides)."""
    if user_may(user=user, case=item.case, action=Action.WRITE):
        return None
    lawyer = user_may(user=user, case=item.case, action=Action.DISCLOSE)
    allowed = set(EVIDENCE_CLASSIFICATION_FIELDS) if lawyer else set()
    return next((name for name in sorted(fields) if name not in allowed), None)


def user_may_lower_classification(*, user: User, item: EvidenceItem) -> bool:
    """Lowering an item's court classification, or taking off that it was received on condition of
    confidentiality (art. 54(3)(e)): legal judgements, for the case's lawyers and leads (Action.DISCLOSE)."""
    return user_may(user=user, case=item.case, action=Action.DISCLOSE)


def user_may_mark_exculpatory(*, user: User, item: EvidenceItem, exculpatory: bool) -> bool:
    """Anyone who writes the record, or discloses, may mark an item exculpatory (art. 67(2)): erring towards
    disclosure harms no one. Taking the mark off withholds it from the defence's view of what must be
    disclosed, a legal judgement for the case's lawyers and leads (Action.DISCLOSE)."""
    if exculpatory:
        return user_may(user=user, case=item.case, action=Action.WRITE) or user_may(
            user=user, case=item.case, action=Action.DISCLOSE
        )
    return user_may(user=user, case=item.case, action=Action.DISCLOSE)


def user_may_declare_collection(*, user: User, item: EvidenceItem) -> bool:
    """Custody before Slid, declared or corrected after intake: the one who uploaded the item (and still writes
    the record) or a lead of its case; other members only read it."""
    if user_may(user=user, case=item.case, action=Action.MANAGE_CASE):
        return True
    return item.received_by_id == user.pk and user_may(user=user, case=item.case, action=Action.WRITE)


def user_may_see_checkpoints(*, user: User) -> bool:
    """Checkpoints (roots over every chain's head, and the number of items in Slid) are for staff and for
    members of any case. A root reveals nothing about a case, and is published outside Slid anyway; the
    number of items across every case is Slid's own figure, not for an account that belongs to no case."""
    if not user.is_authenticated:
        return False
    return user.is_staff or user.is_superuser or CaseMembership.objects.filter(user=user.pk).exists()
