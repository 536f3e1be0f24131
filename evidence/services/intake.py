"""Receiving evidence: the upload's record, its first custody entry and its links to incidents."""

import contextlib
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.db.models.functions import Distance
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from evidence.agents import Agent
from evidence.errors import DomainError
from evidence.hashing import CHUNK_BYTES, Digests, ParallelDigests
from evidence.media_kinds import kind_for_file_name
from evidence.models import (
    EVIDENCE_CLASSIFICATION_FIELDS,
    EVIDENCE_DOCUMENT_FACTS,
    AuditAction,
    Case,
    CustodyEvent,
    EvidenceIncidentLink,
    EvidenceItem,
    Incident,
)
from evidence.models.items import CapturedAtSource, KindSource
from evidence.services.audit import audit_record
from evidence.services.collection import collection_entries, collection_kept, collection_record
from evidence.services.common import check_same_case, set_protected_persons
from evidence.services.corrections import check_evidence_dates, evidence_moments
from evidence.services.court_record import clean_classification, clean_document_facts
from evidence.services.custody import NewEntry, custody_append, custody_append_many
from evidence.services.queue import evidence_enqueue_processing
from evidence.services.reviews import evidence_changed
from geo.selectors import as_geography

EVIDENCE_SUBMITTED_FIELDS = {
    "title", "description", "kind", "source_type", "source", "source_url", "captured_at", "acquired_at",
    "submitted_sha256", "confidentiality", "graphic", *EVIDENCE_DOCUMENT_FACTS, *EVIDENCE_CLASSIFICATION_FIELDS,
}  # fmt: skip


def evidence_receive(
    *,
    actor: AbstractBaseUser,
    case: Case,
    upload: File,
    original_filename: str,
    incidents: Iterable[Incident] = (),
    protected_persons: Iterable | None = None,
    receipt: Digests | None = None,
    collection: dict[str, Any] | None = None,
    **fields: Any,
) -> EvidenceItem:
    """Accepts an uploaded file: stores it in the intake store, numbers it, records its digests as
    received and the first custody entry, and once committed asks a worker to process it. ``captured_at``
    and ``acquired_at`` may be dates or times without an offset: they are read in the case's time zone, and
    the offset each was given with is kept (evidence.services.corrections.evidence_moments).

    ``receipt`` holds the digests taken while the bytes arrived (api.uploads does this); without it
    they are taken here, before the file is stored. The worker's own hash must then equal them.

    ``collection``, custody before Slid as the submitter declares it (evidence.services.collection), becomes
    the chain's first entries, before ``received``."""
    unknown = sorted(set(fields) - EVIDENCE_SUBMITTED_FIELDS)
    if unknown:
        raise DomainError(gettext("%(field)s cannot be set here.") % {"field": unknown[0]}, field=unknown[0])
    if "\x00" in original_filename:
        # PostgreSQL cannot store it, and keeping the name exactly as given matters more than accepting it.
        message = gettext("The file name contains a NUL character; rename the file and send it again.")
        raise DomainError(message, field="file")
    # Document facts, the court's classification and the exculpatory mark: checked as a correction is.
    fields.update(clean_document_facts({name: fields[name] for name in EVIDENCE_DOCUMENT_FACTS if name in fields}))
    classification = {name: fields[name] for name in EVIDENCE_CLASSIFICATION_FIELDS if name in fields}
    fields.update(clean_classification(classification))
    fields.update(_sources(fields, original_filename))
    fields.update(evidence_moments(fields, time_zone=case.time_zone))
    check_evidence_dates(
        captured_at=fields.get("captured_at"),
        acquired_at=fields.get("acquired_at"),
        acquired_at_time_zone=fields.get("acquired_at_time_zone", ""),
    )
    if collection is not None:
        collection = collection_record(collection, time_zone=case.time_zone, received_at=timezone.now())
    incidents = list(dict.fromkeys(incidents))  # the same incident named twice is linked once
    for incident in incidents:
        check_same_case(case, incidents=incident)
    if receipt is None:
        receipt = digest_upload(upload)
    if receipt.size == 0:
        raise DomainError(gettext("The file is empty."), field="file")
    # The slow part (an S3 upload can take minutes) happens before the case is locked for its number,
    # so uploads to one case never queue behind each other.
    intake_key = _store_in_intake(upload, folder=str(case.public_id))
    try:
        item = _record_receipt(
            actor=actor, case=case, original_filename=original_filename, intake_key=intake_key, receipt=receipt,
            incidents=incidents, protected_persons=protected_persons, fields=fields, collection=collection,
        )  # fmt: skip
    except BaseException:
        # Nothing half-written: no file without its record. (If the commit itself happened and only
        # its answer was lost, the record stands and keeps its file.)
        with contextlib.suppress(Exception):
            if not EvidenceItem.objects.filter(intake_key=intake_key).exists():
                storages["intake"].delete(intake_key)
        raise
    return item


def _sources(fields: dict[str, Any], original_filename: str) -> dict[str, str]:
    """Where ``kind`` and ``captured_at`` come from. A kind not given is guessed from the file name for
    now; the worker sets it again from the content, and fills ``captured_at`` from the file's metadata
    when it was not given. The submitter's values are never replaced."""
    sources = {}
    if fields.get("kind"):
        sources["kind_source"] = KindSource.SUBMITTER
    else:
        sources["kind"], sources["kind_source"] = kind_for_file_name(original_filename), KindSource.FILE_NAME
    if fields.get("captured_at") is not None:
        sources["captured_at_source"] = CapturedAtSource.SUBMITTER
    return sources


def digest_upload(upload: File) -> Digests:
    """The digests of an upload that arrived without them, read from its start."""
    with ParallelDigests(["sha256", *settings.SLID_DIGESTS]) as digests:
        for chunk in upload.chunks(CHUNK_BYTES):
            digests.update(chunk)
    upload.seek(0)
    return digests.result


def _store_in_intake(upload: File, *, folder: str) -> str:
    """Saves the upload under a new key; a failure (a full disk) leaves no partial file behind."""
    intake = storages["intake"]
    key = f"{folder}/{uuid.uuid4()}"
    try:
        return intake.save(key, upload)
    except BaseException:
        with contextlib.suppress(Exception):
            if intake.exists(key):
                intake.delete(key)
        raise


@transaction.atomic
def _record_receipt(
    *, actor, case: Case, original_filename: str, intake_key: str, receipt: Digests, incidents, protected_persons,
    fields: dict, collection: dict | None = None,
) -> EvidenceItem:  # fmt: skip
    case = Case.objects.select_for_update().get(pk=case.pk)
    case.evidence_counter += 1
    case.save(update_fields=["evidence_counter"])
    hexdigests = receipt.hexdigests
    item = EvidenceItem.objects.create(
        case=case,
        ern=f"{case.reference}-{case.evidence_counter:06d}",
        original_filename=original_filename,
        intake_key=intake_key,
        received_by=actor,
        sha256=hexdigests["sha256"],
        md5=hexdigests.get("md5"),
        size_bytes=receipt.size,
        digests=hexdigests,
        **fields,
    )
    agent = Agent.for_user(actor)
    submitted = (item.submitted_sha256 or "").lower()
    note = f"; the submitter's SHA-256 {submitted} differs" if submitted and submitted != hexdigests["sha256"] else ""
    received = NewEntry(
        event_type=CustodyEvent.RECEIVED,
        detail=f"Received {original_filename!r} ({receipt.size} bytes, SHA-256 {hexdigests['sha256']}) "
        f"from {agent.name}{note}",
        details={
            "original_filename": original_filename,
            "size_bytes": receipt.size,
            "sha256": hexdigests["sha256"],
            "digests": hexdigests,
            "submitted_sha256": submitted or None,
            "intake_key": intake_key,
        },
    )
    # Custody before Slid, as declared, comes first: the chain starts where the evidence was collected.
    declared = collection_entries(collection, agent=agent, after_intake=False) if collection is not None else []
    written = custody_append_many(item=item, agent=agent, entries=[*declared, received])
    if collection is not None:
        item.collection = collection_kept(collection, agent=agent, entries=written[: len(declared)], after_intake=False)
        EvidenceItem.objects.filter(pk=item.pk).update(collection=item.collection)
    for incident in incidents:
        _link(item=item, incident=incident, agent=agent)
    set_protected_persons(item, protected_persons)
    audit_record(actor=actor, case=case, action=AuditAction.EVIDENCE_RECEIVE, target=item.ern)
    evidence_enqueue_processing(item.pk)
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
        message = gettext("%(ern)s is already linked to incident %(id)s.") % {"ern": item.ern, "id": incident.pk}
        raise DomainError(message, field="incident")
    _link(item=item, incident=incident, agent=Agent.for_user(actor))
    if item.captured_location is not None:
        record_incident_distances(item)
    audit_record(
        actor=actor,
        case=item.case,
        action=AuditAction.EVIDENCE_LINK,
        target=item.ern,
        details={"incident": incident.pk},
    )
    evidence_changed(actor=actor, item=item, what={"incidents": incident.pk})


def record_incident_distances(item: EvidenceItem) -> None:
    item.incident_distances_m = incident_distances(item)
    EvidenceItem.objects.filter(pk=item.pk).update(incident_distances_m=item.incident_distances_m)


def incident_distances_refresh(incident: Incident) -> int:
    """Measures again every item linked to ``incident`` that says where it was captured: the incident has
    moved. Called inside the incident's change, so that no item is seen with distances to a place the
    incident no longer is. Returns how many items were measured."""
    items = (
        EvidenceItem.objects.filter(incident_links__incident=incident, captured_location__isnull=False)
        .only("pk", "captured_location")
        .order_by("pk")
    )
    measured = 0
    for item in items:
        record_incident_distances(item)
        measured += 1
    return measured


def incident_distances(item: EvidenceItem) -> dict[str, float]:
    """Metres on the ellipsoid from where the file says it was captured to each linked incident."""
    distances = (
        Incident.objects.filter(evidence_links__evidence=item)
        .annotate(metres=Distance(as_geography("location"), item.captured_location))
        .values_list("pk", "metres")
    )
    return {str(pk): round(metres.m, 1) for pk, metres in distances}


def intake_remove_orphans(*, older_than: timedelta = timedelta(hours=1)) -> list[str]:
    """Removes intake files that no evidence item records: left by an upload or a bulk intake that
    died between storing the file and recording it (they were never received, so nothing of the
    record is lost). Only files older than ``older_than`` are touched, so an upload that is being
    recorded right now is safe. Returns the keys removed."""
    intake = storages["intake"]
    cutoff = timezone.now() - older_than
    known = set(EvidenceItem.objects.exclude(intake_key="").values_list("intake_key", flat=True))
    removed = []
    try:
        folders, _ = intake.listdir("")
    except FileNotFoundError:  # a local store that nothing was ever received on
        return removed
    for folder in folders:
        for name in intake.listdir(folder)[1]:
            key = f"{folder}/{name}"
            if key in known or intake.get_modified_time(key) >= cutoff:
                continue
            # Recorded since the list of known keys was read: not an orphan.
            if not EvidenceItem.objects.filter(intake_key=key).exists():
                intake.delete(key)
                removed.append(key)
    return removed
