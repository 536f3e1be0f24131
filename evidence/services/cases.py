"""Writes to cases and their membership. A case always keeps at least one lead."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from evidence.errors import DomainError
from evidence.models import (
    DEFAULT_TIME_ZONE,
    Case,
    CaseMembership,
    Role,
)
from evidence.services.audit import audit_record
from evidence.services.common import apply_changes
from evidence.services.witnesses import reader_grants_remove


@transaction.atomic
def case_create(
    *, actor: AbstractBaseUser, reference: str, title: str, description: str = "", time_zone: str = DEFAULT_TIME_ZONE
) -> Case:
    """Creates a case; its creator becomes the first lead. Bare dates given for the case mean days in ``time_zone``."""
    if Case.objects.filter(reference=reference).exists():
        raise DomainError(f"A case with reference {reference} already exists.", field="reference")
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


@transaction.atomic
def case_member_add(
    *, actor: AbstractBaseUser, case: Case, user: AbstractBaseUser, role: str
) -> tuple[CaseMembership, bool]:
    """Adds ``user`` to the case, or changes the role of a member. Returns (membership, created)."""
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
        raise DomainError(f"User {user.pk} is not a member of {case.reference}.", field="user")
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
        raise DomainError(f"{case.reference} must keep at least one lead; name another lead first.", field="role")
