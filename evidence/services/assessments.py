"""Assessments: what an evidence item proves. Proposed by investigators, analysts and leads (Action.ASSESS),
confirmed by a review (evidence.services.reviews); every change is a revision (AssessmentRevision) and an entry in
the audit log, in one transaction. A change to a verified assessment reopens its review."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from evidence import elements
from evidence.errors import DomainError, NotAllowed
from evidence.models import Assessment, AuditAction, Case
from evidence.selectors.access import Action, user_may
from evidence.services.audit import audit_record
from evidence.services.common import apply_changes, check_same_case, history_context
from evidence.services.reviews import reopen_fields, review_reopen

ASSESSMENT_FIELDS = {
    "evidence", "page", "time_start_s", "time_end_s", "region_x", "region_y", "region_w", "region_h", "incident",
    "crime", "person", "unit", "mode", "element", "relevance", "probative_value", "directness", "bearing",
}  # fmt: skip
REGION_FIELDS = ("region_x", "region_y", "region_w", "region_h")


def crime_element_keys(code: str) -> list[str]:
    return [elements.element_key("crime", code, element.number) for element in elements.crime_elements(code)]


def mode_element_keys(code: str) -> list[str]:
    return [elements.element_key("mode", code, element.number) for element in elements.mode_elements(code)]


def _check(assessment: Assessment) -> None:
    """The links hold together: one item of the case; a crime of the incident and one of its elements, or a
    person or a unit of the case, a mode of liability and one of its elements; a whole pinpoint."""
    a = assessment
    check_same_case(a.case, evidence=a.evidence, incident=a.incident, person=a.person, unit=a.unit)
    if not (a.relevance or "").strip():
        raise DomainError(gettext("Say what the item shows and why it matters."), field="relevance")
    goes_to_crime = a.incident is not None or bool(a.crime)
    goes_to_mode = a.person is not None or a.unit is not None or bool(a.mode)
    if goes_to_crime == goes_to_mode:
        message = gettext(
            "An assessment goes to a crime in an incident, or to a mode of liability of a person or a unit."
        )
        raise DomainError(message, field="incident" if goes_to_crime else "crime")
    if goes_to_crime:
        if a.incident is None:
            raise DomainError(gettext("Name the incident the crime was committed in."), field="incident")
        if a.crime not in a.incident.crimes:
            message = gettext("Incident %(id)s is not recorded as %(crime)s; its crimes are %(crimes)s.")
            crimes = ", ".join(a.incident.crimes) or "none"
            raise DomainError(message % {"id": a.incident.pk, "crime": repr(a.crime), "crimes": crimes}, field="crime")
        keys = crime_element_keys(a.crime)
    else:
        if (a.person is None) == (a.unit is None):
            raise DomainError(gettext("Name a person or a unit, not both."), field="person")
        if a.mode not in elements.modes():
            message = gettext("Unknown mode of liability %(mode)s; use one of %(modes)s.")
            raise DomainError(message % {"mode": repr(a.mode), "modes": ", ".join(elements.modes())}, field="mode")
        keys = mode_element_keys(a.mode)
    if a.element not in keys:
        message = gettext("%(element)s is not an element of %(code)s; use one of %(keys)s.")
        code = a.crime if goes_to_crime else a.mode
        raise DomainError(
            message % {"element": repr(a.element), "code": code, "keys": ", ".join(keys)}, field="element"
        )
    if a.time_start_s is not None and a.time_end_s is not None and a.time_end_s < a.time_start_s:
        raise DomainError(gettext("The end is before the start (time_start_s)."), field="time_end_s")
    given = [getattr(a, name) is not None for name in REGION_FIELDS]
    if any(given) and not all(given):
        missing = [name for name, is_given in zip(REGION_FIELDS, given, strict=True) if not is_given][0]
        raise DomainError(gettext("A region needs x, y, w and h."), field=missing)
    if all(given) and (a.region_w == 0 or a.region_h == 0):
        raise DomainError(gettext("A region is at least one pixel wide and high."), field="region_w")


def _may_assess(actor: AbstractBaseUser, case: Case) -> None:
    if not user_may(user=actor, case=case, action=Action.ASSESS):
        message = gettext("Your role in %(case)s does not allow this (%(action)s).")
        raise NotAllowed(message % {"case": case.reference, "action": Action.ASSESS})


@transaction.atomic
def assessment_create(*, actor: AbstractBaseUser, case: Case, **fields: Any) -> Assessment:
    _may_assess(actor, case)
    assessment = Assessment(case=case, created_by=actor, updated_by=actor)
    apply_changes(assessment, fields, ASSESSMENT_FIELDS)
    _check(assessment)
    with history_context(actor, AuditAction.ASSESSMENT_CREATE):
        assessment.save()
    audit_record(
        actor=actor, case=case, action=AuditAction.ASSESSMENT_CREATE, target=assessment.public_id,
        details={"evidence": assessment.evidence.ern, "element": assessment.element, "bearing": assessment.bearing},
    )  # fmt: skip
    return assessment


@transaction.atomic
def assessment_update(*, actor: AbstractBaseUser, assessment: Assessment, **changes: Any) -> Assessment:
    """Changes an assessment; one that was verified goes back under review, marked reopened, in the same revision."""
    assessment = Assessment.objects.select_for_update().select_related("case").get(pk=assessment.pk)
    _may_assess(actor, assessment.case)
    changed = apply_changes(assessment, changes, ASSESSMENT_FIELDS)
    if not changed:
        return assessment
    _check(assessment)
    assessment.updated_by = actor
    assessment.updated_at = timezone.now()
    reopened = reopen_fields(assessment)
    with history_context(actor, AuditAction.ASSESSMENT_UPDATE):
        assessment.save()
    audit_record(
        actor=actor, case=assessment.case, action=AuditAction.ASSESSMENT_UPDATE, target=assessment.public_id,
        details=changed,
    )  # fmt: skip
    if reopened:
        review_reopen(actor=actor, obj=assessment, changed=changed)
    return assessment
