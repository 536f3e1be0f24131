"""Register profiles: defining, editing and retiring them, each a revision (pghistory) and an audit entry.

A profile's name is how exports name it, so it never changes and is never given again, retired or not:
an edit changes its description and columns, and a retirement keeps it from new exports. Each export
names the revision it was requested with (evidence.services.packages.export_request)."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from evidence.errors import DomainError, NotAllowed
from evidence.models import AuditAction, Case, ExportProfile
from evidence.package import register
from evidence.selectors.access import user_may_define_export_profile
from evidence.services.audit import audit_record
from evidence.services.common import history_context


def _check_may_define(actor: AbstractBaseUser, case: Case | None) -> None:
    if user_may_define_export_profile(user=actor, case=case):
        return
    if case is None:
        raise NotAllowed(gettext("Only staff define profiles shared by every case; name the case the profile is for."))
    message = gettext("Your role in %(case)s does not allow defining export profiles.")
    raise NotAllowed(message % {"case": case.reference})


def _check_columns(columns: list[dict]) -> None:
    errors = register.column_errors(columns)
    if errors:
        raise DomainError("; ".join(errors), field="columns")


@transaction.atomic
def export_profile_create(
    *, actor: AbstractBaseUser, name: str, columns: list[dict], description: str = "", case: Case | None = None
) -> ExportProfile:
    """A register profile of ``case``, for its exports and seen by its members; or, with no case, one
    shared by every case, which only staff define (it carries no case information). Its name is
    unique among what an export of the case may use: the built-in ones, the case's own and the
    shared ones, retired ones included."""
    _check_may_define(actor, case)
    _check_columns(columns)
    # A shared profile may take a name a case uses already (the case's own comes first in its exports):
    # refusing it would tell staff the names of cases' profiles.
    usable_by_name = Q(case__isnull=True) if case is None else Q(case__isnull=True) | Q(case=case)
    if name in register.BUILTIN_PROFILES or ExportProfile.objects.filter(usable_by_name, name=name).exists():
        raise DomainError(gettext("A profile named %(name)s exists already.") % {"name": repr(name)}, field="name")
    profile = ExportProfile(case=case, name=name, description=description, columns=columns, created_by=actor)
    with history_context(actor, AuditAction.EXPORT_PROFILE_CREATE):
        profile.save()
    audit_record(
        actor=actor, case=case, action=AuditAction.EXPORT_PROFILE_CREATE, target=name, details={"columns": columns}
    )
    return profile


@transaction.atomic
def export_profile_update(
    *,
    actor: AbstractBaseUser,
    profile: ExportProfile,
    columns: list[dict] | None = None,
    description: str | None = None,
) -> ExportProfile:
    """Changes the profile's description or columns, by whoever may define it; a new revision and an audit
    entry with what changed. Exports already requested keep the revision they were requested with."""
    profile = ExportProfile.objects.select_for_update().get(pk=profile.pk)
    _check_may_define(actor, profile.case)
    if profile.retired_at is not None:
        raise DomainError(gettext("A retired profile is not edited; define a new one."), field="retired")
    changes = {}
    if columns is not None:
        _check_columns(columns)
        if columns != profile.columns:
            changes["columns"] = {"from": profile.columns, "to": columns}
            profile.columns = columns
    if description is not None and description != profile.description:
        changes["description"] = {"from": profile.description, "to": description}
        profile.description = description
    if not changes:
        return profile
    with history_context(actor, AuditAction.EXPORT_PROFILE_UPDATE):
        profile.save(update_fields=list(changes))
    audit_record(
        actor=actor, case=profile.case, action=AuditAction.EXPORT_PROFILE_UPDATE, target=profile.name, details=changes
    )
    return profile


@transaction.atomic
def export_profile_retire(*, actor: AbstractBaseUser, profile: ExportProfile, reason: str) -> ExportProfile:
    """Retires the profile: no new export chooses it; exports requested before are built and kept with it,
    and its name stays taken. A reason is required; retiring it again changes nothing."""
    profile = ExportProfile.objects.select_for_update().get(pk=profile.pk)
    _check_may_define(actor, profile.case)
    reason = reason.strip()
    if not reason:
        raise DomainError(gettext("Say why the profile is retired."), field="reason")
    if profile.retired_at is not None:
        return profile
    profile.retired_at, profile.retired_by, profile.retired_reason = timezone.now(), actor, reason
    with history_context(actor, AuditAction.EXPORT_PROFILE_RETIRE):
        profile.save(update_fields=["retired_at", "retired_by", "retired_reason"])
    audit_record(
        actor=actor,
        case=profile.case,
        action=AuditAction.EXPORT_PROFILE_RETIRE,
        target=profile.name,
        details={"reason": reason},
    )
    return profile
