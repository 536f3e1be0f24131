"""Review with a second pair of eyes: incidents, evidence items and assessments move from draft to under review,
then to verified or rejected (with a reason). Whoever verifies must not be whoever made the last change to the
record (the four-eyes rule). A verified record is sealed: a change to it reopens its review (``review_reopen``),
and its revisions keep the verified version and the changed one. An evidence item's review is a checklist after
the Berkeley Protocol, each box with who ticked it and when; the verdict goes into the item's chain of custody."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext

from evidence.agents import Agent
from evidence.errors import DomainError, NotAllowed
from evidence.models import (
    Assessment,
    AuditAction,
    CustodyEntry,
    CustodyEvent,
    EvidenceItem,
    EvidenceRelation,
    EvidenceReviewCheck,
    EvidenceStatus,
    Incident,
    Outcome,
    ReviewCheck,
    ReviewState,
)
from evidence.selectors.access import Action, user_may, user_reviews_in_case
from evidence.services.audit import audit_record
from evidence.services.common import check_same_case, history_context
from evidence.services.custody import custody_append

Reviewable = Incident | EvidenceItem | Assessment
# Custody events in which a person changed what an item is said to be or linked to (or submitted it), its
# declared custody before Slid among them. Links to other items write no custody entry: their table says who.
EVIDENCE_CHANGES = (
    CustodyEvent.RECEIVED,
    CustodyEvent.CORRECTED,
    CustodyEvent.LINKED,
    CustodyEvent.UNLINKED,
    CustodyEvent.COLLECTED,
    CustodyEvent.HANDED_OVER,
)
# The processing states in which the archive holds the item's bytes: only those can be verified.
REVIEWABLE_EVIDENCE = (EvidenceStatus.ARCHIVED, EvidenceStatus.DUPLICATE)


def review_kind(obj: Reviewable) -> str:
    return {Incident: "incident", EvidenceItem: "evidence", Assessment: "assessment"}[type(obj)]


def review_state_field(obj: Reviewable | type) -> str:
    """Incidents keep their review in ``status`` (they always had one); items and assessments in
    ``review_state`` (an item's ``status`` is its processing)."""
    model = obj if isinstance(obj, type) else type(obj)
    return "status" if model is Incident else "review_state"


def review_state(obj: Reviewable) -> str:
    return getattr(obj, review_state_field(obj))


def _target(obj: Reviewable) -> str:
    return obj.ern if isinstance(obj, EvidenceItem) else str(obj.public_id)


def last_changed_by_id(obj: Reviewable) -> int | None:
    """Who made the last change to the record: the four-eyes rule keeps them from verifying it. For an item, the
    last person who submitted, corrected, linked or unlinked it or declared its collection (its chain of custody
    says who and when), or who related it to another item or removed such a link, either end (the relations say)."""
    if not isinstance(obj, EvidenceItem):
        return obj.updated_by_id or obj.created_by_id
    custody = CustodyEntry.objects.filter(evidence=obj, event_type__in=EVIDENCE_CHANGES, user__isnull=False)
    relations = EvidenceRelation.objects.filter(Q(source=obj) | Q(target=obj))
    changes = [
        custody.order_by("-sequence").values_list("occurred_at", "user_id").first(),
        relations.filter(created_by__isnull=False)
        .order_by("-created_at")
        .values_list("created_at", "created_by_id")
        .first(),
        relations.filter(removed_by__isnull=False)
        .order_by("-removed_at")
        .values_list("removed_at", "removed_by_id")
        .first(),
    ]
    changes = [change for change in changes if change is not None]
    return max(changes)[1] if changes else obj.received_by_id


def _locked(obj: Reviewable) -> Reviewable:
    return type(obj).objects.select_for_update().select_related("case").get(pk=obj.pk)


def _require(actor: AbstractBaseUser, obj: Reviewable, action: Action) -> None:
    if not user_may(user=actor, case=obj.case, action=action):
        message = gettext("Your role in %(case)s does not allow this (%(action)s).")
        raise NotAllowed(message % {"case": obj.case.reference, "action": action})


def _set_state(obj: Reviewable, *, actor: AbstractBaseUser, action: str, **values) -> None:
    """Writes the review's fields only (never ``updated_by``: a review is not a change to the record)."""
    with history_context(actor, action):
        type(obj).objects.filter(pk=obj.pk).update(**values)
    for name, value in values.items():
        setattr(obj, name, value)


def submit_action(obj: Reviewable) -> Action:
    """Those who may write the record submit it: assessments are proposed by those who assess."""
    return Action.ASSESS if isinstance(obj, Assessment) else Action.WRITE


def _check_reviewer(obj: Reviewable, reviewer: AbstractBaseUser | None) -> None:
    if reviewer is None:
        return
    if not user_reviews_in_case(user=reviewer, case=obj.case):
        message = gettext("%(user)s is not a legal member or lead of %(case)s: ask one of them to review it.")
        raise DomainError(message % {"user": reviewer.get_username(), "case": obj.case.reference}, field="reviewer")


@transaction.atomic
def review_submit(*, actor: AbstractBaseUser, obj: Reviewable, reviewer: AbstractBaseUser | None = None) -> Reviewable:
    """Draft (or rejected, once reworked) → under review, optionally asking one reviewer by name."""
    obj = _locked(obj)
    _require(actor, obj, submit_action(obj))
    state = review_state(obj)
    if state not in (ReviewState.DRAFT, ReviewState.REJECTED):
        message = gettext("It is %(state)s: only a draft or a rejected record is submitted for review.")
        raise DomainError(message % {"state": state}, field="state")
    _check_reviewer(obj, reviewer)
    _set_state(
        obj, actor=actor, action=AuditAction.REVIEW_SUBMIT,
        **{review_state_field(obj): ReviewState.UNDER_REVIEW, "review_requested_of": reviewer},
    )  # fmt: skip
    details = {"type": review_kind(obj), "reviewer": reviewer.get_username() if reviewer else None}
    audit_record(actor=actor, case=obj.case, action=AuditAction.REVIEW_SUBMIT, target=_target(obj), details=details)
    return obj


def _four_eyes(actor: AbstractBaseUser, obj: Reviewable) -> None:
    if last_changed_by_id(obj) == actor.pk:
        message = gettext("You made the last change to this record: someone else verifies it (four-eyes rule).")
        raise NotAllowed(message)


def _checklist(item: EvidenceItem) -> dict[str, dict]:
    checks = EvidenceReviewCheck.objects.filter(evidence=item, checked=True).select_related("checked_by")
    return {
        check.box: {"by": check.checked_by.get_username(), "at": check.checked_at.isoformat(), "note": check.note}
        for check in checks
    }


@transaction.atomic
def review_verify(*, actor: AbstractBaseUser, obj: Reviewable) -> Reviewable:
    """Under review → verified, by a legal member or a lead who did not make the last change. An item needs its
    bytes in the archive and every box of its checklist ticked; the verdict goes into its chain of custody."""
    obj = _locked(obj)
    _require(actor, obj, Action.REVIEW)
    if review_state(obj) != ReviewState.UNDER_REVIEW:
        message = gettext("It is %(state)s: only a record under review is verified.")
        raise DomainError(message % {"state": review_state(obj)}, field="state")
    _four_eyes(actor, obj)
    checklist = None
    if isinstance(obj, EvidenceItem):
        if obj.status not in REVIEWABLE_EVIDENCE:
            message = gettext("%(ern)s is %(status)s: an item is verified once the archive holds it.")
            raise DomainError(message % {"ern": obj.ern, "status": obj.status}, field="state")
        checklist = _checklist(obj)
        missing = [box for box in ReviewCheck.values if box not in checklist]
        if missing:
            message = gettext("Tick every box of the checklist first; not yet: %(boxes)s.")
            raise DomainError(message % {"boxes": ", ".join(missing)}, field="checklist")
    now = timezone.now()
    _set_state(
        obj, actor=actor, action=AuditAction.REVIEW_VERIFY,
        **{review_state_field(obj): ReviewState.VERIFIED, "reviewed_by": actor, "reviewed_at": now,
           "review_reason": "", "reopened_at": None},
    )  # fmt: skip
    if isinstance(obj, EvidenceItem):
        custody_append(
            item=obj, event_type=CustodyEvent.REVIEWED, agent=Agent.for_user(actor),
            detail=f"Verified by {actor.get_username()}", details={"verdict": "verified", "checklist": checklist},
        )  # fmt: skip
    audit_record(
        actor=actor, case=obj.case, action=AuditAction.REVIEW_VERIFY, target=_target(obj),
        details={"type": review_kind(obj)},
    )  # fmt: skip
    return obj


@transaction.atomic
def review_reject(*, actor: AbstractBaseUser, obj: Reviewable, reason: str) -> Reviewable:
    """Under review → rejected, saying why; the record's authors rework it and submit it again."""
    if not reason.strip():
        raise DomainError(gettext("Say why it is rejected."), field="reason")
    obj = _locked(obj)
    _require(actor, obj, Action.REVIEW)
    if review_state(obj) != ReviewState.UNDER_REVIEW:
        message = gettext("It is %(state)s: only a record under review is rejected.")
        raise DomainError(message % {"state": review_state(obj)}, field="state")
    _set_state(
        obj, actor=actor, action=AuditAction.REVIEW_REJECT,
        **{review_state_field(obj): ReviewState.REJECTED, "reviewed_by": actor, "reviewed_at": timezone.now(),
           "review_reason": reason},
    )  # fmt: skip
    if isinstance(obj, EvidenceItem):
        custody_append(
            item=obj, event_type=CustodyEvent.REVIEWED, agent=Agent.for_user(actor), outcome=Outcome.FAILURE,
            detail=f"Rejected by {actor.get_username()}: {reason}",
            details={"verdict": "rejected", "reason": reason, "checklist": _checklist(obj)},
        )  # fmt: skip
    audit_record(
        actor=actor, case=obj.case, action=AuditAction.REVIEW_REJECT, target=_target(obj),
        details={"type": review_kind(obj), "reason": reason},
    )  # fmt: skip
    return obj


def review_reopen(*, actor: AbstractBaseUser | None, obj: Model, changed: dict) -> bool:
    """Called by the services that change a record, in their transaction, after the change: a verified (sealed)
    record that changed goes back under review, marked reopened. Returns whether it did. Incidents and assessments
    set the state in the same save as the change (``reopen_fields``); this records the audit entry."""
    if not changed:
        return False
    audit_record(
        actor=actor, case=obj.case, action=AuditAction.REVIEW_REOPEN, target=_target(obj),
        details={"type": review_kind(obj), "changed": sorted(changed)},
    )  # fmt: skip
    return True


def reopen_fields(obj: Reviewable) -> bool:
    """If ``obj`` (about to be saved with a change) is verified, puts it back under review, marked reopened, in the
    same row: its revision then shows the change and the reopening together. Returns whether it did."""
    field = review_state_field(obj)
    if getattr(obj, field) != ReviewState.VERIFIED:
        return False
    setattr(obj, field, ReviewState.UNDER_REVIEW)
    obj.reopened_at = timezone.now()
    return True


@transaction.atomic
def evidence_changed(*, actor: AbstractBaseUser, item: EvidenceItem, what: dict) -> bool:
    """The one hook for every service that changes an item's record (what it is said to be, its declared custody,
    its links to incidents or to other items, its checklist), called in its transaction after the change, with
    ``what`` changed: a verified (sealed) item goes back under review, marked reopened and audited. Returns whether
    it did. The change itself (a custody entry, a relation row) records ``actor`` as the last to change the item,
    which the four-eyes rule reads (``last_changed_by_id``); a checklist box is the review's, not the record's."""
    return evidence_reopen_if_sealed(actor=actor, item=item, changed=what)


@transaction.atomic
def evidence_reopen_if_sealed(*, actor: AbstractBaseUser, item: EvidenceItem, changed: dict) -> bool:
    """Reopens a verified item that changed (use ``evidence_changed``)."""
    if not changed or item.review_state != ReviewState.VERIFIED:
        return False
    _set_state(
        item, actor=actor, action=AuditAction.REVIEW_REOPEN,
        review_state=ReviewState.UNDER_REVIEW, reopened_at=timezone.now(),
    )  # fmt: skip
    return review_reopen(actor=actor, obj=item, changed=changed)


@transaction.atomic
def evidence_check(
    *,
    actor: AbstractBaseUser,
    item: EvidenceItem,
    box: str,
    checked: bool = True,
    note: str = "",
    corroborating: list[EvidenceItem] | None = None,
) -> EvidenceReviewCheck:
    """Ticks (or unticks) one box of the item's checklist, by a legal member or a lead: who and when are kept, and
    every earlier state of the box in its revisions. "corroborated" names the other items that corroborate it."""
    item = _locked(item)
    _require(actor, item, Action.REVIEW)
    if box not in ReviewCheck.values:
        message = gettext("Unknown box %(box)s; use one of %(boxes)s.")
        raise DomainError(message % {"box": repr(box), "boxes": ", ".join(ReviewCheck.values)}, field="box")
    corroborating = list(corroborating or [])
    for other in corroborating:
        check_same_case(item.case, corroborating=other)
        if other.pk == item.pk:
            raise DomainError(gettext("An item does not corroborate itself."), field="corroborating")
    if box == ReviewCheck.CORROBORATED and checked and not corroborating:
        raise DomainError(gettext("Name the items that corroborate it."), field="corroborating")
    with history_context(actor, AuditAction.REVIEW_CHECK):
        check, _ = EvidenceReviewCheck.objects.update_or_create(
            evidence=item, box=box,
            defaults={"checked": checked, "note": note, "checked_by": actor, "checked_at": timezone.now()},
        )  # fmt: skip
        check.corroborating.set(corroborating)
    audit_record(
        actor=actor, case=item.case, action=AuditAction.REVIEW_CHECK, target=item.ern,
        details={"box": box, "checked": checked, "note": note, "corroborating": [o.ern for o in corroborating]},
    )  # fmt: skip
    if not checked:  # a verified item was verified with every box ticked: one unticked, it is no longer
        evidence_changed(actor=actor, item=item, what={f"checklist.{box}": False})
    return check
