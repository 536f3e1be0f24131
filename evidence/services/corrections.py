"""Corrections to an evidence item after intake: what it is said to be (never what Slid observed of its
bytes), and its links to incidents. Each correction is a revision of the item (EvidenceRevision, like an
incident's), an entry in its chain of custody and one in the audit log, in one transaction."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from evidence.agents import Agent
from evidence.dates import latest_of_day_given, place_moment
from evidence.errors import DomainError, NotAllowed
from evidence.models import AuditAction, CustodyEvent, EvidenceIncidentLink, EvidenceItem, Incident
from evidence.models.items import (
    EVIDENCE_CORRECTABLE_FIELDS,
    EVIDENCE_MOMENT_FIELDS,
    CapturedAtSource,
    KindSource,
)
from evidence.selectors.access import CONFIDENTIALITY_ORDER, user_may_lower_confidentiality
from evidence.services.audit import audit_record
from evidence.services.common import apply_changes, history_context
from evidence.services.custody import custody_append
from evidence.services.reviews import evidence_reopen_if_sealed

MOMENT_NAMES = ("captured_at", "acquired_at")
SOURCE_FIELDS = ("kind_source", "captured_at_source")
# A clock a few minutes ahead of the server's is not a date in the future.
CLOCK_TOLERANCE = timedelta(minutes=5)


def evidence_moments(fields: dict[str, Any], *, time_zone: str) -> dict[str, Any]:
    """Places the moments given (a date, a time with or without an offset) in time, keeping how each was
    given: ``<name>``, ``<name>_offset`` (minutes) and ``<name>_time_zone`` ("" when it had an offset)."""
    placed: dict[str, Any] = {}
    for name in MOMENT_NAMES:
        if name not in fields:
            continue
        if fields[name] is None:
            placed.update({name: None, f"{name}_offset": None, f"{name}_time_zone": ""})
            continue
        given = place_moment(fields[name], time_zone=time_zone)
        placed.update({name: given.at, f"{name}_offset": given.offset_minutes, f"{name}_time_zone": given.time_zone})
    return placed


def check_evidence_dates(
    *, captured_at: datetime | None, acquired_at: datetime | None, acquired_at_time_zone: str = ""
) -> None:
    """Refuses dates that cannot be: captured or acquired in the future, or acquired before being captured
    (a date given without a time counts as the whole of that day)."""
    now = timezone.now() + CLOCK_TOLERANCE
    for name, moment in (("captured_at", captured_at), ("acquired_at", acquired_at)):
        if moment is not None and moment > now:
            raise DomainError(gettext("%(field)s is in the future.") % {"field": name}, field=name)
    if captured_at is not None and acquired_at is not None:
        if latest_of_day_given(acquired_at, acquired_at_time_zone) < captured_at:
            message = gettext("acquired_at is before captured_at: an item cannot be acquired before it was captured.")
            raise DomainError(message, field="acquired_at")


def _check_confidentiality(actor: AbstractBaseUser, item: EvidenceItem, to: str | None, reason: str) -> None:
    """Making an item less confidential opens its bytes to more of the team: a lead's decision, with a reason."""
    if to is None or to == item.confidentiality:
        return
    if not user_may_lower_confidentiality(user=actor, item=item, to=to):
        message = gettext(
            "Only a lead of %(case)s who may reveal every witness and victim the item identifies makes it less "
            "confidential."
        )
        raise NotAllowed(message % {"case": item.case.reference}, field="confidentiality")
    if CONFIDENTIALITY_ORDER.index(to) < CONFIDENTIALITY_ORDER.index(item.confidentiality) and not reason.strip():
        raise DomainError(gettext("Say why the item is made less confidential (reason)."), field="reason")


@transaction.atomic
def evidence_correct(*, actor: AbstractBaseUser, item: EvidenceItem, reason: str = "", **changes: Any) -> EvidenceItem:
    """Corrects what the item is said to be (EVIDENCE_CORRECTABLE_FIELDS). A date or a time without an
    offset is read in the case's time zone. A kind or capture time given here is the submitter's word
    from now on: the worker never replaces it. Returns the item; nothing is written when nothing changed."""
    unknown = sorted(set(changes) - set(EVIDENCE_CORRECTABLE_FIELDS))
    if unknown:
        raise DomainError(gettext("%(field)s cannot be corrected.") % {"field": unknown[0]}, field=unknown[0])
    item = EvidenceItem.objects.select_for_update().select_related("case").get(pk=item.pk)
    _check_confidentiality(actor, item, changes.get("confidentiality"), reason)
    changes.update(evidence_moments(changes, time_zone=item.case.time_zone))
    if changes.get("kind"):
        changes["kind_source"] = KindSource.SUBMITTER
    if changes.get("captured_at") is not None:
        changes["captured_at_source"] = CapturedAtSource.SUBMITTER
    elif "captured_at" in changes:
        changes["captured_at_source"] = ""
    changed = apply_changes(item, changes, {*EVIDENCE_CORRECTABLE_FIELDS, *EVIDENCE_MOMENT_FIELDS, *SOURCE_FIELDS})
    corrected = sorted(set(changed) & set(EVIDENCE_CORRECTABLE_FIELDS))
    if not corrected:
        return item
    check_evidence_dates(
        captured_at=item.captured_at, acquired_at=item.acquired_at, acquired_at_time_zone=item.acquired_at_time_zone
    )
    with history_context(actor, "evidence.correct"):
        item.save(update_fields=sorted(changed))
    shown = {name: changed[name] for name in corrected}
    custody_append(
        item=item,
        event_type=CustodyEvent.CORRECTED,
        agent=Agent.for_user(actor),
        detail=f"Corrected {', '.join(corrected)}" + (f": {reason}" if reason else ""),
        details={"changes": shown, "reason": reason},
    )
    audit_record(
        actor=actor,
        case=item.case,
        action=AuditAction.EVIDENCE_CORRECT,
        target=item.ern,
        details={**shown, **({"reason": reason} if reason else {})},
    )
    evidence_reopen_if_sealed(actor=actor, item=item, changed=shown)
    return item


@transaction.atomic
def evidence_unlink_incident(*, actor: AbstractBaseUser, item: EvidenceItem, incident: Incident, reason: str) -> None:
    """Takes the item off an incident it was linked to, saying why; the link's history stays in the item's
    chain of custody (linked, then unlinked) and in the audit log."""
    if not reason.strip():
        raise DomainError(gettext("Say why the item is unlinked."), field="reason")
    item = EvidenceItem.objects.select_for_update().select_related("case").get(pk=item.pk)
    link = EvidenceIncidentLink.objects.filter(evidence=item, incident=incident).first()
    if link is None:
        message = gettext("%(ern)s is not linked to incident %(id)s.") % {"ern": item.ern, "id": incident.pk}
        raise DomainError(message, field="incident")
    link.delete()
    distances = {key: metres for key, metres in item.incident_distances_m.items() if key != str(incident.pk)}
    if distances != item.incident_distances_m:
        EvidenceItem.objects.filter(pk=item.pk).update(incident_distances_m=distances)
    custody_append(
        item=item,
        event_type=CustodyEvent.UNLINKED,
        agent=Agent.for_user(actor),
        detail=f"Unlinked from incident {incident.pk} ({incident.title}): {reason}",
        details={
            "incident": incident.pk,
            "incident_public_id": str(incident.public_id),
            "linked_at": link.linked_at.isoformat(),
            "reason": reason,
        },
    )
    audit_record(
        actor=actor,
        case=item.case,
        action=AuditAction.EVIDENCE_UNLINK,
        target=item.ern,
        details={"incident": incident.pk, "reason": reason},
    )
    evidence_reopen_if_sealed(actor=actor, item=item, changed={"incidents": incident.pk})
