"""Writes to cases and their membership. A case always keeps at least one lead."""

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from evidence.errors import DomainError
from evidence.models import (
    DEFAULT_TIME_ZONE,
    Case,
    CaseMembership,
    Role,
)
from evidence.selectors.access import user_may_name_accounts_by_id
from evidence.selectors.accounts import user_find_active
from evidence.services.audit import audit_record
from evidence.services.common import apply_changes
from evidence.services.signin import counter_add
from evidence.services.witnesses import reader_grants_remove


@transaction.atomic
def case_create(
    *, actor: AbstractBaseUser, reference: str, title: str, description: str = "", time_zone: str = DEFAULT_TIME_ZONE
) -> Case:
    """Creates a case; its creator becomes the first lead. Bare dates given for the case mean days in ``time_zone``."""
    try:
        for validate in Case._meta.get_field("reference").validators:
            validate(reference)
    except ValidationError as error:
        raise DomainError(error.messages[0], field="reference") from None
    if Case.objects.filter(reference=reference).exists():
        message = gettext("A case with reference %(reference)s already exists.") % {"reference": reference}
        raise DomainError(message, field="reference")
    case = Case.objects.create(
        reference=reference, title=title, description=description, time_zone=time_zone, created_by=actor
    )
    CaseMembership.objects.create(case=case, user=actor, role=Role.LEAD, added_by=actor)
    audit_record(actor=actor, case=case, action="case.create", target=case, details={"title": title})
    return case


@transaction.atomic
def case_update(*, actor: AbstractBaseUser, case: Case, **changes: Any) -> Case:
    changed = apply_changes(case, changes, {"title", "description", "time_zone"})
    case.save()
    audit_record(actor=actor, case=case, action="case.update", target=case, details=changed)
    return case


def no_active_account(*, user_id: object = None, name: object = None) -> str:
    """One answer for an account that does not exist and for one that is deactivated (or, for an e-mail
    address, shared by several): a lead may add a colleague, but not learn who has an account. The account
    is named by its id, or by the username or e-mail address given."""
    if name is None:
        message = gettext(
            "No active account matches user %(id)s; check it, or ask a staff member to create the account."
        )
        return message % {"id": user_id}
    message = gettext('No active account matches "%(name)s"; check it, or ask a staff member to create the account.')
    return message % {"name": name}


@transaction.atomic
def case_member_add_by(
    *,
    actor: AbstractBaseUser,
    case: Case,
    role: str,
    user_id: int | None = None,
    username: str | None = None,
    email: str | None = None,
) -> tuple[CaseMembership, bool]:
    """Adds the active account named by exactly one of its exact username, its e-mail address (in any case)
    or, for staff only, its id, to the case, or changes the role of a member (case_member_add). A name that
    matches no active account counts towards the actor's limit (MemberLookupThrottled)."""
    named = {"user": user_id, "username": username, "email": email}
    given = {field: value for field, value in named.items() if value is not None}
    if len(given) != 1:
        raise DomainError(gettext("Name the member by exactly one of user (an id), username or email."), field="user")
    ((field, value),) = given.items()
    if field == "user" and not user_may_name_accounts_by_id(user=actor):
        message = gettext("Name the colleague by username or email; only staff name accounts by id.")
        raise DomainError(message, field="user")
    failures_key = _ensure_lookups_left(actor)
    user = user_find_active(user_id=user_id, username=username, email=email)
    if user is None:
        counter_add(failures_key, settings.SLID_MEMBER_LOOKUP_WINDOW_MINUTES * 60)
        named_by = {"user_id": value} if field == "user" else {"name": value}
        raise DomainError(no_active_account(**named_by), field=field)
    return case_member_add(actor=actor, case=case, user=user, role=role)


class MemberLookupThrottled(DomainError):
    """The actor named too many colleagues that match no active account lately; ``wait`` is in seconds."""

    def __init__(self, message: str, *, wait: int) -> None:
        super().__init__(message)
        self.wait = wait


def _ensure_lookups_left(actor: AbstractBaseUser) -> str:
    """Raises MemberLookupThrottled once the actor has named SLID_MEMBER_LOOKUP_MAX_FAILURES colleagues that
    match no active account in the current window of SLID_MEMBER_LOOKUP_WINDOW_MINUTES; returns the key that
    counts the window's failures. The same answer for every miss tells a lead nothing about who has an
    account, and the limit stops a lead from guessing through a list of names."""
    seconds = settings.SLID_MEMBER_LOOKUP_WINDOW_MINUTES * 60
    now = time.time()
    key = f"member-lookup-failures:{actor.pk}:{int(now // seconds)}"
    if (cache.get(key) or 0) >= settings.SLID_MEMBER_LOOKUP_MAX_FAILURES:
        message = gettext(
            "You have named too many colleagues that match no active account; try again later, or ask a staff "
            "member for the exact username."
        )
        raise MemberLookupThrottled(message, wait=int(seconds - now % seconds) + 1)
    return key


@transaction.atomic
def case_member_add(
    *, actor: AbstractBaseUser, case: Case, user: AbstractBaseUser, role: str
) -> tuple[CaseMembership, bool]:
    """Adds ``user`` to the case, or changes the role of a member. Returns (membership, created)."""
    if not user.is_active:
        raise DomainError(no_active_account(user_id=user.pk), field="user")
    _lock_membership(case)
    membership = CaseMembership.objects.select_for_update().filter(case=case, user=user).first()
    if membership is None:
        membership = CaseMembership.objects.create(case=case, user=user, role=role, added_by=actor)
        audit_record(actor=actor, case=case, action="member.add", target=user, details={"role": role})
        return membership, True
    if membership.role == Role.LEAD and role != Role.LEAD:
        _ensure_another_lead(case=case, user=user)
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        actor=actor, case=case, action="member.change_role", target=user, details={"from": previous, "to": role}
    )
    return membership, False


@transaction.atomic
def case_member_remove(*, actor: AbstractBaseUser, case: Case, user: AbstractBaseUser) -> None:
    _lock_membership(case)
    membership = CaseMembership.objects.select_for_update().filter(case=case, user=user).first()
    if membership is None:
        message = gettext("User %(id)s is not a member of %(case)s.") % {"id": user.pk, "case": case.reference}
        raise DomainError(message, field="user")
    if membership.role == Role.LEAD:
        _ensure_another_lead(case=case, user=user)
    membership.delete()
    # Whoever leaves the case no longer reveals its witnesses, even if they come back.
    reader_of = reader_grants_remove(actor=actor, case=case, user=user)
    audit_record(
        actor=actor,
        case=case,
        action="member.remove",
        target=user,
        details={"role": membership.role, "reader_grants_removed": reader_of},
    )


def _lock_membership(case: Case) -> None:
    """Membership changes of one case happen one after the other. Locking the member rows alone is not
    enough: a member being added has no row to lock yet, and two leads demoting each other lock the
    same two rows in opposite orders (a deadlock). NO KEY: rows that refer to the case may still be added."""
    Case.objects.select_for_update(no_key=True).filter(pk=case.pk).values_list("pk").get()


def _ensure_another_lead(*, case: Case, user: AbstractBaseUser) -> None:
    leads = list(CaseMembership.objects.filter(case=case, role=Role.LEAD).exclude(user=user))
    if not leads:
        message = gettext("%(case)s must keep at least one lead; name another lead first.") % {"case": case.reference}
        raise DomainError(message, field="role")
