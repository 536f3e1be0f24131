"""The audit log's one writer: every service records what it did through ``audit_record``."""

from django.contrib.auth.models import AbstractBaseUser

from evidence import request_context
from evidence.models import (
    AuditEntry,
    Case,
)


def audit_record(
    *, actor: AbstractBaseUser | None, case: Case | None, action: str, target: object = "", details: dict | None = None
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor,
        case=case,
        action=action,
        target=str(target),
        details=details or {},
        source_ip=request_context.source_ip.get(),
    )
