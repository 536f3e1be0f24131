"""Small helpers the record, intake and package services share."""

from collections.abc import Iterable
from typing import Any

import pghistory
from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.utils.translation import gettext

from evidence.errors import DomainError
from evidence.models import (
    Case,
    EvidenceItem,
    Incident,
)


def apply_changes(instance: models.Model, changes: dict[str, Any], allowed: set[str]) -> dict[str, dict[str, str]]:
    """Sets the allowed fields; returns what changed, for the audit entry."""
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise DomainError(gettext("%(field)s cannot be set here.") % {"field": unknown[0]}, field=unknown[0])
    changed = {}
    for name, value in changes.items():
        before = getattr(instance, name, None)  # None for a relation not set yet
        if before != value:
            changed[name] = {"from": str(before), "to": str(value)}
            setattr(instance, name, value)
    return changed


def check_same_case(case: Case, **related: models.Model | None) -> None:
    for field, obj in related.items():
        if obj is not None and obj.case_id != case.pk:
            message = gettext("%(field)s %(id)s belongs to another case.") % {"field": field, "id": obj.pk}
            raise DomainError(message, field=field)


def history_context(actor: AbstractBaseUser | None, action: str) -> pghistory.context:
    return pghistory.context(user=actor.pk if actor else None, action=action)


def set_protected_persons(obj: Incident | EvidenceItem, people: Iterable | None) -> None:
    """Links witnesses and victims of the same case (they are shown by pseudonym only)."""
    if people is None:
        return
    people = list(people)
    for person in people:
        check_same_case(obj.case, protected_persons=person)
    obj.protected_persons.set(people)
