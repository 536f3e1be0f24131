"""Writes. Each is atomic and writes its audit entry in the same transaction."""

from collections.abc import Iterable
from typing import Any

import pghistory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.utils import timezone

from evidence.access import Role
from evidence.crimes import unknown_crime_codes
from evidence.errors import DomainError
from evidence.models import Allegation, AuditEntry, Case, CaseMembership, Incident, Person, Unit
from evidence.names import latin_form
from geo.selectors import admin_area_containing

UserModel = get_user_model()


def audit_record(
    *, actor: AbstractBaseUser | None, case: Case | None, action: str, target: object = "", details: dict | None = None
) -> AuditEntry:
    return AuditEntry.objects.create(actor=actor, case=case, action=action, target=str(target), details=details or {})


@transaction.atomic
def case_create(*, actor: AbstractBaseUser, reference: str, title: str, description: str = "") -> Case:
    """Creates a case; its creator becomes the first lead."""
    if Case.objects.filter(reference=reference).exists():
        raise DomainError(f"A case with reference {reference} already exists.", field="reference")
    case = Case.objects.create(reference=reference, title=title, description=description, created_by=actor)
    CaseMembership.objects.create(case=case, user=actor, role=Role.LEAD, added_by=actor)
    audit_record(actor=actor, case=case, action="case.create", target=case, details={"title": title})
    return case


@transaction.atomic
def case_update(*, actor: AbstractBaseUser, case: Case, **changes: Any) -> Case:
    changed = _apply(case, changes, {"title", "description"})
    case.save()
    audit_record(actor=actor, case=case, action="case.update", target=case, details=changed)
    return case


@transaction.atomic
def case_member_add(
    *, actor: AbstractBaseUser, case: Case, user: AbstractBaseUser, role: str
) -> tuple[CaseMembership, bool]:
    """Adds ``user`` to the case, or changes the role of a member. Returns (membership, created)."""
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
    membership = CaseMembership.objects.select_for_update().filter(case=case, user=user).first()
    if membership is None:
        raise DomainError(f"User {user.pk} is not a member of {case.reference}.", field="user")
    if membership.role == Role.LEAD:
        _ensure_another_lead(case=case, user=user)
    membership.delete()
    audit_record(actor=actor, case=case, action="member.remove", target=user, details={"role": membership.role})


def _ensure_another_lead(*, case: Case, user: AbstractBaseUser) -> None:
    # Lock every lead row so two leads cannot remove each other at the same moment.
    leads = list(CaseMembership.objects.select_for_update().filter(case=case, role=Role.LEAD).exclude(user=user))
    if not leads:
        raise DomainError(f"{case.reference} must keep at least one lead; name another lead first.", field="role")


@transaction.atomic
def user_ensure_admin(*, username: str, password: str, email: str = "") -> tuple[AbstractBaseUser, bool]:
    """Creates the superuser ``username`` unless it exists. Returns (user, created)."""
    user = UserModel.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = UserModel.objects.create_superuser(username=username, email=email, password=password)
    audit_record(actor=None, case=None, action="user.create_admin", target=username)
    return user, True


# --- Incidents, suspects and allegations -----------------------------------------------------

INCIDENT_FIELDS = {
    "title", "description", "occurred_from", "occurred_to", "date_precision", "location", "location_uncertainty_m",
    "place_name", "crimes", "killed", "injured", "missing", "detained", "status",
}  # fmt: skip
UNIT_FIELDS = {"name", "designation", "parent", "notes"}
PERSON_FIELDS = {
    "full_name", "other_names", "date_of_birth", "rank", "position", "nationality", "identifiers", "unit",
}  # fmt: skip
ALLEGATION_FIELDS = {"incident", "person", "unit", "role", "basis", "confidence", "status"}


def _apply(instance: models.Model, changes: dict[str, Any], allowed: set[str]) -> dict[str, dict[str, str]]:
    """Sets the allowed fields; returns what changed, for the audit entry."""
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise DomainError(f"{unknown[0]} cannot be set here.", field=unknown[0])
    changed = {}
    for name, value in changes.items():
        before = getattr(instance, name, None)  # None for a relation not set yet
        if before != value:
            changed[name] = {"from": str(before), "to": str(value)}
            setattr(instance, name, value)
    return changed


def _check_same_case(case: Case, **related: models.Model | None) -> None:
    for field, obj in related.items():
        if obj is not None and obj.case_id != case.pk:
            raise DomainError(f"{field} {obj.pk} belongs to another case.", field=field)


def _check_incident(incident: Incident) -> None:
    if incident.occurred_to is not None and incident.occurred_to < incident.occurred_from:
        raise DomainError("The end is before the start (occurred_from).", field="occurred_to")
    unknown = unknown_crime_codes(incident.crimes)
    if unknown:
        raise DomainError(f"Unknown crime code {unknown[0]!r}; see /api/v1/crimes/.", field="crimes")
    incident.crimes = sorted(set(incident.crimes))


def _history(actor: AbstractBaseUser | None, action: str) -> pghistory.context:
    return pghistory.context(user=actor.pk if actor else None, action=action)


@transaction.atomic
def incident_create(*, actor: AbstractBaseUser | None, case: Case, **fields: Any) -> Incident:
    incident = Incident(case=case, created_by=actor, updated_by=actor)
    _apply(incident, fields, INCIDENT_FIELDS)
    _check_incident(incident)
    incident.admin_area = admin_area_containing(incident.location)
    with _history(actor, "incident.create"):
        incident.save()
    audit_record(actor=actor, case=case, action="incident.create", target=incident.public_id)
    return incident


@transaction.atomic
def incident_update(*, actor: AbstractBaseUser, incident: Incident, **changes: Any) -> Incident:
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    changed = _apply(incident, changes, INCIDENT_FIELDS)
    if not changed:
        return incident
    _check_incident(incident)
    if "location" in changed:
        incident.admin_area = admin_area_containing(incident.location)
    incident.updated_by = actor
    incident.updated_at = timezone.now()
    with _history(actor, "incident.update"):
        incident.save()
    audit_record(actor=actor, case=incident.case, action="incident.update", target=incident.public_id, details=changed)
    return incident


def incidents_assign_admin_areas(incidents: Iterable[Incident]) -> int:
    """Re-computes the admin area of each incident (after boundaries were imported). Returns how many changed."""
    changed = 0
    with _history(None, "incident.assign_admin_areas"):
        for incident in incidents:
            area = admin_area_containing(incident.location)
            if area != incident.admin_area:
                Incident.objects.filter(pk=incident.pk).update(admin_area=area)
                changed += 1
    return changed


def _check_unit_parent(unit: Unit) -> None:
    _check_same_case(unit.case, parent=unit.parent)
    ancestor = unit.parent
    while ancestor is not None:
        if ancestor.pk == unit.pk:
            raise DomainError("A unit cannot be placed under itself or its own subordinate.", field="parent")
        ancestor = ancestor.parent


@transaction.atomic
def unit_create(*, actor: AbstractBaseUser | None, case: Case, **fields: Any) -> Unit:
    unit = Unit(case=case)
    _apply(unit, fields, UNIT_FIELDS)
    _check_unit_parent(unit)
    unit.save()
    audit_record(actor=actor, case=case, action="unit.create", target=unit.public_id)
    return unit


@transaction.atomic
def unit_update(*, actor: AbstractBaseUser, unit: Unit, **changes: Any) -> Unit:
    changed = _apply(unit, changes, UNIT_FIELDS)
    _check_unit_parent(unit)
    unit.save()
    audit_record(actor=actor, case=unit.case, action="unit.update", target=unit.public_id, details=changed)
    return unit


def _prepare_person(person: Person) -> None:
    _check_same_case(person.case, unit=person.unit)
    names = [person.full_name, *person.other_names]
    person.search_names = " | ".join(dict.fromkeys(latin_form(name) for name in names if name.strip()))


@transaction.atomic
def person_create(*, actor: AbstractBaseUser | None, case: Case, **fields: Any) -> Person:
    person = Person(case=case)
    _apply(person, fields, PERSON_FIELDS)
    _prepare_person(person)
    person.save()
    audit_record(actor=actor, case=case, action="person.create", target=person.public_id)
    return person


@transaction.atomic
def person_update(*, actor: AbstractBaseUser, person: Person, **changes: Any) -> Person:
    changed = _apply(person, changes, PERSON_FIELDS)
    _prepare_person(person)
    person.save()
    audit_record(actor=actor, case=person.case, action="person.update", target=person.public_id, details=changed)
    return person


def _check_allegation(allegation: Allegation) -> None:
    if (allegation.person is None) == (allegation.unit is None):
        raise DomainError("An allegation names either a person or a unit, not both and not neither.", field="person")
    _check_same_case(allegation.case, incident=allegation.incident, person=allegation.person, unit=allegation.unit)


@transaction.atomic
def allegation_create(*, actor: AbstractBaseUser | None, case: Case, **fields: Any) -> Allegation:
    allegation = Allegation(case=case, created_by=actor)
    _apply(allegation, fields, ALLEGATION_FIELDS)
    _check_allegation(allegation)
    allegation.save()
    audit_record(actor=actor, case=case, action="allegation.create", target=allegation.public_id)
    return allegation


@transaction.atomic
def allegation_update(*, actor: AbstractBaseUser, allegation: Allegation, **changes: Any) -> Allegation:
    changed = _apply(allegation, changes, ALLEGATION_FIELDS)
    _check_allegation(allegation)
    allegation.save()
    audit_record(
        actor=actor, case=allegation.case, action="allegation.update", target=allegation.public_id, details=changed
    )
    return allegation
