"""Corrections to an evidence item after intake: what it is said to be (never what Slid observed of its
bytes), and its links to incidents. ``evidence_correct`` is the one way to correct an item — its description,
its dates, its document facts and its court classification (whose rules are in
evidence.services.court_record) — and a correction is one revision of the item (EvidenceRevision, like an
incident's), one entry in its chain of custody and its audit entries, in one transaction: all or nothing."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from evidence.agents import Agent
from evidence.dates import as_given, latest_of_day_given, place_moment
from evidence.errors import DomainError, NotAllowed
from evidence.models import AuditAction, CustodyEvent, EvidenceIncidentLink, EvidenceItem, Incident
from evidence.models.items import (
    EVIDENCE_CLASSIFICATION_FIELDS,
    EVIDENCE_CORRECTABLE_FIELDS,
    EVIDENCE_DOCUMENT_FACTS,
    CapturedAtSource,
    KindSource,
)
from evidence.selectors.access import CONFIDENTIALITY_ORDER, correction_refusal, user_may_lower_confidentiality
from evidence.services.audit import audit_record
from evidence.services.common import history_context
from evidence.services.court_record import (
    check_classification_lowered,
    check_exculpatory_change,
    clean_classification,
    clean_document_facts,
    recorded_changes,
)
from evidence.services.custody import custody_append
from evidence.services.reviews import evidence_changed

MOMENT_NAMES = ("captured_at", "acquired_at")
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


# The fields of the description, as against the document facts and the classification: each group keeps the
# audit action it always had, so that the audit log can be searched by subject.
COURT_RECORD_FIELDS = {*EVIDENCE_DOCUMENT_FACTS, *EVIDENCE_CLASSIFICATION_FIELDS}
DESCRIPTION_FIELDS = tuple(name for name in EVIDENCE_CORRECTABLE_FIELDS if name not in COURT_RECORD_FIELDS)
AUDITED_AS = (
    (AuditAction.EVIDENCE_CORRECT, DESCRIPTION_FIELDS),
    (AuditAction.EVIDENCE_DOCUMENT_FACTS, EVIDENCE_DOCUMENT_FACTS),
    (AuditAction.EVIDENCE_CLASSIFY, EVIDENCE_CLASSIFICATION_FIELDS),
)


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
    """Corrects what the item is said to be (EVIDENCE_CORRECTABLE_FIELDS): its description and dates, its
    document facts (the values read from the file stay beside them) and its court classification. A date or
    a time without an offset is read in the case's time zone. A kind or capture time given here is the
    submitter's word from now on: the worker never replaces it. Taking the exculpatory mark off is for the
    case's lawyers and leads, with a ``reason``.

    Every value is checked before anything is written, and one refusal (DomainError naming the field) leaves
    the item as it was. Returns the item; nothing is written when nothing changed."""
    unknown = sorted(set(changes) - set(EVIDENCE_CORRECTABLE_FIELDS))
    if unknown:
        raise DomainError(gettext("%(field)s cannot be corrected.") % {"field": unknown[0]}, field=unknown[0])
    reason = (reason or "").strip()
    item = EvidenceItem.objects.select_for_update().select_related("case").get(pk=item.pk)
    refused = correction_refusal(user=actor, item=item, fields=changes)
    if refused:
        message = gettext(
            "Your role in %(case)s does not allow correcting %(field)s: its lawyers correct only the court "
            "classification, the art. 54(3)(e) condition and the exculpatory mark."
        )
        raise NotAllowed(message % {"case": item.case.reference, "field": refused}, field=refused)
    _check_confidentiality(actor, item, changes.get("confidentiality"), reason)
    facts = clean_document_facts(_taken(changes, EVIDENCE_DOCUMENT_FACTS), item=item)
    classification = clean_classification(_taken(changes, EVIDENCE_CLASSIFICATION_FIELDS), item=item)
    if "exculpatory" in classification:
        check_exculpatory_change(actor=actor, item=item, exculpatory=classification["exculpatory"], reason=reason)
    check_classification_lowered(actor=actor, item=item, fields=classification, reason=reason)
    description = {**changes, **evidence_moments(changes, time_zone=item.case.time_zone)}
    if changes.get("kind"):
        description["kind_source"] = KindSource.SUBMITTER
    if changes.get("captured_at") is not None:
        description["captured_at_source"] = CapturedAtSource.SUBMITTER
    elif "captured_at" in changes:
        description["captured_at_source"] = ""

    moments_before = {name: _as_given_text(item, name) for name in MOMENT_NAMES}
    changed = {**recorded_changes(item, description), **recorded_changes(item, facts)}
    changed.update(recorded_changes(item, classification))
    # The same moment given in another offset is a correction of it too: the item says how it was given.
    given_differently = {name for name in MOMENT_NAMES if {f"{name}_offset", f"{name}_time_zone"} & set(changed)}
    corrected = [name for name in EVIDENCE_CORRECTABLE_FIELDS if name in changed or name in given_differently]
    if not corrected:
        return item
    check_evidence_dates(
        captured_at=item.captured_at, acquired_at=item.acquired_at, acquired_at_time_zone=item.acquired_at_time_zone
    )
    with history_context(actor, "evidence.correct"):
        item.save(update_fields=sorted(changed))
    # A moment is shown in the offset it was given in, as the API shows it.
    shown = {
        name: {"from": moments_before[name], "to": _as_given_text(item, name)}
        if name in MOMENT_NAMES
        else changed[name]
        for name in corrected
    }
    custody_append(
        item=item,
        event_type=CustodyEvent.CORRECTED,
        agent=Agent.for_user(actor),
        detail=f"Corrected {', '.join(corrected)}" + (f": {reason}" if reason else ""),
        details={"changes": shown, "reason": reason},
    )
    for action, names in AUDITED_AS:
        group = {name: shown[name] for name in names if name in shown}
        if group:
            details = {**group, **({"reason": reason} if reason else {})}
            audit_record(actor=actor, case=item.case, action=action, target=item.ern, details=details)
    evidence_changed(actor=actor, item=item, what=shown)
    return item


def evidence_set_document_facts(*, actor: AbstractBaseUser, item: EvidenceItem, **facts: Any) -> EvidenceItem:
    """Gives or corrects the item's document facts alone (``document_date`` as an aware datetime with
    ``document_date_precision``, ``author``, ``recipient``, ``languages`` as ISO 639 codes, ``pages``,
    ``duration_seconds``): a correction like any other (evidence_correct). None or "" clears a given value,
    and the value read from the file is in effect again; those values are never changed here."""
    _only(facts, EVIDENCE_DOCUMENT_FACTS)
    return evidence_correct(actor=actor, item=item, **facts)


def evidence_set_classification(
    *, actor: AbstractBaseUser, item: EvidenceItem, reason: str = "", **fields: Any
) -> EvidenceItem:
    """Changes the court classification, the art. 54(3)(e) condition (``received_on_condition_of_
    confidentiality`` with ``confidentiality_provider`` and ``confidentiality_conditions``) or the exculpatory
    mark alone: a correction like any other (evidence_correct)."""
    _only(fields, EVIDENCE_CLASSIFICATION_FIELDS)
    return evidence_correct(actor=actor, item=item, reason=reason, **fields)


def _taken(changes: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Removes the named fields from ``changes`` and returns them."""
    return {name: changes.pop(name) for name in names if name in changes}


def _only(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise DomainError(gettext("%(field)s cannot be set here.") % {"field": unknown[0]}, field=unknown[0])


def _as_given_text(item: EvidenceItem, name: str) -> str | None:
    moment = as_given(getattr(item, name), getattr(item, f"{name}_offset"))
    return moment.isoformat() if moment is not None else None


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
    evidence_changed(actor=actor, item=item, what={"incidents": incident.pk})
