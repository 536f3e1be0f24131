"""Reads of the audit log."""

from django.db.models import QuerySet

from evidence.models import (
    AuditEntry,
    Case,
)


def audit_entry_list(*, case: Case) -> QuerySet[AuditEntry]:
    return case.audit_entries.select_related("actor", "case")


def audit_entry_list_all() -> QuerySet[AuditEntry]:
    """Every entry; only for staff (api.access)."""
    return AuditEntry.objects.select_related("actor", "case")
