"""Reads of the audit log."""

from django.db.models import QuerySet

from evidence.models import (
    AuditEntry,
    Case,
)
from evidence.selectors.access import User, restrict_audit_to_user


def audit_entry_list(*, case: Case) -> QuerySet[AuditEntry]:
    return case.audit_entries.select_related("actor", "case")


def audit_entry_list_visible(*, user: User) -> QuerySet[AuditEntry]:
    """The log across cases, as far as the user may read it: all of it for superusers (the rule is
    evidence.selectors.access.restrict_audit_to_user)."""
    return restrict_audit_to_user(AuditEntry.objects.select_related("actor", "case"), user=user)
