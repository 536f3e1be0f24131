"""The evidence state machine. Every change of an item's status happens here, as one conditional
UPDATE guarded by the worker's claim token, with its custody entry in the same transaction.

    received ──claim──▶ processing ──▶ archived | duplicate | corrupt | failed
        ▲                   │
        └────release────────┘   (an attempt failed; it is tried again after a backoff)
    failed ──retry (a member asks)──▶ received

A claim is a lease: the worker renews it while it works (``evidence_renew_lease``), and once it runs
out (the worker died, or lost the database) another worker may claim the item. Each step's result
is recorded once; a later claim resumes after the last recorded step instead of repeating it.
The database refuses any other change of status (migration 0012)."""

import hashlib
import json
import logging
import uuid
import zoneinfo
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.geos import Point
from django.contrib.postgres.expressions import ArraySubquery
from django.core.files.storage import storages
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext

from evidence.agents import Agent
from evidence.dates import place_moment, resolve_moment
from evidence.errors import DomainError
from evidence.media_kinds import kind_for_media_type
from evidence.models import (
    AuditAction,
    CustodyEntry,
    CustodyEvent,
    EvidenceIncidentLink,
    EvidenceItem,
    EvidenceStatus,
    OutboxTask,
    Outcome,
)
from evidence.models.items import CapturedAtSource, KindSource
from evidence.services.audit import audit_record
from evidence.services.copies import evidence_copies_on_archive
from evidence.services.custody import NewEntry, custody_append, custody_append_many
from evidence.services.intake import incident_distances
from evidence.services.provenance import provenance_entry
from evidence.services.queue import PROCESS_EVIDENCE, evidence_enqueue_processing
from evidence.services.timestamps import evidence_timestamp_enqueue

logger = logging.getLogger(__name__)

S = EvidenceStatus
# Every allowed change of status; the README prints this table and tests/evidence/test_state_machine.py
# tries every other pair.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.PROCESSING}),
    S.PROCESSING: frozenset({S.RECEIVED, S.ARCHIVED, S.DUPLICATE, S.CORRUPT, S.FAILED}),
    S.FAILED: frozenset({S.RECEIVED}),
    S.ARCHIVED: frozenset(),
    S.DUPLICATE: frozenset(),
    S.CORRUPT: frozenset(),
}
# Steps whose result is recorded once; a re-claimed item skips those already in its custody.
RESUMABLE_STEPS = (CustodyEvent.HASHED, CustodyEvent.IDENTIFIED, CustodyEvent.DESCRIBED, CustodyEvent.PROVENANCE_READ)


class ClaimLost(Exception):
    """Another worker holds the item (or the export) now: this one's lease ran out, and it must stop."""


@dataclass(frozen=True)
class Claim:
    item_id: int
    token: uuid.UUID
    attempt: int

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= max_attempts()


def max_attempts() -> int:
    return settings.SLID_PROCESSING_MAX_RETRIES + 1


def _lease_until():
    return timezone.now() + timedelta(seconds=settings.SLID_LEASE_SECONDS)


def evidence_claim(*, item_id: int) -> Claim | None:
    """Claims an item with one conditional UPDATE, so only one worker proceeds: an item waiting to be
    processed, or one whose lease ran out (its worker is gone)."""
    now = timezone.now()
    token = uuid.uuid4()
    with connection.cursor() as cursor:
        # The ORM's update() cannot return the new count of attempts; this saves a query per item.
        cursor.execute(
            """UPDATE evidence_evidenceitem
               SET status = %(processing)s, claimed_at = %(now)s, claim_token = %(token)s,
                   lease_expires_at = %(until)s, attempts = attempts + 1
               WHERE id = %(item_id)s AND (
                   status = %(received)s
                   -- A claim with no lease was made before leases existed: its worker is long gone.
                   OR status = %(processing)s AND (lease_expires_at < %(now)s OR lease_expires_at IS NULL))
               RETURNING attempts""",
            {"processing": S.PROCESSING, "received": S.RECEIVED, "now": now, "token": token,
             "until": _lease_until(), "item_id": item_id},
        )  # fmt: skip
        claimed = cursor.fetchone()
    if claimed is None:
        return None
    return Claim(item_id=item_id, token=token, attempt=claimed[0])


def evidence_renew_lease(*, claim: Claim) -> bool:
    """Extends the lease; False when the claim was lost (the caller must stop)."""
    return (
        EvidenceItem.objects.filter(pk=claim.item_id, status=S.PROCESSING, claim_token=claim.token).update(
            lease_expires_at=_lease_until()
        )
        == 1
    )


def _claimed(claim: Claim, *, with_links: bool = False) -> EvidenceItem:
    """The item, locked for this transaction, if the claim still holds; ``with_links`` adds
    ``linked``: whether it is linked to any incident."""
    # The case comes along (its time zone places camera times) without locking it: only the item is locked.
    items = EvidenceItem.objects.select_for_update(of=("self",)).select_related("case")
    if with_links:
        items = items.annotate(linked=Exists(EvidenceIncidentLink.objects.filter(evidence=OuterRef("pk"))))
    item = items.get(pk=claim.item_id)
    if item.status != S.PROCESSING or item.claim_token != claim.token:
        raise ClaimLost(f"{item.ern} is {item.status} and no longer claimed by this worker.")
    return item


def _move(item: EvidenceItem, to: str, *, reason: str = "", **fields) -> None:
    """Changes the status of a locked item, only along an allowed transition."""
    if to not in TRANSITIONS[item.status]:
        raise DomainError(f"{item.ern} cannot go from {item.status} to {to}.", field="status")
    # Every move ends the claim: only evidence_claim enters "processing".
    changes = {"status": to, "status_reason": reason[:2000], "claim_token": None, "lease_expires_at": None, **fields}
    updated = EvidenceItem.objects.filter(pk=item.pk, status=item.status, claim_token=item.claim_token).update(
        **changes
    )
    if updated != 1:
        raise ClaimLost(f"{item.ern} changed under this worker.")
    for name, value in changes.items():
        setattr(item, name, value)


def evidence_for_processing(*, item_id: int) -> tuple[EvidenceItem, set[str]]:
    """The item, and the resumable steps whose result is already in its custody (one query)."""
    steps = CustodyEntry.objects.filter(evidence=OuterRef("pk"), event_type__in=RESUMABLE_STEPS).values("event_type")
    item = EvidenceItem.objects.annotate(steps_done=ArraySubquery(steps)).get(pk=item_id)
    return item, set(item.steps_done)


def steps_recorded(*, item_id: int) -> set[str]:
    """The resumable steps whose result is already in the item's custody."""
    return set(
        CustodyEntry.objects.filter(evidence_id=item_id, event_type__in=RESUMABLE_STEPS).values_list(
            "event_type", flat=True
        )
    )


@transaction.atomic
def evidence_release_claim(*, claim: Claim, agent: Agent, reason: str) -> float | None:
    """An attempt failed and more are left: the item goes back to ``received``, and is sent again
    after a backoff that doubles each time (through the outbox, so neither a broker outage nor a
    dead worker loses it). Returns the delay in seconds, or None if the claim was lost already."""
    try:
        item = _claimed(claim)
    except ClaimLost:
        return None
    delay = min(settings.SLID_RETRY_BASE_SECONDS * 2 ** (claim.attempt - 1), 3600)
    # The lease column of a waiting item is the sweep's deadline: none before the backoff is over.
    deadline = timezone.now() + timedelta(seconds=delay + settings.SLID_RECEIVED_STALE_SECONDS)
    _move(
        item, S.RECEIVED, reason=f"Attempt {claim.attempt} failed: {reason}", claimed_at=None, lease_expires_at=deadline
    )
    custody_append(
        item=item,
        event_type=CustodyEvent.FAILED,
        agent=agent,
        outcome=Outcome.WARNING,
        detail=f"Attempt {claim.attempt} of {max_attempts()} failed: {reason}; trying again in {delay:.0f} s",
        details={"attempt": claim.attempt, "final": False},
    )
    evidence_enqueue_processing(item.pk, delay_seconds=delay)
    return delay


@transaction.atomic
def evidence_mark_failed(*, claim: Claim, agent: Agent, reason: str) -> bool:
    """The last attempt failed: the item is ``failed`` with the reason (a member may retry it).
    False when another worker holds the item now: this worker's failure is not the item's."""
    try:
        item = _claimed(claim)
    except ClaimLost:
        return False
    _move(item, S.FAILED, reason=reason)
    custody_append(
        item=item,
        event_type=CustodyEvent.FAILED,
        agent=agent,
        outcome=Outcome.FAILURE,
        detail=f"Processing failed after {claim.attempt} attempts: {reason}",
        details={"attempt": claim.attempt, "final": True},
    )
    return True


@dataclass(frozen=True)
class Hashes:
    size: int
    hexdigests: dict[str, str]


@dataclass(frozen=True)
class Identification:
    media_type: str
    expected_from_name: str | None
    mismatch: bool
    libmagic: str


@dataclass(frozen=True)
class Description:
    metadata: dict
    errors: list[str]
    gps: tuple[float, float] | None  # (lon, lat)
    perceptual_hash: str | None
    # When the file says it was captured (workers.capture_time): naive for a camera's local time.
    captured_at: datetime | None = None
    captured_at_source: str = ""
    captured_at_tags: str = ""  # the tags it was read from
    captured_at_written: str = ""  # their value as the file wrote it
    # Document facts the file states (workers.document_facts), kept beside what people give.
    pages_from_file: int | None = None
    duration_seconds_from_file: Decimal | None = None
    author_from_file: str = ""
    created_from_file: datetime | None = None  # naive when the file gave no offset
    document_facts_details: dict | None = None


@transaction.atomic
def evidence_record_examination(
    *,
    claim: Claim,
    agent: Agent,
    hashes: Hashes | None,
    identification: Identification | None = None,
    description: Description | None = None,
    provenance: dict | None = None,
) -> EvidenceItem:
    """What the worker found in the intake copy, recorded at once with a custody entry per step
    (``hashed``, ``identified``, ``described``, ``provenance_read`` with workers.provenance's record; a
    step already recorded by an earlier attempt, or not taken, is passed as None). The worker's own
    hash must equal the digests taken as the bytes arrived; if it does not, the intake copy changed
    after receipt: the item is ``corrupt``, with both values in its custody, nothing else of the
    examination is kept, and the intake copy is kept as it is for examination by people."""
    item = _claimed(claim, with_links=description is not None)
    entries: list[NewEntry] = []
    if hashes is not None:
        hashed, differs = _hashed_entry(item, hashes)
        entries.append(hashed)
        if differs:
            custody_append_many(item=item, agent=agent, entries=entries)
            found = {"found_sha256": hashes.hexdigests["sha256"], "found_size": hashes.size}
            _mark_corrupt(item, agent, reason=differs, details={"received_sha256": item.sha256, **found})
            return item
    changed: list[str] = []
    if identification is not None:
        item.media_type, item.media_type_mismatch = identification.media_type, identification.mismatch
        changed += ["media_type", "media_type_mismatch"]
        identified = _identified_entry(identification)
        if item.kind_source == KindSource.FILE_NAME:  # the submitter gave no kind: the content decides
            kind = str(kind_for_media_type(identification.media_type))
            identified = replace(
                identified,
                detail=f"{identified.detail}; kind {kind}, from the media type (guessed {item.kind} from the name)",
                details={**identified.details, "kind": kind, "kind_from_name": str(item.kind)},
            )
            item.kind, item.kind_source = kind, KindSource.MEDIA_TYPE
            changed += ["kind", "kind_source"]
        entries.append(identified)
    if description is not None:
        item.metadata = _storable(description.metadata)
        item.metadata_error = "; ".join(description.errors)
        item.captured_location = Point(*description.gps, srid=4326) if description.gps else None
        item.perceptual_hash = description.perceptual_hash or ""
        changed += ["metadata", "metadata_error", "captured_location", "perceptual_hash"]
        if description.gps and item.linked:
            item.incident_distances_m = incident_distances(item)
            changed.append("incident_distances_m")
        described = _described_entry(description)
        if description.captured_at is not None:
            described = _capture_time_recorded(item, described, description)
            changed += ["file_captured_at", "file_captured_at_offset"]
            if described.details["captured_at"]["used"]:
                changed += ["captured_at", "captured_at_source", "captured_at_offset", "captured_at_time_zone"]
        described = _document_facts_recorded(item, described, description)
        changed += ["pages_from_file", "duration_seconds_from_file", "author_from_file", "document_date_from_file"]
        entries.append(described)
    if provenance is not None:
        item.provenance = _storable(provenance)
        changed.append("provenance")
        entries.append(provenance_entry(item.provenance))
    if changed:
        item.save(update_fields=changed)
    custody_append_many(item=item, agent=agent, entries=entries)
    return item


def _storable(found: dict) -> dict:
    # PostgreSQL's JSON cannot hold NUL, which some files' metadata carries.
    return json.loads(json.dumps(found, default=str).replace("\\u0000", ""))


def _capture_time_recorded(item: EvidenceItem, entry: NewEntry, found: Description) -> NewEntry:
    """Fills ``captured_at`` from the file if the submitter left it empty, and returns the ``described``
    entry with the file's value in it either way. A time without an offset is the camera's clock, read
    in the case's time zone; a time after the file arrived cannot be when it was captured."""
    moment, source, zone, wall_clock = found.captured_at, str(found.captured_at_source), None, None
    if moment.tzinfo is None:
        zone = item.case.time_zone
        wall_clock = _wall_clock_ambiguity(moment, zone)
        source = str(CapturedAtSource.EXIF_CASE_TIME_ZONE)
    given = place_moment(moment, time_zone=zone or item.case.time_zone)
    moment = given.at if zone else moment  # as the custody entry has always written it
    item.file_captured_at, item.file_captured_at_offset = given.at, given.offset_minutes
    written = f"{found.captured_at_tags} {found.captured_at_written!r}"
    said = f"the file says it was captured at {moment.isoformat()} ({written}"
    said += f", without an offset: read in the case's time zone {zone})" if zone else ")"
    if wall_clock is not None:
        clock = found.captured_at.time().isoformat()
        if wall_clock["ambiguity"] == "repeated":
            said += f"; {clock} happened twice in {zone} that day (the clocks went back)"
        else:
            said += f"; {clock} did not happen in {zone} that day (the clocks went forward)"
        said += f", so it could be {' or '.join(wall_clock['could_be'])}: read as {wall_clock['read_as']}"
    used = False
    if item.captured_at is not None:
        outcome = f"the submitter's captured_at {item.captured_at.isoformat()} stands"
    elif moment > item.received_at + timedelta(days=1):
        outcome = "not used, as that is after the file was received"
    else:
        item.captured_at, item.captured_at_source, used = given.at, source, True
        item.captured_at_offset, item.captured_at_time_zone = given.offset_minutes, given.time_zone
        outcome = "recorded as captured_at"
    details = {
        "at": moment.isoformat(), "source": source, "tags": found.captured_at_tags,
        "written": found.captured_at_written, "time_zone": zone, "used": used,
    }  # fmt: skip
    if wall_clock is not None:
        details["wall_clock"] = wall_clock
    return replace(
        entry, detail=f"{entry.detail}; {said}: {outcome}", details={**entry.details, "captured_at": details}
    )


def _document_facts_recorded(item: EvidenceItem, entry: NewEntry, found: Description) -> NewEntry:
    """Records the pages, duration, author and creation date the file states, beside (never over) the
    values people give. The creation date is the document's own (a PDF's CreateDate), else the moment the
    file says it was captured; one without an offset is read in the case's time zone."""
    item.pages_from_file, item.duration_seconds_from_file = found.pages_from_file, found.duration_seconds_from_file
    item.author_from_file = found.author_from_file
    created, zone = found.created_from_file, None
    if created is None and "captured_at" in entry.details:
        created = datetime.fromisoformat(entry.details["captured_at"]["at"])
    elif created is not None and created.tzinfo is None:
        zone = item.case.time_zone
        created = resolve_moment(created, time_zone=zone)
    item.document_date_from_file = created
    details = dict(found.document_facts_details or {})
    details["document_date"] = created.isoformat() if created else None
    details["time_zone"] = zone
    return replace(entry, details={**entry.details, "document_facts": details})


def _wall_clock_ambiguity(wall_clock: datetime, time_zone: str) -> dict | None:
    """Whether a clock time without an offset names one moment in ``time_zone``: None if it does; else
    whether it happened twice (``repeated``: the hour the clocks go back) or never (``skipped``: the hour
    they go forward), each moment it could be, and the one it is read as (evidence.dates.resolve_moment
    reads it with the offset in force before the change, zoneinfo's fold=0)."""
    zone = zoneinfo.ZoneInfo(time_zone)
    first, second = (wall_clock.replace(tzinfo=zone, fold=fold) for fold in (0, 1))
    if first.utcoffset() == second.utcoffset():
        return None
    exists = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall_clock
    return {
        "ambiguity": "repeated" if exists else "skipped",
        "could_be": [first.isoformat(), second.isoformat()],
        "read_as": first.isoformat(),
    }


def evidence_record_hashes(*, claim: Claim, agent: Agent, size: int, hexdigests: dict[str, str]) -> EvidenceItem:
    """The worker's hash of the intake copy alone (see evidence_record_examination)."""
    return evidence_record_examination(claim=claim, agent=agent, hashes=Hashes(size=size, hexdigests=hexdigests))


def _hashed_entry(item: EvidenceItem, hashes: Hashes) -> tuple[NewEntry, str]:
    """The ``hashed`` entry, and the reason the item is corrupt if the hash is not the receipt's."""
    size, hexdigests = hashes.size, hashes.hexdigests
    details = {"size_bytes": size, "digests": hexdigests}
    if item.sha256 is None:  # received before digests were taken at receipt
        item.sha256, item.md5, item.size_bytes, item.digests = (
            hexdigests["sha256"],
            hexdigests.get("md5"),
            size,
            {**hexdigests},
        )
        item.save(update_fields=["sha256", "md5", "size_bytes", "digests"])
    differing = sorted(name for name, value in hexdigests.items() if item.digests.get(name, value) != value)
    if size != item.size_bytes:
        differing.append("size")
    if differing:
        received = f"SHA-256 {item.sha256}, {item.size_bytes} bytes"
        found = f"SHA-256 {hexdigests['sha256']}, {size} bytes"
        entry = NewEntry(
            event_type=CustodyEvent.HASHED,
            outcome=Outcome.FAILURE,
            detail=f"The intake copy no longer matches its receipt: received {received}, now {found}",
            details=details,
        )
        return entry, f"The intake copy changed after receipt: received {received}, found {found}."
    detail = f"{size} bytes, as received; " + "; ".join(f"{name} {value}" for name, value in sorted(hexdigests.items()))
    return NewEntry(event_type=CustodyEvent.HASHED, detail=detail, details=details), ""


def _identified_entry(found: Identification) -> NewEntry:
    return NewEntry(
        event_type=CustodyEvent.IDENTIFIED,
        outcome=Outcome.WARNING if found.mismatch else Outcome.SUCCESS,
        detail=(
            f"Content is {found.media_type}, but the name suggests {found.expected_from_name}"
            if found.mismatch
            else f"Content is {found.media_type}"
        ),
        details={
            "media_type": found.media_type,
            "expected_from_name": found.expected_from_name,
            "libmagic": found.libmagic,
        },
    )


def _described_entry(found: Description) -> NewEntry:
    return NewEntry(
        event_type=CustodyEvent.DESCRIBED,
        outcome=Outcome.WARNING if found.errors else Outcome.SUCCESS,
        detail="; ".join(found.errors) or "Metadata extracted",
        details={"gps": found.gps, "perceptual_hash": found.perceptual_hash, "tools": sorted(found.metadata)},
    )


def _mark_corrupt(item: EvidenceItem, agent: Agent, *, reason: str, details: dict) -> None:
    _move(item, S.CORRUPT, reason=reason)
    custody_append(
        item=item, event_type=CustodyEvent.CORRUPT, agent=agent, outcome=Outcome.FAILURE, detail=reason, details=details
    )


@transaction.atomic
def evidence_record_archived(
    *, claim: Claim, agent: Agent, archive_key: str, verified_sha256: str, damaged_kept_as: str = ""
) -> EvidenceItem:
    """The archive holds the bytes (read back and matched): the item reaches its end. It is
    ``corrupt`` if the submitter's own SHA-256 differed from what arrived (kept and archived all the
    same, as what was received); ``duplicate`` if an item of the case with the same bytes was
    archived before it; else ``archived``. The intake copy is removed once this commits."""
    item = _claimed(claim)
    if verified_sha256 != item.sha256:
        raise DomainError(f"{item.ern}: the archived copy's SHA-256 {verified_sha256} is not {item.sha256}.")
    now = timezone.now()
    # Whether the key held these bytes already is not said: they may be another case's.
    detail, details = f"Archived write-once as {archive_key}", {"archive_key": archive_key}
    if damaged_kept_as:
        detail += f"; bytes found there with another SHA-256 were kept as {damaged_kept_as}"
        details["damaged_kept_as"] = damaged_kept_as
    entries = [
        NewEntry(event_type=CustodyEvent.ARCHIVED, detail=detail, details=details),
        NewEntry(
            event_type=CustodyEvent.VERIFIED,
            detail=f"Archived copy read back: SHA-256 {verified_sha256} matches",
            details={"archive_key": archive_key, "sha256": verified_sha256},
        ),
    ]
    archived = {"archive_key": archive_key, "archived_at": now, "last_verified_at": now, "last_checked_at": now}
    submitted = (item.submitted_sha256 or "").lower()
    if submitted and submitted != item.sha256:
        custody_append_many(item=item, agent=agent, entries=entries)
        EvidenceItem.objects.filter(pk=item.pk).update(**archived)
        _mark_corrupt(
            item,
            agent,
            reason=f"The submitter's SHA-256 {submitted} differs from the received {item.sha256}.",
            details={"submitted_sha256": submitted, "received_sha256": item.sha256},
        )
    elif (original := _archived_original(item)) is not None:
        _move(
            item,
            S.DUPLICATE,
            reason=f"Same SHA-256 as {original.ern}; the file is kept once.",
            duplicate_of=original,
            **archived,
        )
        entries.append(
            NewEntry(
                event_type=CustodyEvent.DUPLICATE_FOUND,
                detail=f"Identical to {original.ern}; the archive keeps the bytes once",
                details={"duplicate_of": original.ern, "archive_key": archive_key},
            )
        )
        custody_append_many(item=item, agent=agent, entries=entries)
    else:
        _move(item, S.ARCHIVED, **archived)
        custody_append_many(item=item, agent=agent, entries=entries)
    # The primary holds the bytes: the replicas get their copies from a task of its own, as does a TSA's timestamp.
    evidence_copies_on_archive(item=item, archive_key=archive_key, verified_at=now)
    evidence_timestamp_enqueue(item)
    # After the commit the item's status and keys are final, so the copy is removed without reading them again.
    transaction.on_commit(partial(_remove_intake_copy, item.pk, item.intake_key), robust=True)
    return item


def _archived_original(item: EvidenceItem) -> EvidenceItem | None:
    """The item of the same case already archived with the same bytes. Copies of the same bytes in
    the case take turns while looking (a lock on the case and the hash, held to the commit), so of
    two finishing at once exactly one is the original; other items, and uploads, do not wait."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_lock_key(item.case_id), _lock_key(item.sha256)])
    return (
        EvidenceItem.objects.filter(case_id=item.case_id, sha256=item.sha256, status=S.ARCHIVED)
        .exclude(pk=item.pk)
        .order_by("received_at", "pk")
        .only("pk", "ern")
        .first()
    )


def _lock_key(value: int | str) -> int:
    """A signed 32-bit key for PostgreSQL's two-key advisory locks (a hash: a rare collision only
    makes two unrelated items take turns)."""
    digest = hashlib.sha256(str(value).encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def evidence_remove_intake_copy(*, item_id: int) -> bool:
    """Removes the intake copy of an item whose bytes the archive holds (archived or duplicate,
    never corrupt or failed). Run after the commit that made it so; the sweep runs it again for
    copies left behind by a worker that died in between."""
    item = EvidenceItem.objects.filter(pk=item_id).values("status", "intake_key", "archive_key").get()
    if not item["intake_key"] or not item["archive_key"] or item["status"] not in (S.ARCHIVED, S.DUPLICATE):
        return False
    _remove_intake_copy(item_id, item["intake_key"])
    return True


def _remove_intake_copy(item_id: int, intake_key: str) -> None:
    if intake_key:
        storages["intake"].delete(intake_key)
        EvidenceItem.objects.filter(pk=item_id, intake_key=intake_key).update(intake_key="")


@transaction.atomic
def evidence_retry(*, actor: AbstractBaseUser, item: EvidenceItem) -> EvidenceItem:
    """A member asks for a failed item to be processed again, with a fresh count of attempts."""
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    if item.status != S.FAILED:
        message = gettext("Only failed items are retried; %(ern)s is %(status)s.")
        raise DomainError(message % {"ern": item.ern, "status": item.status}, field="status")
    _move(item, S.RECEIVED, claimed_at=None, attempts=0)
    agent = Agent.for_user(actor)
    custody_append(item=item, event_type=CustodyEvent.RETRIED, agent=agent, detail=f"Retry requested by {agent.name}")
    audit_record(actor=actor, case=item.case, action=AuditAction.EVIDENCE_RETRY, target=item.ern)
    evidence_enqueue_processing(item.pk)
    return item


def evidence_sweep_stuck() -> list[int]:
    """Sends again what is left waiting: items whose worker's lease ran out (it died, or lost the
    database), and items received long ago with no message on its way (one was lost). A received
    item sent this way gets a deadline (its lease column) before it is sent again, so a long queue is
    not flooded with copies. Also removes intake copies left behind by a worker that died right
    after archiving. Returns the items sent."""
    now = timezone.now()
    stale = timedelta(seconds=settings.SLID_RECEIVED_STALE_SECONDS)
    waiting_messages = OutboxTask.objects.filter(task=PROCESS_EVIDENCE).values_list("args", flat=True)
    queued = {args[0] for args in waiting_messages if args}
    stuck = EvidenceItem.objects.filter(
        Q(status=S.PROCESSING) & (Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True))
        | Q(status=S.RECEIVED)
        & (Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, received_at__lt=now - stale))
    ).values_list("pk", flat=True)
    item_ids = [item_id for item_id in stuck if item_id not in queued]
    with transaction.atomic():
        for item_id in item_ids:
            evidence_enqueue_processing(item_id)
        EvidenceItem.objects.filter(pk__in=item_ids, status=S.RECEIVED).update(lease_expires_at=now + stale)
    leftovers = EvidenceItem.objects.filter(status__in=[S.ARCHIVED, S.DUPLICATE]).exclude(intake_key="")
    for item_id in leftovers.values_list("pk", flat=True):
        try:
            evidence_remove_intake_copy(item_id=item_id)
        except Exception:
            logger.warning("Could not remove the intake copy of evidence %s", item_id, exc_info=True)
    return item_ids
