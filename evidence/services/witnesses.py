"""Witnesses and victims: their identities are sealed with the identity keys and revealed only
with an audit entry."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from evidence import identity_crypto
from evidence.errors import DomainError
from evidence.models import (
    IDENTITY_FIELDS,
    PSEUDONYM_PREFIX,
    AuditAction,
    Case,
    ProtectedPerson,
)
from evidence.services.audit import audit_record


def _seal(person: ProtectedPerson, identity: dict) -> None:
    person.identity_key_id, person.identity_sealed = identity_crypto.encrypt(identity, bound_to=str(person.public_id))


def protected_identity(person: ProtectedPerson) -> dict:
    return identity_crypto.decrypt(person.identity_key_id, person.identity_sealed, bound_to=str(person.public_id))


@transaction.atomic
def protected_person_create(
    *, actor: AbstractBaseUser, case: Case, kind: str, identity: dict, readers: Iterable = ()
) -> ProtectedPerson:
    """Records a witness or victim under the case's next pseudonym, its identity encrypted."""
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).get()
    prefix = PSEUDONYM_PREFIX[kind]
    taken = ProtectedPerson.objects.filter(case=case, kind=kind).count()
    person = ProtectedPerson(case=case, kind=kind, pseudonym=f"{prefix}-{taken + 1:04d}", created_by=actor)
    _seal(person, {name: identity.get(name) for name in IDENTITY_FIELDS})
    person.save()
    person.readers.set(_members_only(case, readers))
    audit_record(actor=actor, case=case, action=AuditAction(f"{kind}.create"), target=person.pseudonym)
    return person


def _members_only(case: Case, users: Iterable) -> list:
    users = list(users)
    members = set(case.memberships.filter(user__in=users).values_list("user_id", flat=True))
    for user in users:
        if user.pk not in members:
            raise DomainError(f"User {user.pk} is not a member of {case.reference}.", field="readers")
    return users


@transaction.atomic
def protected_person_update(
    *, actor: AbstractBaseUser, person: ProtectedPerson, identity: dict | None = None, readers: Iterable | None = None
) -> ProtectedPerson:
    changed = []
    if identity:
        current = protected_identity(person)
        _seal(person, {**current, **{k: v for k, v in identity.items() if k in IDENTITY_FIELDS}})
        person.save(update_fields=["identity_key_id", "identity_sealed"])
        changed.append("identity")
    if readers is not None:
        person.readers.set(_members_only(person.case, readers))
        changed.append("readers")
    audit_record(
        actor=actor,
        case=person.case,
        action=AuditAction(f"{person.kind}.update"),
        target=person.pseudonym,
        details={"changed": changed, "readers": sorted(person.readers.values_list("pk", flat=True))},
    )
    return person


@transaction.atomic
def protected_identity_reveal(*, actor: AbstractBaseUser, person: ProtectedPerson) -> dict:
    """The identity, for someone allowed to see it; every reveal is in the audit log."""
    action = AuditAction(f"{person.kind}.identity_reveal")
    audit_record(actor=actor, case=person.case, action=action, target=person.pseudonym)
    return protected_identity(person)


def identities_rotate_keys() -> int:
    """Re-encrypts every identity not under the current key; returns how many."""
    current = identity_crypto.current_key_id()
    rotated = 0
    for person in ProtectedPerson.objects.exclude(identity_key_id=current).iterator():
        with transaction.atomic():
            locked = ProtectedPerson.objects.select_for_update().get(pk=person.pk)
            _seal(locked, protected_identity(locked))
            locked.save(update_fields=["identity_key_id", "identity_sealed"])
            rotated += 1
    return rotated
