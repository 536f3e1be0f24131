"""The newest activity of a case, for its home page: what each member may see of it.

Those who may read the case's audit log (evidence.selectors.access.restrict_audit_to_user: its leads, and
superusers) get its newest entries. Everyone else gets what the record itself shows them: the newest
revisions of incidents (created or changed, and by whom, as an incident's history shows to every member) and
the newest evidence received (as the evidence list shows it)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model

from evidence.models import AuditEntry, Case, Incident, IncidentRevision
from evidence.selectors.access import Action, User, restrict_audit_to_user, user_may
from evidence.selectors.audit import audit_entry_list
from evidence.selectors.items import evidence_list

NEWEST = 8


@dataclass(frozen=True)
class Activity:
    at: datetime
    kind: str  # "audit", "incident" or "evidence"
    event: str  # the audit action; "created"/"changed" for an incident; the status for evidence
    subject: str  # what it is about: the audit entry's target, the incident's title, the item's ERN and title
    actor: str | None  # who, when known
    object_id: int | None = None  # the incident's or the item's id, to link to


def case_activity(*, user: User, case: Case, limit: int = NEWEST) -> tuple[bool, list[Activity]]:
    """(whether this is the audit log, the newest activity), newest first."""
    if user_may(user=user, case=case, action=Action.MANAGE_CASE):
        entries = list(restrict_audit_to_user(audit_entry_list(case=case), user=user).order_by("-at", "-id")[:limit])
        # An incident's entry names it by its public id; the page shows its title, linked.
        public_ids = [e.target for e in entries if e.action.startswith("incident.") and _uuid(e.target)]
        incidents = Incident.objects.filter(case=case, public_id__in=public_ids)
        named = {str(uid): (pk, title) for uid, pk, title in incidents.values_list("public_id", "pk", "title")}
        return True, [_from_audit(entry, named.get(entry.target)) for entry in entries]
    return False, _record_activity(user=user, case=case, limit=limit)


def _uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _from_audit(entry: AuditEntry, incident: tuple[int, str] | None) -> Activity:
    return Activity(
        at=entry.at,
        kind="audit",
        event=entry.get_action_display(),
        subject=incident[1] if incident else entry.target,
        actor=entry.actor.get_username() if entry.actor else None,
        object_id=incident[0] if incident else None,
    )


def _record_activity(*, user: User, case: Case, limit: int) -> list[Activity]:
    # Newest first by their ids (which grow with time), so the primary keys' indexes find them among a
    # million rows without sorting.
    revisions = list(
        IncidentRevision.objects.filter(case_id=case.pk)
        .order_by("-pgh_id")
        .values("pgh_created_at", "pgh_label", "pgh_obj_id", "title", "updated_by_id", "created_by_id")[:limit]
    )
    items = list(
        evidence_list(user=user)
        .filter(case=case)
        .order_by("-id")
        .values("received_at", "status", "ern", "title", "id", "received_by_id")[:limit]
    )
    user_ids = {r["updated_by_id"] or r["created_by_id"] for r in revisions} | {i["received_by_id"] for i in items}
    user_ids.discard(None)
    names = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username")) if user_ids else {}
    activity = [
        Activity(
            at=r["pgh_created_at"],
            kind="incident",
            event=r["pgh_label"],
            subject=r["title"],
            actor=names.get(r["updated_by_id"] or r["created_by_id"]),
            object_id=r["pgh_obj_id"],
        )
        for r in revisions
    ] + [
        Activity(
            at=i["received_at"],
            kind="evidence",
            event=i["status"],
            subject=f"{i['ern']} {i['title']}".strip(),
            actor=names.get(i["received_by_id"]),
            object_id=i["id"],
        )
        for i in items
    ]
    return sorted(activity, key=lambda a: a.at, reverse=True)[:limit]
