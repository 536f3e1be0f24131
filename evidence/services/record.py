"""Writes to the record: incidents, units, persons and allegations. Nothing is ever deleted;
each change is audited (and incidents keep every revision)."""

import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from evidence.crimes import unknown_crime_codes
from evidence.dates import place_moment
from evidence.errors import DomainError
from evidence.models import (
    Allegation,
    AuditAction,
    Case,
    Incident,
    IncidentStatus,
    Person,
    PersonAssignment,
    Unit,
)
from evidence.names import latin_form
from evidence.national_offences import unknown_national_offence_codes
from evidence.services.audit import audit_record
from evidence.services.common import apply_changes, check_same_case, history_context, set_protected_persons
from evidence.services.intake import incident_distances_refresh
from evidence.services.reviews import reopen_fields, review_reopen
from geo.safeguards import location_warnings
from geo.selectors import admin_area_containing

INCIDENT_FIELDS = {
    "title", "description", "occurred_from", "occurred_to", "date_precision", "location", "location_uncertainty_m",
    "place_name", "crimes", "national_offences", "killed", "injured", "missing", "detained", "status",
}  # fmt: skip


UNIT_FIELDS = {"name", "designation", "parent", "notes"}


PERSON_FIELDS = {
    "full_name", "other_names", "date_of_birth", "rank", "position", "nationality", "identifiers", "unit",
}  # fmt: skip


ALLEGATION_FIELDS = {"incident", "person", "unit", "role", "basis", "confidence", "status"}


# How each of the incident's moments was given: its UTC offset, and the case's time zone when it had none.
INCIDENT_MOMENT_FIELDS = {
    "occurred_from_offset", "occurred_from_time_zone", "occurred_to_offset", "occurred_to_time_zone",
}  # fmt: skip


def _place_dates(fields: dict[str, Any], *, time_zone: str) -> dict[str, Any]:
    """A bare date (or a time without an offset) means that day (or time) in the case's time zone:
    occurred_from from the day's start, occurred_to to its end. Returns how each was given
    (``<name>_offset``, ``<name>_time_zone``), which PostgreSQL does not keep with the moment."""
    given: dict[str, Any] = {}
    for name, end_of_day in (("occurred_from", False), ("occurred_to", True)):
        if name not in fields:
            continue
        if fields[name] is None:
            given.update({f"{name}_offset": None, f"{name}_time_zone": ""})
            continue
        placed = place_moment(fields[name], time_zone=time_zone, end_of_day=end_of_day)
        fields[name] = placed.at
        given.update({f"{name}_offset": placed.offset_minutes, f"{name}_time_zone": placed.time_zone})
    return given


# Set by a review with a second pair of eyes only (evidence.services.reviews), never by writing the record.
REVIEW_VERDICTS = (IncidentStatus.VERIFIED, IncidentStatus.REJECTED)


def _check_status_given(fields: dict[str, Any], *, now: str | None = None) -> None:
    """Refuses a verdict given as a change (the one the incident has already may be repeated, as a form does)."""
    if fields.get("status") in REVIEW_VERDICTS and fields["status"] != now:
        message = gettext(
            "%(status)s is a reviewer's verdict: submit the incident for review, and a legal member or a lead who "
            "did not make the last change verifies or rejects it (POST /api/v1/incidents/{id}/verify/ or reject/)."
        )
        raise DomainError(message % {"status": fields["status"]}, field="status")


def _check_incident(incident: Incident) -> None:
    if incident.occurred_to is not None and incident.occurred_to < incident.occurred_from:
        raise DomainError(gettext("The end is before the start (occurred_from)."), field="occurred_to")
    unknown = unknown_crime_codes(incident.crimes)
    if unknown:
        message = gettext("Unknown crime code %(code)s; see /api/v1/crimes/.") % {"code": repr(unknown[0])}
        raise DomainError(message, field="crimes")
    incident.crimes = sorted(set(incident.crimes))
    unknown = unknown_national_offence_codes(incident.national_offences)
    if unknown:
        message = gettext("Unknown article of the Criminal Code of Ukraine %(code)s; see /api/v1/national-offences/.")
        raise DomainError(message % {"code": repr(unknown[0])}, field="national_offences")
    incident.national_offences = sorted(set(incident.national_offences))


@transaction.atomic
def incident_create(*, actor: AbstractBaseUser | None, case: Case, **fields: Any) -> Incident:
    people = fields.pop("protected_persons", None)
    incident = Incident(case=case, created_by=actor, updated_by=actor)
    _check_status_given(fields)
    given = _place_dates(fields, time_zone=case.time_zone)
    apply_changes(incident, fields, INCIDENT_FIELDS)
    apply_changes(incident, given, INCIDENT_MOMENT_FIELDS)
    _check_incident(incident)
    incident.admin_area = admin_area_containing(incident.location)
    incident.warnings = location_warnings(incident.location)
    with history_context(actor, "incident.create"):
        incident.save()
    linked = _link_protected_persons(incident, people)
    details = {"protected_persons": linked["protected_persons"]["to"]} if linked else None
    audit_record(actor=actor, case=case, action="incident.create", target=incident.public_id, details=details)
    return incident


def _link_protected_persons(incident: Incident, people: Iterable | None) -> dict:
    """Links the witnesses and victims given (None: leaves the links as they are); returns the change
    by pseudonym for the audit entry, empty if there is none. The incident's revision history does
    not hold its links, so the audit log is where a change of them is seen."""
    if people is None:
        return {}
    before = sorted(incident.protected_persons.values_list("pseudonym", flat=True))
    set_protected_persons(incident, people)
    after = sorted(incident.protected_persons.values_list("pseudonym", flat=True))
    return {} if before == after else {"protected_persons": {"from": before, "to": after}}


@transaction.atomic
def incident_update(*, actor: AbstractBaseUser, incident: Incident, **changes: Any) -> Incident:
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    _check_status_given(changes, now=incident.status)
    # Read before the change: a status given with the change (the form sends one) must not hide the reopening.
    was_sealed = incident.status == IncidentStatus.VERIFIED
    linked = _link_protected_persons(incident, changes.pop("protected_persons", None))
    given = _place_dates(changes, time_zone=incident.case.time_zone)
    changed = apply_changes(incident, changes, INCIDENT_FIELDS)
    # The same moment given in another offset is a change too: the record says how it was given.
    changed.update(apply_changes(incident, given, INCIDENT_MOMENT_FIELDS))
    if not changed:
        if linked:
            audit_record(
                actor=actor, case=incident.case, action="incident.update", target=incident.public_id, details=linked
            )
        return incident
    _check_incident(incident)
    if "location" in changed:
        incident.admin_area = admin_area_containing(incident.location)
        incident.warnings = location_warnings(incident.location)
    incident.updated_by = actor
    incident.updated_at = timezone.now()
    # A verified incident is sealed: any change reopens its review, in the same revision as the change. A status
    # given with it (back to draft, or under review) is kept, but the reopening is marked and recorded all the same.
    reopened = was_sealed
    if was_sealed:
        if incident.status == IncidentStatus.VERIFIED:
            reopen_fields(incident)
        else:
            incident.reopened_at = timezone.now()
    with history_context(actor, "incident.update"):
        incident.save()
    if reopened:
        review_reopen(actor=actor, obj=incident, changed=changed)
    if "location" in changed:
        incident_distances_refresh(incident)
    audit_record(
        actor=actor,
        case=incident.case,
        action="incident.update",
        target=incident.public_id,
        details={**changed, **linked},
    )
    return incident


def incidents_assign_admin_areas(incidents: Iterable[Incident], *, actor: AbstractBaseUser | None = None) -> int:
    """Re-computes the admin area of each incident (after boundaries were imported); each change is in the
    incident's revisions, by ``actor``. Returns how many changed."""
    changed = 0
    with history_context(actor, "incident.assign_admin_areas"):
        for incident in incidents:
            area = admin_area_containing(incident.location)
            if (area.pk if area else None) != incident.admin_area_id:
                Incident.objects.filter(pk=incident.pk).update(admin_area=area)
                changed += 1
    return changed


def incidents_check_locations(incidents: Iterable[Incident]) -> int:
    """Checks each incident's location again with the configured country and margin (geo.safeguards), and
    stores its warnings where they changed: after upgrading to a version that warns, or when
    SLID_COUNTRY_OUTLINE or SLID_COUNTRY_MARGIN_M changed. Warnings are not part of the incident's record
    (not in its revisions), so nothing else is written. Returns how many incidents' warnings changed."""
    changed = 0
    for incident in incidents:
        warnings = location_warnings(incident.location)
        if warnings != incident.warnings:
            Incident.objects.filter(pk=incident.pk).update(warnings=warnings)
            changed += 1
    return changed


def _check_unit_parent(unit: Unit) -> None:
    check_same_case(unit.case, parent=unit.parent)
    ancestor = unit.parent
    while ancestor is not None:
        if ancestor.pk == unit.pk:
            message = gettext("A unit cannot be placed under itself or its own subordinate.")
            raise DomainError(message, field="parent")
        ancestor = ancestor.parent
    unit.search_names = unit_search_names(name=unit.name, designation=unit.designation)


def unit_search_names(*, name: str, designation: str) -> str:
    """What a unit is found by: its name and designation in Latin letters, lower case (as a person's names)."""
    return " | ".join(dict.fromkeys(latin_form(text) for text in (name, designation) if text.strip()))


def _record_create(obj: models.Model, *, actor, fields: dict, allowed: set[str], check, action: str):
    """The shape of every simple create: set the allowed fields, check, save, audit."""
    apply_changes(obj, fields, allowed)
    check(obj)
    with history_context(actor, action):
        obj.save()
    audit_record(actor=actor, case=obj.case, action=action, target=obj.public_id)
    return obj


def _record_update(obj: models.Model, *, actor, changes: dict, allowed: set[str], check, action: str):
    changed = apply_changes(obj, changes, allowed)
    check(obj)
    with history_context(actor, action):
        obj.save()
    audit_record(actor=actor, case=obj.case, action=action, target=obj.public_id, details=changed)
    return obj


@transaction.atomic
def unit_create(*, actor: AbstractBaseUser | None, case: Case, **fields: Any) -> Unit:
    return _record_create(
        Unit(case=case), actor=actor, fields=fields, allowed=UNIT_FIELDS, check=_check_unit_parent, action="unit.create"
    )


@transaction.atomic
def unit_update(*, actor: AbstractBaseUser, unit: Unit, **changes: Any) -> Unit:
    return _record_update(
        unit, actor=actor, changes=changes, allowed=UNIT_FIELDS, check=_check_unit_parent, action="unit.update"
    )


def _prepare_person(person: Person) -> None:
    check_same_case(person.case, unit=person.unit)
    if person.pk is not None and person.date_of_birth is not None:
        first = person.allegations.select_related("incident").order_by("incident__occurred_from").first()
        if first is not None:
            _check_born_before(person, first.incident, field="date_of_birth")
    names = [person.full_name, *person.other_names]
    person.search_names = " | ".join(dict.fromkeys(latin_form(name) for name in names if name.strip()))


@transaction.atomic
def person_create(*, actor: AbstractBaseUser | None, case: Case, **fields: Any) -> Person:
    return _record_create(
        Person(case=case), actor=actor, fields=fields, allowed=PERSON_FIELDS, check=_prepare_person,
        action="person.create",
    )  # fmt: skip


@transaction.atomic
def person_update(*, actor: AbstractBaseUser, person: Person, **changes: Any) -> Person:
    return _record_update(
        person, actor=actor, changes=changes, allowed=PERSON_FIELDS, check=_prepare_person, action="person.update"
    )


def _check_allegation(allegation: Allegation) -> None:
    if (allegation.person is None) == (allegation.unit is None):
        message = gettext("An allegation names either a person or a unit, not both and not neither.")
        raise DomainError(message, field="person")
    check_same_case(allegation.case, incident=allegation.incident, person=allegation.person, unit=allegation.unit)
    if allegation.person is not None and allegation.person.date_of_birth is not None:
        _check_born_before(allegation.person, allegation.incident, field="person")


def _check_born_before(person: Person, incident: Incident, *, field: str) -> None:
    """Refuses a person born after an incident alleged against them (its day in the case's time zone)."""
    day = incident.occurred_from.astimezone(zoneinfo.ZoneInfo(incident.case.time_zone)).date()
    if person.date_of_birth > day:
        message = gettext("%(name)s was born on %(born)s, after incident %(id)s of %(day)s.") % {
            "name": person.full_name, "born": person.date_of_birth, "id": incident.pk, "day": day,
        }  # fmt: skip
        raise DomainError(message, field=field)


@transaction.atomic
def allegation_create(*, actor: AbstractBaseUser | None, case: Case, **fields: Any) -> Allegation:
    return _record_create(
        Allegation(case=case, created_by=actor), actor=actor, fields=fields, allowed=ALLEGATION_FIELDS,
        check=_check_allegation, action="allegation.create",
    )  # fmt: skip


@transaction.atomic
def allegation_update(*, actor: AbstractBaseUser, allegation: Allegation, **changes: Any) -> Allegation:
    return _record_update(
        allegation, actor=actor, changes=changes, allowed=ALLEGATION_FIELDS, check=_check_allegation,
        action="allegation.update",
    )  # fmt: skip


ASSIGNMENT_FIELDS = {"unit", "rank", "position", "valid_from", "valid_to", "basis"}


def _check_assignment(assignment: PersonAssignment) -> None:
    check_same_case(assignment.person.case, unit=assignment.unit)
    if assignment.valid_to is not None and assignment.valid_to < assignment.valid_from:
        raise DomainError(gettext("The end is before the start (valid_from)."), field="valid_to")
    born = assignment.person.date_of_birth
    if born is not None and assignment.valid_from < born:
        message = gettext("%(name)s was born on %(born)s, after valid_from.") % {
            "name": assignment.person.full_name, "born": born,
        }  # fmt: skip
        raise DomainError(message, field="valid_from")


@transaction.atomic
def person_assignment_create(*, actor: AbstractBaseUser | None, person: Person, **fields: Any) -> PersonAssignment:
    """Records what the person was from one day to another (rank, position, unit); revisioned and audited."""
    assignment = PersonAssignment(person=person, created_by=actor)
    apply_changes(assignment, fields, ASSIGNMENT_FIELDS)
    _check_assignment(assignment)
    with history_context(actor, "person_assignment.create"):
        assignment.save()
    audit_record(
        actor=actor, case=person.case, action=AuditAction.PERSON_ASSIGNMENT_CREATE, target=assignment.public_id,
        details={"person": str(person.public_id)},
    )  # fmt: skip
    return assignment


@transaction.atomic
def person_assignment_update(
    *, actor: AbstractBaseUser, assignment: PersonAssignment, **changes: Any
) -> PersonAssignment:
    assignment = PersonAssignment.objects.select_for_update().select_related("person__case").get(pk=assignment.pk)
    changed = apply_changes(assignment, changes, ASSIGNMENT_FIELDS)
    if not changed:
        return assignment
    _check_assignment(assignment)
    with history_context(actor, "person_assignment.update"):
        assignment.save()
    audit_record(
        actor=actor, case=assignment.person.case, action=AuditAction.PERSON_ASSIGNMENT_UPDATE,
        target=assignment.public_id, details=changed,
    )  # fmt: skip
    return assignment
