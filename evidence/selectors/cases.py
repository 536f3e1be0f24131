"""Reads of cases and their members."""

import re

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext

from evidence.errors import DomainError
from evidence.models import (
    Case,
    CaseMembership,
)
from evidence.models.cases import CASE_REFERENCE_VALIDATOR
from evidence.selectors.access import User, restrict_to_user_cases

CASE_ID = re.compile(r"[0-9]+", re.ASCII)
CASE_REFERENCE = re.compile(CASE_REFERENCE_VALIDATOR.regex.pattern.strip("^$"), re.ASCII)
CASE_REFERENCE_MAX_LENGTH = Case._meta.get_field("reference").max_length
LARGEST_ID = 2**63 - 1


def case_list(*, user: User) -> QuerySet[Case]:
    """The user's cases, each annotated with ``my_role`` (None for a superuser who is not a member)."""
    role = CaseMembership.objects.filter(case=OuterRef("pk"), user=user.pk).values("role")[:1]
    cases = Case.objects.select_related("created_by").annotate(my_role=Subquery(role))
    return restrict_to_user_cases(cases, user=user, case_field="")


def case_member_list(*, case: Case) -> QuerySet[CaseMembership]:
    return case.memberships.select_related("user", "added_by").order_by("user__username")


def case_time_zones(*, user: User, case_id: int | None = None) -> dict[str, list[int]]:
    """The time zones of the user's cases (of that one case, if ``case_id``), each with its cases' ids."""
    cases = restrict_to_user_cases(Case.objects.all(), user=user, case_field="")
    if case_id is not None:
        cases = cases.filter(pk=case_id)
    zones: dict[str, list[int]] = {}
    for pk, zone in cases.order_by("pk").values_list("pk", "time_zone"):
        zones.setdefault(zone, []).append(pk)
    return zones


class CaseNameAmbiguous(DomainError):
    """Digits that are the id of one case and the reference of another."""


def case_named(cases: QuerySet[Case], name: str) -> Case | None:
    """The case of ``cases`` (the user's: case_list) that ``name`` names: its reference, or, for digits,
    its id. None if no case of ``cases`` has that name; a name that can be neither is None too, and never
    reaches the database (no NUL, no 10,000 characters). References of digits alone are refused since
    (evidence.models.cases), but an older case may have one: digits that are the id of one of ``cases`` and
    the reference of another raise CaseNameAmbiguous, and are never read as either."""
    is_reference = len(name) <= CASE_REFERENCE_MAX_LENGTH and CASE_REFERENCE.fullmatch(name) is not None
    is_id = CASE_ID.fullmatch(name) is not None and len(name) <= len(str(LARGEST_ID)) and int(name) <= LARGEST_ID
    if is_id and is_reference:
        found = list(cases.filter(Q(pk=int(name)) | Q(reference=name)).order_by("pk")[:2])
        if len(found) > 1:
            message = gettext(
                '"%(name)s" is ambiguous: it is the id of one of your cases and the reference of another. In a '
                "JSON body, give the id as a number."
            )
            raise CaseNameAmbiguous(message % {"name": name}, field="case")
        return found[0] if found else None
    if is_id:
        return cases.filter(pk=int(name)).first()
    if is_reference:
        return cases.filter(reference=name).first()
    return None
