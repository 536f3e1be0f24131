"""Incidents imported from a file (manage.py import_incidents): all or nothing, in the name of the
user who ran the import, each incident audited like one created through the API, and the import
itself audited with the file it came from."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext

from evidence.errors import DomainError, NotAllowed
from evidence.models import AuditAction, Case, Incident
from evidence.selectors.access import Action, user_may
from evidence.services.audit import audit_record
from evidence.services.record import incident_create


@transaction.atomic
def incidents_import(
    *, actor: AbstractBaseUser, case: Case, rows: Iterable[dict], file_name: str, sha256: str
) -> list[Incident]:
    """Creates an incident of each row (checked already), or none if one is refused."""
    if not actor.is_active or not user_may(user=actor, case=case, action=Action.WRITE):
        message = gettext("%(username)s may not record incidents in %(case)s.")
        raise NotAllowed(message % {"username": actor.get_username(), "case": case.reference})
    incidents = []
    for fields in rows:
        try:
            incidents.append(incident_create(actor=actor, case=case, **fields))
        except DomainError as error:
            message = gettext("Incident %(title)s: %(reason)s") % {
                "title": repr(fields.get("title")),
                "reason": error.message,
            }
            raise DomainError(message, field=error.field) from None
    audit_record(
        actor=actor,
        case=case,
        action=AuditAction.INCIDENT_IMPORT,
        target=file_name,
        details={"file": file_name, "sha256": sha256, "incidents": sorted(str(i.public_id) for i in incidents)},
    )
    return incidents


def admin_areas_import_record(
    *, actor: AbstractBaseUser, source: str, imported: list[tuple[int, str]], incidents_moved: int
) -> None:
    """The audit entry of a boundaries import (no case's alone: the areas are every case's)."""
    audit_record(
        actor=actor,
        case=None,
        action=AuditAction.ADMIN_AREAS_IMPORT,
        target=source,
        details={"areas": {level: count for count, level in imported}, "incidents_moved": incidents_moved},
    )
