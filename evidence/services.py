"""Writes. Each is atomic and writes its audit entry in the same transaction."""

import json
import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pghistory
from celery import current_app as current_celery_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.core.files import File
from django.core.files.storage import storages
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from rest_framework.authtoken.models import Token

from evidence import custody, identity_crypto, register, request_context, selectors
from evidence.access import Action, Role
from evidence.agents import Agent
from evidence.crimes import unknown_crime_codes
from evidence.errors import DomainError, NotAllowed
from evidence.models import (
    IDENTITY_FIELDS,
    PSEUDONYM_PREFIX,
    Allegation,
    AuditEntry,
    Case,
    CaseMembership,
    CustodyEntry,
    CustodyEvent,
    EvidenceIncidentLink,
    EvidenceItem,
    EvidenceStatus,
    Export,
    ExportProfile,
    ExportStatus,
    Incident,
    Outcome,
    Person,
    ProtectedPerson,
    Unit,
)
from evidence.names import latin_form
from geo.selectors import admin_area_containing, as_geography

logger = logging.getLogger(__name__)

EVIDENCE_SUBMITTED_FIELDS = {
    "title", "description", "kind", "source_type", "source", "source_url", "captured_at", "acquired_at",
    "submitted_sha256", "confidentiality",
}  # fmt: skip

UserModel = get_user_model()


def audit_record(
    *, actor: AbstractBaseUser | None, case: Case | None, action: str, target: object = "", details: dict | None = None
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor,
        case=case,
        action=action,
        target=str(target),
        details=details or {},
        source_ip=request_context.source_ip.get(),
    )


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


def _set_protected_persons(obj: Incident | EvidenceItem, people: Iterable | None) -> None:
    """Links witnesses and victims of the same case (they are shown by pseudonym only)."""
    if people is None:
        return
    people = list(people)
    for person in people:
        _check_same_case(obj.case, protected_persons=person)
    obj.protected_persons.set(people)


@transaction.atomic
def incident_create(*, actor: AbstractBaseUser | None, case: Case, **fields: Any) -> Incident:
    people = fields.pop("protected_persons", None)
    incident = Incident(case=case, created_by=actor, updated_by=actor)
    _apply(incident, fields, INCIDENT_FIELDS)
    _check_incident(incident)
    incident.admin_area = admin_area_containing(incident.location)
    with _history(actor, "incident.create"):
        incident.save()
    _set_protected_persons(incident, people)
    audit_record(actor=actor, case=case, action="incident.create", target=incident.public_id)
    return incident


@transaction.atomic
def incident_update(*, actor: AbstractBaseUser, incident: Incident, **changes: Any) -> Incident:
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    _set_protected_persons(incident, changes.pop("protected_persons", None))
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


def _record_create(obj: models.Model, *, actor, fields: dict, allowed: set[str], check, action: str):
    """The shape of every simple create: set the allowed fields, check, save, audit."""
    _apply(obj, fields, allowed)
    check(obj)
    obj.save()
    audit_record(actor=actor, case=obj.case, action=action, target=obj.public_id)
    return obj


def _record_update(obj: models.Model, *, actor, changes: dict, allowed: set[str], check, action: str):
    changed = _apply(obj, changes, allowed)
    check(obj)
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
    _check_same_case(person.case, unit=person.unit)
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
        raise DomainError("An allegation names either a person or a unit, not both and not neither.", field="person")
    _check_same_case(allegation.case, incident=allegation.incident, person=allegation.person, unit=allegation.unit)


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


# --- Evidence intake, processing results and custody -------------------------------------------


def custody_append(
    *,
    item: EvidenceItem,
    event_type: str,
    agent: Agent,
    outcome: str = Outcome.SUCCESS,
    detail: str = "",
    details: dict | None = None,
) -> CustodyEntry:
    """Appends an entry to the item's chain. Takes the item's row lock, so entries never race."""
    EvidenceItem.objects.select_for_update().filter(pk=item.pk).values_list("pk", flat=True).get()
    last = item.custody.order_by("-sequence").values("sequence", "entry_hash").first()
    entry = CustodyEntry(
        evidence=item,
        sequence=(last["sequence"] + 1) if last else 1,
        event_type=event_type,
        outcome=outcome,
        detail=detail,
        details=details or {},
        agent=agent.name,
        agent_details=agent.details,
        user=agent.user,
        occurred_at=timezone.now(),
        previous_hash=last["entry_hash"] if last else custody.GENESIS_HASH,
    )
    # JSONB gives back what it stored; hash exactly that, so recomputing later gives the same bytes.
    entry.details = json.loads(json.dumps(entry.details, default=str))
    entry.entry_hash = custody.entry_hash(custody.entry_fields(entry, item.public_id))
    entry.save()
    return entry


def _enqueue(task_name: str, *args: Any) -> None:
    """Sends a task to the broker named by the settings; a broker that is down is logged, not raised:
    the sweep re-enqueues whatever is left waiting."""
    try:
        with current_celery_app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
            current_celery_app.send_task(
                task_name,
                args=args,
                connection=connection,
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5},
            )
    except Exception:
        logger.warning("Could not enqueue %s%s; the sweep will retry", task_name, args, exc_info=True)


def evidence_enqueue_processing(item_id: int) -> None:
    _enqueue("workers.tasks.process_evidence", item_id)


@transaction.atomic
def evidence_receive(
    *,
    actor: AbstractBaseUser,
    case: Case,
    upload: File,
    original_filename: str,
    incidents: Iterable[Incident] = (),
    protected_persons: Iterable | None = None,
    **fields: Any,
) -> EvidenceItem:
    """Accepts an uploaded file: stores it in the intake store, numbers it, writes the first custody
    entry and, once committed, asks a worker to process it."""
    unknown = sorted(set(fields) - EVIDENCE_SUBMITTED_FIELDS)
    if unknown:
        raise DomainError(f"{unknown[0]} cannot be set here.", field=unknown[0])
    if "\x00" in original_filename:
        # PostgreSQL cannot store it, and keeping the name exactly as given matters more than accepting it.
        raise DomainError("The file name contains a NUL character; rename the file and send it again.", field="file")
    incidents = list(incidents)
    for incident in incidents:
        _check_same_case(case, incidents=incident)
    case = Case.objects.select_for_update().get(pk=case.pk)
    case.evidence_counter += 1
    case.save(update_fields=["evidence_counter"])
    intake = storages["intake"]
    intake_key = intake.save(f"{case.public_id}/{uuid.uuid4()}", upload)
    try:
        item = EvidenceItem.objects.create(
            case=case,
            ern=f"{case.reference}-{case.evidence_counter:06d}",
            original_filename=original_filename,
            intake_key=intake_key,
            received_by=actor,
            **fields,
        )
        agent = Agent.for_user(actor)
        custody_append(
            item=item,
            event_type=CustodyEvent.RECEIVED,
            agent=agent,
            detail=f"Received {original_filename!r} ({upload.size} bytes) from {agent.name}",
            details={"original_filename": original_filename, "size_bytes": upload.size, "intake_key": intake_key},
        )
        for incident in incidents:
            _link(item=item, incident=incident, agent=agent)
        _set_protected_persons(item, protected_persons)
        audit_record(actor=actor, case=case, action="evidence.receive", target=item.ern)
    except BaseException:
        intake.delete(intake_key)  # nothing half-written: no file without its record
        raise
    transaction.on_commit(lambda: evidence_enqueue_processing(item.pk))
    return item


def _link(*, item: EvidenceItem, incident: Incident, agent: Agent) -> None:
    EvidenceIncidentLink.objects.create(evidence=item, incident=incident, linked_by=agent.user)
    custody_append(
        item=item,
        event_type=CustodyEvent.LINKED,
        agent=agent,
        detail=f"Linked to incident {incident.pk} ({incident.title})",
        details={"incident": incident.pk, "incident_public_id": str(incident.public_id)},
    )


@transaction.atomic
def evidence_link_incident(*, actor: AbstractBaseUser, item: EvidenceItem, incident: Incident) -> None:
    _check_same_case(item.case, incident=incident)
    if item.incident_links.filter(incident=incident).exists():
        raise DomainError(f"{item.ern} is already linked to incident {incident.pk}.", field="incident")
    _link(item=item, incident=incident, agent=Agent.for_user(actor))
    if item.captured_location is not None:
        _record_incident_distances(item)
    audit_record(
        actor=actor, case=item.case, action="evidence.link", target=item.ern, details={"incident": incident.pk}
    )


def evidence_claim(*, item_id: int) -> tuple[EvidenceItem, uuid.UUID] | None:
    """Claims an item for processing with one conditional UPDATE, so only one worker proceeds: an
    item just received, or one whose earlier claim is so old that its worker must be gone."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.SLID_PROCESSING_STALE_SECONDS)
    token = uuid.uuid4()
    claimed = (
        EvidenceItem.objects.filter(pk=item_id)
        .filter(Q(status=EvidenceStatus.RECEIVED) | Q(status=EvidenceStatus.PROCESSING, claimed_at__lt=stale))
        .update(status=EvidenceStatus.PROCESSING, claimed_at=now, claim_token=token, attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return None
    return EvidenceItem.objects.select_related("case").get(pk=item_id), token


@transaction.atomic
def evidence_release_claim(*, item_id: int, token: uuid.UUID) -> None:
    """Gives a claimed item back (before a retry), unless another worker has claimed it since."""
    EvidenceItem.objects.filter(pk=item_id, claim_token=token, status=EvidenceStatus.PROCESSING).update(
        status=EvidenceStatus.RECEIVED, claimed_at=None, claim_token=None
    )


@transaction.atomic
def evidence_record_hashes(*, item: EvidenceItem, agent: Agent, size: int, hexdigests: dict[str, str]) -> EvidenceItem:
    """Records the digests (once: the database refuses to change them) and decides whether the item
    is corrupt (the submitter's hash differs) or a duplicate of an earlier item in the case."""
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    sha256 = hexdigests["sha256"]
    if item.sha256 is None:
        item.sha256, item.md5, item.size_bytes, item.digests = sha256, hexdigests.get("md5"), size, hexdigests
        item.save(update_fields=["sha256", "md5", "size_bytes", "digests"])
    elif item.sha256 != sha256:
        # A second pass over the same intake file disagrees with the first: the stored bytes changed.
        raise DomainError(f"{item.ern}: the intake copy changed between two hashing passes.")
    custody_append(
        item=item,
        event_type=CustodyEvent.HASHED,
        agent=agent,
        detail=f"{size} bytes; " + "; ".join(f"{name} {value}" for name, value in sorted(hexdigests.items())),
        details={"size_bytes": size, "digests": hexdigests},
    )
    if item.submitted_sha256 and item.submitted_sha256.lower() != sha256:
        item.status = EvidenceStatus.CORRUPT
        item.status_reason = f"The submitter's SHA-256 {item.submitted_sha256} differs from the received {sha256}."
        item.save(update_fields=["status", "status_reason"])
        return item
    # Lock the case while looking, so two copies processed at once cannot both be "the first".
    Case.objects.select_for_update().filter(pk=item.case_id).values_list("pk", flat=True).get()
    original = (
        EvidenceItem.objects.filter(case_id=item.case_id, sha256=sha256)
        .exclude(pk=item.pk)
        .exclude(status__in=[EvidenceStatus.DUPLICATE, EvidenceStatus.CORRUPT])
        .order_by("received_at", "pk")
        .first()
    )
    if original is not None:
        item.status, item.duplicate_of = EvidenceStatus.DUPLICATE, original
        item.status_reason = f"Same SHA-256 as {original.ern}; the file is kept once."
        item.save(update_fields=["status", "duplicate_of", "status_reason"])
        custody_append(
            item=item,
            event_type=CustodyEvent.DUPLICATE_FOUND,
            agent=agent,
            detail=f"Identical to {original.ern}; not archived a second time",
            details={"duplicate_of": original.ern, "archive_key": original.archive_key},
        )
    return item


@transaction.atomic
def evidence_record_identification(
    *, item: EvidenceItem, agent: Agent, media_type: str, expected: str | None, mismatch: bool, description: str
) -> None:
    EvidenceItem.objects.filter(pk=item.pk).update(media_type=media_type, media_type_mismatch=mismatch)
    item.media_type, item.media_type_mismatch = media_type, mismatch
    custody_append(
        item=item,
        event_type=CustodyEvent.IDENTIFIED,
        agent=agent,
        outcome=Outcome.WARNING if mismatch else Outcome.SUCCESS,
        detail=(
            f"Content is {media_type}, but the name suggests {expected}" if mismatch else f"Content is {media_type}"
        ),
        details={"media_type": media_type, "expected_from_name": expected, "libmagic": description},
    )


@transaction.atomic
def evidence_record_description(
    *,
    item: EvidenceItem,
    agent: Agent,
    metadata: dict,
    errors: list[str],
    gps: tuple[float, float] | None,
    perceptual_hash: str | None,
) -> None:
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    item.metadata = json.loads(json.dumps(metadata, default=str).replace("\\u0000", ""))
    item.metadata_error = "; ".join(errors)
    item.captured_location = Point(*gps, srid=4326) if gps else None
    item.perceptual_hash = perceptual_hash or ""
    item.save(update_fields=["metadata", "metadata_error", "captured_location", "perceptual_hash"])
    if gps:
        _record_incident_distances(item)
    custody_append(
        item=item,
        event_type=CustodyEvent.DESCRIBED,
        agent=agent,
        outcome=Outcome.WARNING if errors else Outcome.SUCCESS,
        detail="; ".join(errors) or "Metadata extracted",
        details={"gps": gps, "perceptual_hash": perceptual_hash, "tools": sorted(metadata)},
    )


def _record_incident_distances(item: EvidenceItem) -> None:
    """Metres on the ellipsoid from where the file says it was captured to each linked incident."""
    distances = (
        Incident.objects.filter(evidence_links__evidence=item)
        .annotate(metres=Distance(as_geography("location"), item.captured_location))
        .values_list("pk", "metres")
    )
    item.incident_distances_m = {str(pk): round(metres.m, 1) for pk, metres in distances}
    EvidenceItem.objects.filter(pk=item.pk).update(incident_distances_m=item.incident_distances_m)


@transaction.atomic
def evidence_record_archived(
    *, item: EvidenceItem, agent: Agent, token: uuid.UUID, archive_key: str, verified_sha256: str, stored_now: bool
) -> bool:
    """Marks the item archived once its archived copy was read back and matched; False when
    another worker has claimed the item since (it will finish the job)."""
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    if verified_sha256 != item.sha256:
        raise DomainError(f"{item.ern}: the archived copy's SHA-256 {verified_sha256} is not {item.sha256}.")
    if item.claim_token != token:
        return False
    now = timezone.now()
    custody_append(
        item=item,
        event_type=CustodyEvent.ARCHIVED,
        agent=agent,
        detail=f"Stored write-once as {archive_key}" if stored_now else f"Already in the archive as {archive_key}",
        details={"archive_key": archive_key, "written": stored_now},
    )
    custody_append(
        item=item,
        event_type=CustodyEvent.VERIFIED,
        agent=agent,
        detail=f"Archived copy read back: SHA-256 {verified_sha256} matches",
        details={"archive_key": archive_key, "sha256": verified_sha256},
    )
    item.archive_key, item.archived_at, item.last_verified_at = archive_key, now, now
    if item.status == EvidenceStatus.PROCESSING:
        item.status = EvidenceStatus.ARCHIVED
    item.save(update_fields=["archive_key", "archived_at", "last_verified_at", "status"])
    return True


@transaction.atomic
def evidence_finish_intake(*, item: EvidenceItem) -> None:
    """Removes the intake copy, once the archive holds the bytes (or the item is a duplicate)."""
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    if item.intake_key:
        storages["intake"].delete(item.intake_key)
        item.intake_key = ""
        item.claim_token = None
        item.save(update_fields=["intake_key", "claim_token"])


@transaction.atomic
def evidence_mark_failed(*, item_id: int, agent: Agent, reason: str) -> None:
    item = EvidenceItem.objects.select_for_update().get(pk=item_id)
    if item.status != EvidenceStatus.PROCESSING:
        return
    item.status, item.status_reason, item.claim_token = EvidenceStatus.FAILED, reason[:2000], None
    item.save(update_fields=["status", "status_reason", "claim_token"])
    custody_append(item=item, event_type=CustodyEvent.FAILED, agent=agent, outcome=Outcome.FAILURE, detail=reason)


@transaction.atomic
def evidence_retry(*, actor: AbstractBaseUser, item: EvidenceItem) -> EvidenceItem:
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    if item.status != EvidenceStatus.FAILED:
        raise DomainError(f"Only failed items are retried; {item.ern} is {item.status}.", field="status")
    item.status, item.status_reason, item.claimed_at = EvidenceStatus.RECEIVED, "", None
    item.save(update_fields=["status", "status_reason", "claimed_at"])
    audit_record(actor=actor, case=item.case, action="evidence.retry", target=item.ern)
    transaction.on_commit(lambda: evidence_enqueue_processing(item.pk))
    return item


def evidence_sweep_stuck() -> list[int]:
    """Re-enqueues items left waiting: received but never picked up (the broker was down), or
    claimed by a worker that has not finished in time (it was killed). Returns their ids."""
    now = timezone.now()
    stuck = EvidenceItem.objects.filter(
        Q(status=EvidenceStatus.RECEIVED, received_at__lt=now - timedelta(seconds=settings.SLID_RECEIVED_STALE_SECONDS))
        | Q(
            status=EvidenceStatus.PROCESSING,
            claimed_at__lt=now - timedelta(seconds=settings.SLID_PROCESSING_STALE_SECONDS),
        )
    ).values_list("pk", flat=True)
    item_ids = list(stuck)
    for item_id in item_ids:
        evidence_enqueue_processing(item_id)
    return item_ids


@transaction.atomic
def evidence_record_access(*, actor: AbstractBaseUser, item: EvidenceItem, byte_range: str | None) -> None:
    agent = Agent.for_user(actor)
    custody_append(
        item=item,
        event_type=CustodyEvent.ACCESSED,
        agent=agent,
        detail=f"Downloaded by {agent.name}" + (f" (bytes {byte_range})" if byte_range else ""),
        details={"range": byte_range},
    )
    audit_record(actor=actor, case=item.case, action="evidence.download", target=item.ern)


@transaction.atomic
def evidence_record_fixity(*, item: EvidenceItem, agent: Agent, sha256: str | None, error: str = "") -> bool:
    """Records one fixity check of the archived copy; returns whether it held."""
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    held = sha256 == item.sha256
    now = timezone.now()
    if held:
        item.last_verified_at = now
        item.save(update_fields=["last_verified_at"])
        detail = f"Archived copy re-hashed: SHA-256 {sha256} matches"
    else:
        item.fixity_failed_at = item.fixity_failed_at or now
        item.save(update_fields=["fixity_failed_at"])
        detail = error or f"Archived copy's SHA-256 is {sha256}, expected {item.sha256}"
        logger.error("Fixity check failed for %s (%s): %s", item.ern, item.archive_key, detail)
    custody_append(
        item=item,
        event_type=CustodyEvent.FIXITY_CHECK,
        agent=agent,
        outcome=Outcome.SUCCESS if held else Outcome.FAILURE,
        detail=detail,
        details={"archive_key": item.archive_key, "sha256": sha256},
    )
    return held


# --- Court submission packages ------------------------------------------------------------------


@transaction.atomic
def export_request(
    *,
    actor: AbstractBaseUser,
    case: Case,
    incidents: Iterable[Incident] = (),
    evidence: Iterable[EvidenceItem] = (),
    profile: str = "default",
    include_identities: bool = False,
) -> Export:
    """Queues a package of the chosen incidents' evidence and the chosen items. Only legal members
    and leads export; only a lead may ask for witness identities, and that request is recorded."""
    if not selectors.user_may(user=actor, case=case, action=Action.EXPORT):
        raise NotAllowed(f"Your role in {case.reference} does not allow exports.")
    if include_identities and not selectors.user_may(user=actor, case=case, action=Action.REVEAL_IDENTITY):
        raise NotAllowed("Only a lead of the case may include witness identities.")
    incidents, evidence = list(incidents), list(evidence)
    for obj in (*incidents, *evidence):
        _check_same_case(case, **{"incidents" if isinstance(obj, Incident) else "evidence": obj})
    if not incidents and not evidence:
        raise DomainError("Choose at least one incident or evidence item.", field="incidents")
    if register.profile_named(profile) is None:
        raise DomainError(f"No export profile {profile!r}; see /api/v1/export-profiles/.", field="profile")
    export = Export.objects.create(
        case=case,
        requested_by=actor,
        incident_ids=sorted(i.pk for i in incidents),
        evidence_ids=sorted(e.pk for e in evidence),
        profile=profile,
        include_identities=include_identities,
    )
    audit_record(
        actor=actor,
        case=case,
        action="export.identities_requested" if include_identities else "export.request",
        target=export.public_id,
        details={"incidents": export.incident_ids, "evidence": export.evidence_ids, "profile": profile},
    )
    transaction.on_commit(lambda: _enqueue("workers.tasks.build_export", export.pk))
    return export


def export_claim(*, export_id: int) -> Export | None:
    claimed = Export.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.BUILDING, started_at=timezone.now(), progress=0
    )
    return Export.objects.select_related("case").get(pk=export_id) if claimed == 1 else None


def export_set_progress(*, export_id: int, percent: int) -> None:
    Export.objects.filter(pk=export_id, status=ExportStatus.BUILDING).update(progress=max(0, min(99, percent)))


@transaction.atomic
def export_mark_ready(
    *, export: Export, agent: Agent, items: list[EvidenceItem], package_key: str, sha256: str, size: int
) -> Export:
    export.status, export.progress, export.finished_at = ExportStatus.READY, 100, timezone.now()
    export.package_key, export.sha256, export.size_bytes, export.item_count = package_key, sha256, size, len(items)
    export.save()
    for item in items:
        custody_append(
            item=item,
            event_type=CustodyEvent.EXPORTED,
            agent=agent,
            detail=f"Exported in package {export.public_id} (SHA-256 {sha256})",
            details={"export": str(export.public_id), "package_sha256": sha256, "requested_by": export.requested_by_id},
        )
    return export


@transaction.atomic
def export_mark_failed(*, export_id: int, reason: str, agent: Agent, damaged_ern: str | None = None) -> None:
    Export.objects.filter(pk=export_id).update(
        status=ExportStatus.FAILED, status_reason=reason[:2000], finished_at=timezone.now()
    )
    if damaged_ern:
        item = EvidenceItem.objects.get(ern=damaged_ern)
        EvidenceItem.objects.filter(pk=item.pk, fixity_failed_at__isnull=True).update(fixity_failed_at=timezone.now())
        custody_append(
            item=item,
            event_type=CustodyEvent.EXPORTED,
            agent=agent,
            outcome=Outcome.FAILURE,
            detail=f"Not exported: {reason}",
            details={"export_id": export_id},
        )
        logger.error("Export %s stopped: %s", export_id, reason)


def export_record_damaged_original(*, export: Export, archive_key: str, sha256: str, agent: Agent) -> None:
    """A package's download found an archived original that no longer matches: a failed fixity
    check of each item stored under that key (the download itself is broken off)."""
    for item in EvidenceItem.objects.filter(case=export.case, archive_key=archive_key):
        error = (
            f"While package {export.public_id} was downloaded: the archived copy's SHA-256 is {sha256}, "
            f"expected {item.sha256}"
        )
        evidence_record_fixity(item=item, agent=agent, sha256=sha256, error=error)


@transaction.atomic
def export_profile_create(
    *, actor: AbstractBaseUser, name: str, columns: list[dict], description: str = ""
) -> ExportProfile:
    errors = register.column_errors(columns)
    if errors:
        raise DomainError("; ".join(errors), field="columns")
    if register.profile_named(name) is not None:
        raise DomainError(f"A profile named {name!r} exists already.", field="name")
    profile = ExportProfile.objects.create(name=name, description=description, columns=columns, created_by=actor)
    audit_record(actor=actor, case=None, action="export_profile.create", target=name, details={"columns": columns})
    return profile


def export_sweep_stuck() -> list[int]:
    """Re-enqueues exports never picked up, and gives back those whose builder must be gone."""
    now = timezone.now()
    stale_build = now - timedelta(seconds=settings.SLID_PROCESSING_STALE_SECONDS)
    Export.objects.filter(status=ExportStatus.BUILDING, started_at__lt=stale_build).update(
        status=ExportStatus.QUEUED, progress=0
    )
    waiting = Export.objects.filter(
        status=ExportStatus.QUEUED, created_at__lt=now - timedelta(seconds=settings.SLID_RECEIVED_STALE_SECONDS)
    ).values_list("pk", flat=True)
    export_ids = list(waiting)
    for export_id in export_ids:
        _enqueue("workers.tasks.build_export", export_id)
    return export_ids


@transaction.atomic
def token_issue(*, user: AbstractBaseUser) -> Token:
    """A new API token for the user; any earlier one stops working (rotation on every login)."""
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    audit_record(actor=user, case=None, action="auth.login", target=user.get_username())
    return token


# --- Witnesses and victims ----------------------------------------------------------------------


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
    audit_record(actor=actor, case=case, action=f"{kind}.create", target=person.pseudonym)
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
        action=f"{person.kind}.update",
        target=person.pseudonym,
        details={"changed": changed, "readers": sorted(person.readers.values_list("pk", flat=True))},
    )
    return person


@transaction.atomic
def protected_identity_reveal(*, actor: AbstractBaseUser, person: ProtectedPerson) -> dict:
    """The identity, for someone allowed to see it; every reveal is in the audit log."""
    audit_record(actor=actor, case=person.case, action=f"{person.kind}.identity_reveal", target=person.pseudonym)
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


@transaction.atomic
def token_revoke(*, user: AbstractBaseUser) -> None:
    Token.objects.filter(user=user).delete()
    audit_record(actor=user, case=None, action="auth.logout", target=user.get_username())
