"""Witnesses and victims: their identities are sealed with the identity keys and revealed only
with an audit entry. A court package's identities are sealed the same way (``PackageIdentities``)."""

from collections.abc import Iterable
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from evidence import identity_crypto
from evidence.errors import DomainError, NotAllowed
from evidence.models import (
    IDENTITY_FIELDS,
    PSEUDONYM_PREFIX,
    AuditAction,
    Case,
    Export,
    PackageIdentities,
    ProtectedPerson,
)
from evidence.models.witnesses import VICTIM_FIELDS, ProtectedKind
from evidence.selectors.access import user_may_name_readers
from evidence.services.audit import audit_record

# The command that re-encrypts, named in its audit entries (it runs with no signed-in user).
ROTATION_AGENT = "manage.py rotate_identity_keys"
READERS_FOR_LEADS = gettext_noop("Only a lead of %(case)s names who may reveal an identity (readers).")


def _seal(person: ProtectedPerson, identity: dict) -> None:
    person.identity_key_id, person.identity_sealed = identity_crypto.encrypt(identity, bound_to=str(person.public_id))


def protected_identity(person: ProtectedPerson) -> dict:
    return identity_crypto.decrypt(person.identity_key_id, person.identity_sealed, bound_to=str(person.public_id))


@transaction.atomic
def protected_person_create(
    *, actor: AbstractBaseUser, case: Case, kind: str, identity: dict, readers: Iterable = ()
) -> ProtectedPerson:
    """Records a witness or victim under the case's next pseudonym, its identity encrypted. Only a lead
    names ``readers`` (who else may reveal the identity)."""
    readers = list(readers)
    if readers and not user_may_name_readers(user=actor, case=case):
        raise NotAllowed(gettext(READERS_FOR_LEADS) % {"case": case.reference})
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).get()
    prefix = PSEUDONYM_PREFIX[kind]
    taken = ProtectedPerson.objects.filter(case=case, kind=kind).count()
    person = ProtectedPerson(case=case, kind=kind, pseudonym=f"{prefix}-{taken + 1:04d}", created_by=actor)
    _seal(person, _checked_identity(kind, {name: identity.get(name) for name in _sealed_fields(kind)}))
    person.save()
    person.readers.set(_members_named(case, readers))
    audit_record(
        actor=actor,
        case=case,
        action=AuditAction(f"{kind}.create"),
        target=person.pseudonym,
        details={"readers": sorted(user.pk for user in person.readers.all())} if readers else None,
    )
    return person


def _members_named(case: Case, readers: Iterable) -> list:
    """The active members of the case among ``readers`` (users or user ids). Any other id, whether it
    is a user of another case, an inactive one or no user at all, gets the same answer, so the
    answer tells nothing about who exists."""
    wanted = list(dict.fromkeys(getattr(reader, "pk", reader) for reader in readers))
    found = get_user_model().objects.filter(pk__in=wanted, is_active=True, case_memberships__case=case)
    members = {user.pk: user for user in found}
    for user_id in wanted:
        if user_id not in members:
            message = gettext("User %(id)s is not a member of %(case)s.") % {"id": user_id, "case": case.reference}
            raise DomainError(message, field="readers")
    return [members[user_id] for user_id in wanted]


@transaction.atomic
def protected_person_update(
    *, actor: AbstractBaseUser, person: ProtectedPerson, identity: dict | None = None, readers: Iterable | None = None
) -> ProtectedPerson:
    """Changes the identity (the fields given; the others stay) or the readers. The row is locked
    before the identity is read, so two changes at once both land."""
    person = ProtectedPerson.objects.select_for_update().select_related("case").get(pk=person.pk)
    if readers is not None and not user_may_name_readers(user=actor, case=person.case):
        raise NotAllowed(gettext(READERS_FOR_LEADS) % {"case": person.case.reference})
    changed = []
    if identity:
        current = protected_identity(person)
        given = _checked_identity(person.kind, identity)
        merged = {**current, **{k: v for k, v in given.items() if k in _sealed_fields(person.kind)}}
        _seal(person, _checked_identity(person.kind, merged))
        person.save(update_fields=["identity_key_id", "identity_sealed"])
        changed.append("identity")
    if readers is not None:
        person.readers.set(_members_named(person.case, readers))
        changed.append("readers")
    audit_record(
        actor=actor,
        case=person.case,
        action=AuditAction(f"{person.kind}.update"),
        target=person.pseudonym,
        details={"changed": changed, "readers": sorted(person.readers.values_list("pk", flat=True))},
    )
    return person


def _sealed_fields(kind: str) -> tuple[str, ...]:
    return (*IDENTITY_FIELDS, *VICTIM_FIELDS) if kind == ProtectedKind.VICTIM else IDENTITY_FIELDS


def _checked_identity(kind: str, identity: dict) -> dict:
    """Refuses what cannot be: a victim's details on a witness, an age both exact and a range, a range
    upside down, a death in the future or before the birth. Returns the identity."""
    if kind != ProtectedKind.VICTIM:
        given = [name for name in VICTIM_FIELDS if identity.get(name) not in (None, "")]
        if given:
            raise DomainError(gettext("Only a victim has %(field)s.") % {"field": given[0]}, field=given[0])
        return identity
    age, age_from, age_to = identity.get("age"), identity.get("age_from"), identity.get("age_to")
    if age is not None and (age_from is not None or age_to is not None):
        raise DomainError(gettext("Give an exact age or an age range (age_from, age_to), not both."), field="age")
    if age_from is not None and age_to is not None and age_from > age_to:
        raise DomainError(gettext("age_to is below age_from."), field="age_to")
    died, born = _day(identity.get("date_of_death")), _day(identity.get("date_of_birth"))
    if died is not None and died > timezone.localdate():
        raise DomainError(gettext("date_of_death is in the future."), field="date_of_death")
    if died is not None and born is not None and died < born:
        raise DomainError(gettext("date_of_death is before date_of_birth."), field="date_of_death")
    return identity


def _day(value) -> date | None:
    """A date given, or as a sealed identity keeps it (its ISO text)."""
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@transaction.atomic
def protected_identity_reveal(*, actor: AbstractBaseUser, person: ProtectedPerson) -> dict:
    """The identity, for someone allowed to see it; every reveal is in the audit log."""
    action = AuditAction(f"{person.kind}.identity_reveal")
    audit_record(actor=actor, case=person.case, action=action, target=person.pseudonym)
    return protected_identity(person)


def reader_grants_remove(*, actor: AbstractBaseUser, case: Case, user: AbstractBaseUser) -> list[str]:
    """Takes ``user`` off the readers of every witness and victim of the case (the user is leaving
    it), each in the audit log; returns their pseudonyms. Runs inside the caller's transaction."""
    removed = []
    granted = ProtectedPerson.objects.select_for_update().filter(case=case, readers=user).order_by("pseudonym")
    for person in granted:
        person.readers.remove(user)
        audit_record(
            actor=actor,
            case=case,
            action=AuditAction(f"{person.kind}.update"),
            target=person.pseudonym,
            details={
                "changed": ["readers"],
                "readers": sorted(person.readers.values_list("pk", flat=True)),
                "removed_reader": user.pk,
                "because": "member.remove",
            },
        )
        removed.append(person.pseudonym)
    return removed


def identities_rotate_keys() -> int:
    """Re-encrypts every identity not under the current key, the witnesses' and victims' and those
    sealed in court packages, each with an audit entry; returns how many."""
    current = identity_crypto.current_key_id()
    rotated = 0
    for person_id in ProtectedPerson.objects.exclude(identity_key_id=current).values_list("pk", flat=True):
        with transaction.atomic():
            locked = ProtectedPerson.objects.select_for_update().select_related("case").get(pk=person_id)
            if locked.identity_key_id == current:
                continue  # changed since the list was read
            previous = locked.identity_key_id
            _seal(locked, protected_identity(locked))
            locked.save(update_fields=["identity_key_id", "identity_sealed"])
            _audit_rotation(locked.case, locked.pseudonym, previous, current, kind=locked.kind)
            rotated += 1
    for part_id in PackageIdentities.objects.exclude(identity_key_id=current).values_list("pk", flat=True):
        with transaction.atomic():
            part = PackageIdentities.objects.select_for_update().select_related("export__case").get(pk=part_id)
            if part.identity_key_id == current:
                continue
            previous = part.identity_key_id
            document = _package_document(part)
            part.identity_key_id, part.identity_sealed = identity_crypto.encrypt_bytes(
                document, bound_to=_package_binding(part.export)
            )
            part.save(update_fields=["identity_key_id", "identity_sealed"])
            _audit_rotation(part.export.case, str(part.export.public_id), previous, current, kind="package")
            rotated += 1
    return rotated


def _audit_rotation(case: Case, target: str, previous: str, current: str, *, kind: str) -> None:
    audit_record(
        actor=None,
        case=case,
        action=AuditAction.IDENTITY_KEY_ROTATE,
        target=target,
        details={"kind": kind, "from_key": previous, "to_key": current, "by": ROTATION_AGENT},
    )


def _package_binding(export: Export) -> str:
    # Not a person's public id: a package's sealed identities cannot pass for one person's, or move.
    return f"package:{export.public_id}"


def package_identities_seal(*, export: Export, document: bytes, persons: Iterable[ProtectedPerson]) -> None:
    """Stores a package's identities.json sealed; called in the transaction that marks it ready."""
    key_id, sealed = identity_crypto.encrypt_bytes(document, bound_to=_package_binding(export))
    part = PackageIdentities.objects.create(export=export, identity_key_id=key_id, identity_sealed=sealed)
    part.persons.set(persons)


def _package_document(part: PackageIdentities) -> bytes:
    return identity_crypto.decrypt_bytes(
        part.identity_key_id, part.identity_sealed, bound_to=_package_binding(part.export)
    )


def package_identities_document(*, export: Export) -> bytes:
    """The plain identities.json of a package, for the download of a lead (the caller has checked
    ``user_may_download_export`` and recorded the reveal with ``package_identities_reveal``)."""
    part = PackageIdentities.objects.select_related("export").get(export=export)
    return _package_document(part)


def package_identities_reveal(*, actor: AbstractBaseUser, export: Export, byte_range: str | None) -> list[str]:
    """One identity reveal per person a package names, for a download of it; inside the caller's
    transaction. Returns the pseudonyms."""
    part = PackageIdentities.objects.filter(export=export).first()
    if part is None:
        return []
    people = part.persons.order_by("kind", "pseudonym")
    for person in people:
        audit_record(
            actor=actor,
            case=export.case,
            action=AuditAction(f"{person.kind}.identity_reveal"),
            target=person.pseudonym,
            details={"export": str(export.public_id), "range": byte_range},
        )
    return [person.pseudonym for person in people]
