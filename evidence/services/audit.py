"""The audit log's one writer: every service records what it did through ``audit_record``."""

from django.contrib.auth.models import AbstractBaseUser

from evidence import request_context
from evidence.custody import check_exact
from evidence.models import (
    AuditEntry,
    Case,
)


def audit_record(
    *, actor: AbstractBaseUser | None, case: Case | None, action: str, target: object = "", details: dict | None = None
) -> AuditEntry:
    # The audit log's chain hashes the details as canonical JSON (evidence.audit_chain): refused here, not
    # when the entry is linked, a value it cannot write exactly never stops the chain.
    check_exact(details or {}, "details")
    return AuditEntry.objects.create(
        actor=actor,
        case=case,
        action=action,
        target=str(target),
        details=details or {},
        source_ip=request_context.source_ip.get(),
    )
