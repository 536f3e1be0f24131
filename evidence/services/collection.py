"""Custody before Slid: the collection record of an item — who collected it, from whom, when, where and how
(the Berkeley Protocol's capture information: device, method, tool and its version) — and each hand-over
before intake. It is what a person declares, not what Slid observed, so each part becomes a custody entry
marked ``"declared": true`` and naming who declared it:

- given at upload, ``collected`` and one ``handed_over`` per hand-over are the FIRST entries of the chain,
  before ``received``;
- declared (or corrected) later, by the uploader or a lead, they are appended where the chain stands then,
  marked ``"declared_after_intake": true`` with the reason: a chain is never rewritten, so a declaration
  made after intake reads as one.

An entry's ``occurred_at`` is, as for every entry, when Slid recorded it; the moment the person states is in
its details (``collected_at``, ``at``), kept with the UTC offset it was given in (a date, or a time without
an offset, is read in the case's time zone, named in ``…_time_zone``). The item keeps the last declaration
in ``collection`` for reading; the chain keeps every one."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NoReturn

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils.translation import gettext

from evidence.agents import Agent
from evidence.custody import canonical_time
from evidence.dates import GivenMoment, Moment, as_given, latest_of_day_given, place_moment
from evidence.errors import DomainError, NotAllowed
from evidence.models import AuditAction, CustodyEvent, EvidenceItem
from evidence.selectors.access import user_may_declare_collection
from evidence.services.audit import audit_record
from evidence.services.corrections import CLOCK_TOLERANCE
from evidence.services.custody import NewEntry, custody_append_many
from evidence.services.reviews import evidence_changed

COLLECTION_TEXTS = ("collected_by", "collected_from", "place_name", "device", "method", "tool", "tool_version", "note")
HANDOVER_TEXTS = ("from", "to", "place_name", "note")


def collection_record(given: dict[str, Any], *, time_zone: str, received_at: datetime) -> dict[str, Any]:
    """The record as it is kept and written in custody, from what was given (``collected_at`` and each
    hand-over's ``at`` a date or a date-time, ``location`` a GEOS point or None). Refuses, naming the part
    (``collection`` field, message starting with the part's path), a location that is not a point, a moment
    after ``received_at`` (or in the future), and hand-overs out of order: each after the collection and the
    hand-over before it."""
    collected = _moment(given.get("collected_at"), "collected_at", time_zone=time_zone)
    if not str(given.get("collected_by") or "").strip():
        _refuse("collected_by", gettext("Say who collected the item."))
    record: dict[str, Any] = {name: str(given.get(name) or "") for name in COLLECTION_TEXTS}
    record.update(_shown_moment("collected_at", collected))
    record["location"] = _point(given.get("location"), "location")
    latest = received_at + CLOCK_TOLERANCE
    _check_before(collected, latest, "collected_at")
    handovers, previous = [], collected
    for number, handover in enumerate(given.get("handovers") or [], start=1):
        path = f"handovers[{number}]"
        at = _moment(handover.get("at"), f"{path}.at", time_zone=time_zone)
        if latest_of_day_given(at.at, at.time_zone) < previous.at:
            before = gettext("the collection") if previous is collected else gettext("the hand-over before it")
            _refuse(f"{path}.at", gettext("is before %(before)s: hand-overs come in order.") % {"before": before})
        _check_before(at, latest, f"{path}.at")
        row: dict[str, Any] = {name: str(handover.get(name) or "") for name in HANDOVER_TEXTS}
        for name in ("from", "to"):
            if not row[name].strip():
                _refuse(f"{path}.{name}", gettext("Say who handed the item over and to whom."))
        row.update(_shown_moment("at", at))
        row["location"] = _point(handover.get("location"), f"{path}.location")
        row["seals"] = [str(seal) for seal in handover.get("seals") or []]
        handovers.append(row)
        previous = at
    record["handovers"] = handovers
    return record


def collection_entries(record: dict[str, Any], *, agent: Agent, reason: str = "", after_intake: bool) -> list[NewEntry]:
    """The custody entries of a declared record: ``collected``, then one ``handed_over`` per hand-over."""
    declared = {"declared": True, "declared_by": agent.name, "declared_after_intake": after_intake}
    if after_intake:
        declared["reason"] = reason
    said = f"declared by {agent.name}, not observed by Slid"  # the chain's words stay in one language
    source = f" from {record['collected_from']}" if record["collected_from"] else ""
    how = ", ".join(part for part in (record["method"], record["device"], record["tool"]) if part)
    entries = [
        NewEntry(
            event_type=CustodyEvent.COLLECTED,
            detail=f"Collected by {record['collected_by']}{source} at {record['collected_at']}"
            + (f" ({how})" if how else "")
            + f"; {said}",
            details={**declared, **{name: value for name, value in record.items() if name != "handovers"}},
        )
    ]
    for number, handover in enumerate(record["handovers"], start=1):
        seals = f"; seals {', '.join(handover['seals'])}" if handover["seals"] else ""
        entries.append(
            NewEntry(
                event_type=CustodyEvent.HANDED_OVER,
                detail=f"Handed over by {handover['from']} to {handover['to']} at {handover['at']}{seals}; {said}",
                details={**declared, "handover": number, **handover},
            )
        )
    return entries


def collection_kept(record: dict[str, Any], *, agent: Agent, entries: Iterable, after_intake: bool) -> dict:
    """What the item keeps to show: the record, who declared it and when, and where it is in the chain."""
    entries = list(entries)
    return {
        **record,
        "declared_by": agent.name,
        "declared_at": canonical_time(entries[0].occurred_at),
        "declared_after_intake": after_intake,
        "custody_sequences": [entry.sequence for entry in entries],
    }


@transaction.atomic
def evidence_declare_collection(
    *, actor: AbstractBaseUser, item: EvidenceItem, collection: dict[str, Any], reason: str = ""
) -> EvidenceItem:
    """Declares the item's custody before Slid after intake, or corrects the one declared: its uploader or a
    lead. Appended to the chain (never placed before what is already there), audited; correcting a record
    needs a reason."""
    if not user_may_declare_collection(user=actor, item=item):
        raise NotAllowed(gettext("Only the uploader of %(ern)s or a lead of its case declares where it came from.")
                         % {"ern": item.ern})  # fmt: skip
    item = EvidenceItem.objects.select_for_update().select_related("case").get(pk=item.pk)
    if item.collection is not None and not reason.strip():
        raise DomainError(gettext("Say why the collection record is corrected."), field="reason")
    record = collection_record(collection, time_zone=item.case.time_zone, received_at=item.received_at)
    agent = Agent.for_user(actor)
    written = custody_append_many(
        item=item, agent=agent, entries=collection_entries(record, agent=agent, reason=reason, after_intake=True)
    )
    corrected = item.collection is not None
    item.collection = collection_kept(record, agent=agent, entries=written, after_intake=True)
    EvidenceItem.objects.filter(pk=item.pk).update(collection=item.collection)
    audit_record(
        actor=actor,
        case=item.case,
        action=AuditAction.EVIDENCE_COLLECTION,
        target=item.ern,
        details={"custody_sequences": item.collection["custody_sequences"], "corrected": corrected, "reason": reason},
    )
    evidence_changed(actor=actor, item=item, what={"collection": item.collection["custody_sequences"]})
    return item


def _moment(value: Moment | None, path: str, *, time_zone: str) -> GivenMoment:
    if value is None:
        _refuse(path, gettext("A date or a date-time is needed."))
    return place_moment(value, time_zone=time_zone)


def _shown_moment(name: str, moment: GivenMoment) -> dict[str, str]:
    text = as_given(moment.at, moment.offset_minutes).isoformat()
    return {name: text[:-6] + "Z" if text.endswith("+00:00") else text, f"{name}_time_zone": moment.time_zone}


def _check_before(moment: GivenMoment, latest: datetime, path: str) -> None:
    if moment.at > latest:
        _refuse(path, gettext("is after the item was received by Slid (or in the future)."))


def _point(geometry: GEOSGeometry | None, path: str) -> dict | None:
    if geometry is None:
        return None
    if geometry.geom_type != "Point":
        _refuse(path, gettext("A GeoJSON Point is expected (where it happened), not a %(type)s.")
                % {"type": geometry.geom_type})  # fmt: skip
    return {"type": "Point", "coordinates": [geometry.x, geometry.y]}


def _refuse(path: str, message: str) -> NoReturn:
    raise DomainError(f"{path}: {message}", field="collection")
