"""Receiving evidence: the upload's record, its first custody entry and its links to incidents."""

import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.db.models.functions import Distance
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction

from evidence.agents import Agent
from evidence.errors import DomainError
from evidence.models import (
    Case,
    CustodyEvent,
    EvidenceIncidentLink,
    EvidenceItem,
    Incident,
)
from evidence.services.audit import audit_record
from evidence.services.common import check_same_case, set_protected_persons
from evidence.services.custody import custody_append
from evidence.services.queue import evidence_enqueue_processing
from geo.selectors import as_geography

EVIDENCE_SUBMITTED_FIELDS = {
    "title", "description", "kind", "source_type", "source", "source_url", "captured_at", "acquired_at",
    "submitted_sha256", "confidentiality",
}  # fmt: skip


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
        check_same_case(case, incidents=incident)
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
        set_protected_persons(item, protected_persons)
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
    check_same_case(item.case, incident=incident)
    if item.incident_links.filter(incident=incident).exists():
        raise DomainError(f"{item.ern} is already linked to incident {incident.pk}.", field="incident")
    _link(item=item, incident=incident, agent=Agent.for_user(actor))
    if item.captured_location is not None:
        record_incident_distances(item)
    audit_record(
        actor=actor, case=item.case, action="evidence.link", target=item.ern, details={"incident": incident.pk}
    )


def record_incident_distances(item: EvidenceItem) -> None:
    """Metres on the ellipsoid from where the file says it was captured to each linked incident."""
    distances = (
        Incident.objects.filter(evidence_links__evidence=item)
        .annotate(metres=Distance(as_geography("location"), item.captured_location))
        .values_list("pk", "metres")
    )
    item.incident_distances_m = {str(pk): round(metres.m, 1) for pk, metres in distances}
    EvidenceItem.objects.filter(pk=item.pk).update(incident_distances_m=item.incident_distances_m)
